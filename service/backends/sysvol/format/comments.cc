// GPO.cmt and comment.cmtx readers (see comments.h).

#include "service/backends/sysvol/format/comments.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/windows_text.h"

namespace gpop::sysvol {

namespace {

constexpr size_t kMaxCmtxBytes = 4u << 20;

}  // namespace

core::Result<std::string> ParseGpoComment(std::string_view bytes, std::string_view path) {
  auto text = DecodeWindowsText(bytes, path, kMaxCommentBytes);
  if (!text.ok()) return text.error();
  std::string out = std::move(text).value();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string PolicyComments::Find(std::string_view namespace_name,
                                 std::string_view policy_name) const {
  auto it = by_policy.find(std::string(namespace_name) + ":" + std::string(policy_name));
  return it == by_policy.end() ? std::string() : it->second;
}

core::Result<PolicyComments> ParsePolicyComments(std::string_view bytes, std::string_view path) {
  XmlLimits limits;
  limits.max_bytes = kMaxCmtxBytes;
  limits.max_depth = 32;
  auto doc = LoadXml(bytes, path, limits);
  if (!doc.ok()) return doc.error();
  pugi::xml_node root = (*doc)->document_element();
  if (LocalName(root.name()) != "policyComments") {
    return CorruptFile(
        path, "root element is <" + std::string(root.name()) + ">, expected <policyComments>");
  }
  std::map<std::string, std::string> prefixes;
  for (pugi::xml_node u : ChildByLocalName(root, "policyNamespaces").children()) {
    if (u.type() == pugi::node_element && LocalName(u.name()) == "using") {
      prefixes[u.attribute("prefix").value()] = u.attribute("namespace").value();
    }
  }
  std::map<std::string, std::string> strings;
  for (pugi::xml_node s :
       ChildByLocalName(ChildByLocalName(root, "resources"), "stringTable").children()) {
    if (s.type() == pugi::node_element) strings[s.attribute("id").value()] = NodeText(s);
  }
  PolicyComments out;
  for (pugi::xml_node t : ChildByLocalName(root, "comments").children()) {
    if (t.type() != pugi::node_element) continue;
    for (pugi::xml_node c : t.children()) {
      if (c.type() != pugi::node_element || LocalName(c.name()) != "comment") continue;
      std::string_view ref = c.attribute("policyRef").value();
      size_t colon = ref.find(':');
      if (colon == std::string_view::npos) continue;
      auto ns = prefixes.find(std::string(ref.substr(0, colon)));
      if (ns == prefixes.end()) continue;
      std::string text = c.attribute("commentText").value();
      constexpr std::string_view kPrefix = "$(resource.";
      if (text.size() > kPrefix.size() && text.compare(0, kPrefix.size(), kPrefix) == 0 &&
          text.back() == ')') {
        auto s = strings.find(text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1));
        text = s == strings.end() ? std::string() : s->second;
      }
      if (!text.empty()) {
        out.by_policy[ns->second + ":" + std::string(ref.substr(colon + 1))] = std::move(text);
      }
    }
  }
  return out;
}

}  // namespace gpop::sysvol
