// SDDL SIDs (see sddl.h).

#include "service/backends/sysvol/format/sddl.h"

#include <vector>

namespace gpop::sysvol {
namespace {

bool IsComponentStart(std::string_view s, size_t i) {
  if (i + 1 >= s.size() || s[i + 1] != ':') return false;
  const char c = s[i];
  return c == 'O' || c == 'G' || c == 'D' || c == 'S';
}

// One ACE's text (without its parentheses) with its trustee mapped; nullopt: removed.
std::optional<std::string> MapAce(std::string_view ace, const SddlSidMap& map) {
  // type;flags;rights;object_guid;inherit_object_guid;sid[;(condition or attribute)]
  std::vector<size_t> semis;
  for (size_t i = 0; i < ace.size() && semis.size() < 6; ++i) {
    if (ace[i] == ';') semis.push_back(i);
  }
  if (semis.size() < 5) return std::string(ace);
  const size_t begin = semis[4] + 1;
  const size_t end = semis.size() > 5 ? semis[5] : ace.size();
  const std::string sid(ace.substr(begin, end - begin));
  if (sid.empty()) return std::string(ace);
  std::optional<std::string> mapped = map(sid, "ACE");
  if (!mapped) return std::nullopt;
  return std::string(ace.substr(0, begin)) + *mapped + std::string(ace.substr(end));
}

}  // namespace

std::string MapSddlSids(std::string_view s, const SddlSidMap& map) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (!IsComponentStart(s, i)) {
      out += s[i++];
      continue;
    }
    const char kind = s[i];
    if (kind == 'O' || kind == 'G') {
      // The SID runs to the next component ("G:", "D:", "S:") or the end.
      size_t end = i + 2;
      while (end < s.size() && !IsComponentStart(s, end)) ++end;
      const std::string sid(s.substr(i + 2, end - i - 2));
      std::optional<std::string> mapped =
          sid.empty() ? sid : map(sid, kind == 'O' ? "owner" : "group");
      if (mapped) out += std::string(1, kind) + ":" + *mapped;
      i = end;
      continue;
    }
    // "D:" or "S:": flags, then "(ace)(ace)..." up to the next component.
    out += s.substr(i, 2);
    i += 2;
    while (i < s.size() && !IsComponentStart(s, i)) {
      if (s[i] != '(') {
        out += s[i++];
        continue;
      }
      // The ACE's closing parenthesis (conditional expressions nest).
      size_t depth = 0;
      size_t close = i;
      for (; close < s.size(); ++close) {
        if (s[close] == '(') ++depth;
        if (s[close] == ')' && --depth == 0) break;
      }
      if (close >= s.size()) {  // unbalanced: kept as written
        out += s.substr(i);
        return out;
      }
      std::optional<std::string> ace = MapAce(s.substr(i + 1, close - i - 1), map);
      if (ace) out += "(" + *ace + ")";
      i = close + 1;
    }
  }
  return out;
}

}  // namespace gpop::sysvol
