#include "service/engine/filter.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/engine/status_convert.h"

namespace gpop::engine {
namespace {

absl::Status Bad(const std::string& why) {
  return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField, "filter: " + why,
                    {{"field", "filter"}});
}

bool ValidLabelKey(absl::string_view key) {
  if (key.empty() || key.size() > 63 || !std::islower(static_cast<unsigned char>(key[0]))) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace

absl::StatusOr<Filter> Filter::Parse(const std::string& text) {
  Filter f;
  std::string trimmed(absl::StripAsciiWhitespace(text));
  if (trimmed.empty()) return f;
  for (absl::string_view raw : absl::StrSplit(trimmed, " AND ")) {
    std::string cond(absl::StripAsciiWhitespace(raw));
    size_t eq = cond.find('=');
    if (cond.empty() || eq == std::string::npos) {
      return Bad("expected <field>=<value> joined by \" AND \", got \"" + cond + "\"");
    }
    std::string field(absl::StripAsciiWhitespace(cond.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(cond.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (field == "state") {
      auto state = core::ParseState(absl::AsciiStrToUpper(value));
      if (!state) return Bad("unknown state \"" + value + "\"");
      if (f.state_ && *f.state_ != *state) f.never_ = true;
      f.state_ = state;
    } else if (field == "kind") {
      auto kind = core::ParseKind(absl::AsciiStrToLower(value));
      if (!kind) return Bad("unknown kind \"" + value + "\"");
      if (f.kind_ && *f.kind_ != *kind) f.never_ = true;
      f.kind_ = kind;
    } else if (absl::StartsWith(field, "labels.")) {
      std::string key = field.substr(7);
      if (!ValidLabelKey(key)) return Bad("invalid label key \"" + key + "\"");
      auto [it, inserted] = f.labels_.emplace(key, value);
      if (!inserted && it->second != value) f.never_ = true;
    } else {
      return Bad("unknown field \"" + field + "\" (use state, kind or labels.<key>)");
    }
  }
  return f;
}

bool Filter::Matches(core::OperationKind kind, core::OperationState state,
                     const std::map<std::string, std::string>& labels) const {
  if (never_) return false;
  if (kind_ && *kind_ != kind) return false;
  if (state_ && *state_ != state) return false;
  for (const auto& [k, v] : labels_) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string Filter::Canonical() const {
  std::vector<std::string> parts;
  if (kind_) parts.push_back(std::string("kind=") + core::KindName(*kind_));
  for (const auto& [k, v] : labels_) parts.push_back("labels." + k + "=" + v);
  if (state_) parts.push_back(std::string("state=") + core::StateName(*state_));
  if (never_) parts.push_back("never");
  return absl::StrJoin(parts, " AND ");
}

}  // namespace gpop::engine
