// ADMX/ADML central store reader (see admx.h).

#include "service/backends/sysvol/format/admx.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {

namespace {

using internal::AsciiLower;

constexpr size_t kMaxTemplateBytes = 32u << 20;

std::string IndexKey(std::string_view key, std::string_view name) {
  return AsciiLower(key) + "\n" + AsciiLower(name);
}

// The prefixes of one ADMX file: its own (target) namespace and the ones it uses.
class Namespaces {
 public:
  explicit Namespaces(pugi::xml_node root) {
    for (pugi::xml_node n : ChildByLocalName(root, "policyNamespaces").children()) {
      if (n.type() != pugi::node_element) continue;
      std::string_view kind = LocalName(n.name());
      std::string ns = n.attribute("namespace").value();
      if (kind == "target") target_ = ns;
      if (kind == "target" || kind == "using") prefixes_[n.attribute("prefix").value()] = ns;
    }
  }

  const std::string& target() const { return target_; }

  // "prefix:name" (or a bare "name" of this file's own namespace) as "namespace:name", the key
  // categories and supportedOn definitions are stored under. An unknown prefix is kept as it is
  // written, so that it resolves to nothing rather than to a same-named definition elsewhere.
  std::string Qualify(std::string_view ref) const {
    if (ref.empty()) return std::string();
    size_t colon = ref.find(':');
    if (colon == std::string_view::npos) return target_ + ":" + std::string(ref);
    auto it = prefixes_.find(std::string(ref.substr(0, colon)));
    std::string ns = it == prefixes_.end() ? "?" + std::string(ref.substr(0, colon)) : it->second;
    return ns + ":" + std::string(ref.substr(colon + 1));
  }

 private:
  std::string target_;
  std::map<std::string, std::string> prefixes_;
};

// The name part of a qualified reference ("Microsoft.Policies.Windows:WindowsComponents").
std::string LocalPart(const std::string& qualified) {
  size_t colon = qualified.rfind(':');
  return colon == std::string::npos ? qualified : qualified.substr(colon + 1);
}

// Resolves "$(string.Id)" through the ADML string table; other texts are returned as they are.
class Strings {
 public:
  explicit Strings(pugi::xml_node resources) {
    for (pugi::xml_node s : ChildByLocalName(resources, "stringTable").children()) {
      if (s.type() == pugi::node_element) table_[s.attribute("id").value()] = NodeText(s);
    }
    for (pugi::xml_node p : ChildByLocalName(resources, "presentationTable").children()) {
      if (p.type() != pugi::node_element) continue;
      auto& labels = presentations_[p.attribute("id").value()];
      for (pugi::xml_node part : p.children()) {
        if (part.type() != pugi::node_element || !part.attribute("refId")) continue;
        std::string label(internal::Trim(NodeText(part)));
        if (label.empty()) label = ChildTextByLocalName(part, "label");
        labels[part.attribute("refId").value()] = label;
      }
    }
  }

  std::string Resolve(std::string_view text) const {
    constexpr std::string_view kPrefix = "$(string.";
    if (text.substr(0, kPrefix.size()) != kPrefix || text.back() != ')') return std::string(text);
    std::string id(text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1));
    auto it = table_.find(id);
    return it == table_.end() ? id : it->second;
  }

  std::string Label(std::string_view presentation_ref, const std::string& ref_id) const {
    constexpr std::string_view kPrefix = "$(presentation.";
    if (presentation_ref.substr(0, kPrefix.size()) != kPrefix) return ref_id;
    std::string id(
        presentation_ref.substr(kPrefix.size(), presentation_ref.size() - kPrefix.size() - 1));
    auto p = presentations_.find(id);
    if (p == presentations_.end()) return ref_id;
    auto l = p->second.find(ref_id);
    return l == p->second.end() || l->second.empty() ? ref_id : l->second;
  }

 private:
  std::map<std::string, std::string> table_;
  std::map<std::string, std::map<std::string, std::string>> presentations_;
};

std::optional<AdmxValue> ReadValue(pugi::xml_node holder) {
  for (pugi::xml_node v : holder.children()) {
    if (v.type() != pugi::node_element) continue;
    std::string_view kind = LocalName(v.name());
    AdmxValue value;
    if (kind == "decimal" || kind == "longDecimal") {
      value.kind = AdmxValue::Kind::kDecimal;
      value.decimal = std::strtoull(v.attribute("value").value(), nullptr, 10);
    } else if (kind == "string") {
      value.kind = AdmxValue::Kind::kString;
      value.string = NodeText(v);
    } else if (kind == "delete") {
      value.kind = AdmxValue::Kind::kDelete;
    } else {
      continue;
    }
    return value;
  }
  return std::nullopt;
}

void ReadList(pugi::xml_node list, const std::string& policy_key, std::vector<AdmxListItem>* out) {
  std::string default_key =
      list.attribute("defaultKey") ? list.attribute("defaultKey").value() : policy_key;
  for (pugi::xml_node item : list.children()) {
    if (item.type() != pugi::node_element || LocalName(item.name()) != "item") continue;
    AdmxListItem li;
    li.key = item.attribute("key") ? item.attribute("key").value() : default_key;
    li.value_name = item.attribute("valueName").value();
    if (auto v = ReadValue(ChildByLocalName(item, "value"))) li.value = *v;
    out->push_back(std::move(li));
  }
}

}  // namespace

bool AdmxValue::Matches(const PolEntry& entry) const {
  switch (kind) {
    case Kind::kDelete:
      return entry.Special() == SpecialName::kDeleteValue;
    case Kind::kDecimal:
      if (entry.type == reg_type::kDword || entry.type == reg_type::kDwordBigEndian) {
        auto v = entry.AsDword();
        return v.ok() && *v == decimal;
      }
      if (entry.type == reg_type::kQword) {
        auto v = entry.AsQword();
        return v.ok() && *v == decimal;
      }
      if (entry.type == reg_type::kSz || entry.type == reg_type::kExpandSz) {
        auto v = entry.AsString();
        return v.ok() && *v == std::to_string(decimal);
      }
      return false;
    case Kind::kString: {
      if (entry.type != reg_type::kSz && entry.type != reg_type::kExpandSz) return false;
      auto v = entry.AsString();
      return v.ok() && *v == string;
    }
  }
  return false;
}

bool AdmxPolicy::AppliesTo(bool computer) const {
  if (policy_class == "Both") return true;
  return computer ? policy_class == "Machine" : policy_class == "User";
}

core::Status AdmxCatalog::AddFile(std::string_view admx, std::string_view adml,
                                  std::string_view path) {
  auto doc = LoadXml(admx, path);
  if (!doc.ok()) return doc.error();
  pugi::xml_node root = (*doc)->document_element();
  if (LocalName(root.name()) != "policyDefinitions") {
    return CorruptFile(path, "root element is not policyDefinitions");
  }
  std::unique_ptr<pugi::xml_document> adml_doc;
  if (!adml.empty()) {
    auto loaded = LoadXml(adml, std::string(path) + " (ADML)");
    if (!loaded.ok()) return loaded.error();
    adml_doc = std::move(loaded).value();
  }
  pugi::xml_node resources =
      adml_doc ? ChildByLocalName(adml_doc->document_element(), "resources") : pugi::xml_node();
  Strings strings(resources);
  Namespaces ns(root);

  for (pugi::xml_node d :
       ChildByLocalName(ChildByLocalName(root, "supportedOn"), "definitions").children()) {
    if (d.type() == pugi::node_element) {
      supported_[ns.Qualify(d.attribute("name").value())] =
          strings.Resolve(d.attribute("displayName").value());
    }
  }
  for (pugi::xml_node c : ChildByLocalName(root, "categories").children()) {
    if (c.type() != pugi::node_element) continue;
    categories_[ns.Qualify(c.attribute("name").value())] =
        Category{strings.Resolve(c.attribute("displayName").value()),
                 ns.Qualify(ChildByLocalName(c, "parentCategory").attribute("ref").value())};
  }
  for (pugi::xml_node p : ChildByLocalName(root, "policies").children()) {
    if (p.type() != pugi::node_element || LocalName(p.name()) != "policy") continue;
    AdmxPolicy policy;
    policy.name = p.attribute("name").value();
    policy.namespace_name = ns.target();
    policy.display_name = strings.Resolve(p.attribute("displayName").value());
    policy.explain = strings.Resolve(p.attribute("explainText").value());
    policy.policy_class = p.attribute("class").value();
    policy.key = p.attribute("key").value();
    policy.value_name = p.attribute("valueName").value();
    policy.enabled_value = ReadValue(ChildByLocalName(p, "enabledValue"));
    policy.disabled_value = ReadValue(ChildByLocalName(p, "disabledValue"));
    ReadList(ChildByLocalName(p, "enabledList"), policy.key, &policy.enabled_list);
    ReadList(ChildByLocalName(p, "disabledList"), policy.key, &policy.disabled_list);
    std::string presentation = p.attribute("presentation").value();
    for (pugi::xml_node e : ChildByLocalName(p, "elements").children()) {
      if (e.type() != pugi::node_element) continue;
      AdmxElement el;
      el.kind = std::string(LocalName(e.name()));
      el.id = e.attribute("id").value();
      el.key = e.attribute("key") ? e.attribute("key").value() : policy.key;
      el.value_name = e.attribute("valueName").value();
      el.label = strings.Label(presentation, el.id);
      if (el.kind == "enum") {
        for (pugi::xml_node item : e.children()) {
          if (item.type() != pugi::node_element || LocalName(item.name()) != "item") continue;
          auto v = ReadValue(ChildByLocalName(item, "value"));
          if (v)
            el.enum_items.emplace_back(strings.Resolve(item.attribute("displayName").value()), *v);
        }
      }
      policy.elements.push_back(std::move(el));
    }
    policy_category_refs_.push_back(
        ns.Qualify(ChildByLocalName(p, "parentCategory").attribute("ref").value()));
    policy_supported_refs_.push_back(
        ns.Qualify(ChildByLocalName(p, "supportedOn").attribute("ref").value()));
    policies_.push_back(std::move(policy));
  }
  return {};
}

void AdmxCatalog::Finish() {
  index_.clear();
  for (size_t i = 0; i < policies_.size(); ++i) {
    AdmxPolicy& p = policies_[i];
    if (i < policy_category_refs_.size()) {
      std::vector<std::string> path;
      std::string ref = policy_category_refs_[i];
      for (int guard = 0; guard < 32 && !ref.empty(); ++guard) {
        auto it = categories_.find(ref);
        if (it == categories_.end()) {
          path.push_back(LocalPart(ref));
          break;
        }
        path.push_back(it->second.display_name);
        ref = it->second.parent;
      }
      std::reverse(path.begin(), path.end());
      p.category.clear();
      for (size_t k = 0; k < path.size(); ++k) p.category += (k ? "/" : "") + path[k];
    }
    if (i < policy_supported_refs_.size() && !policy_supported_refs_[i].empty()) {
      auto it = supported_.find(policy_supported_refs_[i]);
      p.supported = it == supported_.end() ? LocalPart(policy_supported_refs_[i]) : it->second;
    }
    std::set<std::string> keys;
    if (!p.value_name.empty()) keys.insert(IndexKey(p.key, p.value_name));
    for (const auto* list : {&p.enabled_list, &p.disabled_list}) {
      for (const AdmxListItem& item : *list) keys.insert(IndexKey(item.key, item.value_name));
    }
    for (const AdmxElement& e : p.elements) {
      keys.insert(IndexKey(e.key, e.kind == "list" ? "*" : e.value_name));
    }
    for (const std::string& k : keys) index_[k].push_back(i);
  }
  policy_category_refs_.clear();
  policy_supported_refs_.clear();
}

std::vector<const AdmxPolicy*> AdmxCatalog::Find(bool computer, std::string_view key,
                                                 std::string_view value_name) const {
  std::string name(value_name);
  SpecialName special = ClassifyValueName(value_name);
  if (special == SpecialName::kDeleteValue || special == SpecialName::kSoftValue) {
    name = PolEntry{"", std::string(value_name), 0, ""}.SpecialTarget();
  }
  std::vector<const AdmxPolicy*> out;
  std::vector<std::string> lookups = {IndexKey(key, name)};
  // List elements own every value of their key (and the key's **delvals.).
  if (special != SpecialName::kNone || !name.empty()) lookups.push_back(IndexKey(key, "*"));
  for (const std::string& k : lookups) {
    auto it = index_.find(k);
    if (it == index_.end()) continue;
    for (size_t i : it->second) {
      const AdmxPolicy* p = &policies_[i];
      if (p->AppliesTo(computer) && std::find(out.begin(), out.end(), p) == out.end()) {
        out.push_back(p);
      }
    }
  }
  return out;
}

core::Result<AdmxCatalog> LoadAdmxCatalog(const std::filesystem::path& dir,
                                          std::string_view language) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return core::MakeError(core::Code::kNotFound, core::reason::kLocationNotFound,
                           "no ADMX central store at " + dir.string());
  }
  const auto read = [](const fs::path& p, std::string* out) {
    std::error_code size_ec;
    auto size = fs::file_size(p, size_ec);
    if (size_ec || size > kMaxTemplateBytes) return false;
    std::ifstream in(p, std::ios::binary);
    out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return static_cast<bool>(in) || in.eof();
  };
  std::vector<fs::path> admx_files;
  fs::path lang_dir;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_regular_file() && AsciiLower(e.path().extension().string()) == ".admx") {
      admx_files.push_back(e.path());
    } else if (e.is_directory() && internal::EqualsNoCase(name, language)) {
      lang_dir = e.path();
    }
  }
  std::sort(admx_files.begin(), admx_files.end());
  std::map<std::string, fs::path> adml_files;  // lower-case stem -> path
  if (!lang_dir.empty()) {
    for (const auto& e : fs::directory_iterator(lang_dir, ec)) {
      if (e.is_regular_file() && AsciiLower(e.path().extension().string()) == ".adml") {
        adml_files[AsciiLower(e.path().stem().string())] = e.path();
      }
    }
  }
  AdmxCatalog catalog;
  for (const fs::path& admx_path : admx_files) {
    std::string display = "PolicyDefinitions/" + admx_path.filename().string();
    std::string admx, adml;
    if (!read(admx_path, &admx)) return CorruptFile(display, "cannot be read or is too large");
    auto it = adml_files.find(AsciiLower(admx_path.stem().string()));
    if (it != adml_files.end() && !read(it->second, &adml)) {
      return CorruptFile(display, "its ADML cannot be read or is too large");
    }
    if (auto s = catalog.AddFile(admx, adml, display); !s.ok()) return s.error();
  }
  catalog.Finish();
  return catalog;
}

}  // namespace gpop::sysvol
