// Safe XML loading over pugixml (see safe_xml.h).

#include "service/backends/sysvol/format/safe_xml.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

namespace {

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string* out) : out_(out) {}
  void write(const void* data, size_t size) override {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

// Name characters as Namespaces in XML allows them in an NCName, with every byte of a multi-byte
// UTF-8 sequence taken as a letter (the input is valid UTF-8 by then; pugixml's own test is as
// wide). A colon is never part of an NCName.
bool IsNameStart(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

bool IsNameChar(unsigned char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool IsNcName(std::string_view name) {
  if (name.empty() || !IsNameStart(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return IsNameChar(static_cast<unsigned char>(c)); });
}

// pugixml accepts any run of name characters, colons included, so "q1:-sid", "a:" or "a:b:c"
// parse; a namespace-aware reader (GPMC's among them) refuses them. Readers here match on local
// names and the report copies preference elements under its own prefixes, so such a name would
// reach gpreport.xml as an ill-formed one: refuse it at the door.
bool IsQualifiedName(std::string_view name) {
  const size_t colon = name.find(':');
  if (colon == std::string_view::npos) return IsNcName(name);
  return IsNcName(name.substr(0, colon)) && IsNcName(name.substr(colon + 1));
}

// An element's name and attributes: every name qualified, and no two attributes (namespace
// declarations aside) with one local name. pugixml checks neither; XML forbids a repeated
// attribute, and since lookups here go by local name, "a:x" beside "b:x" would be ambiguous.
bool NamesWellFormed(pugi::xml_node element, std::vector<std::string_view>* locals,
                     std::string* problem) {
  if (!IsQualifiedName(element.name())) {
    *problem = std::string("malformed XML: element name \"") + element.name() + "\"";
    return false;
  }
  locals->clear();
  for (pugi::xml_attribute a = element.first_attribute(); a; a = a.next_attribute()) {
    if (!IsQualifiedName(a.name())) {
      *problem = std::string("malformed XML: attribute name \"") + a.name() + "\" on <" +
                 element.name() + ">";
      return false;
    }
    if (!IsNamespaceDeclaration(a.name())) locals->push_back(LocalName(a.name()));
  }
  // Sorted, so that an element with very many attributes costs n log n, not n squared.
  std::sort(locals->begin(), locals->end());
  auto twice = std::adjacent_find(locals->begin(), locals->end());
  if (twice != locals->end()) {
    *problem = "malformed XML: attribute \"" + std::string(*twice) + "\" given twice on <" +
               element.name() + ">";
    return false;
  }
  return true;
}

// Walks the tree without recursion; false when a limit is exceeded or a name is ill-formed
// (`*problem` says which).
bool WithinLimits(const pugi::xml_document& doc, const XmlLimits& limits, std::string* problem) {
  size_t nodes = 0;
  int depth = 1;  // of `node`; the root element is at depth 1
  std::vector<std::string_view> locals;  // reused for every element's attribute names
  pugi::xml_node node = doc.first_child();
  while (node) {
    if (++nodes > limits.max_nodes) {
      *problem = "more than " + std::to_string(limits.max_nodes) + " XML nodes";
      return false;
    }
    if (node.type() == pugi::node_element && depth > limits.max_depth) {
      *problem = "XML nesting deeper than " + std::to_string(limits.max_depth) + " elements";
      return false;
    }
    if (node.type() == pugi::node_element && !NamesWellFormed(node, &locals, problem)) return false;
    if (node.first_child()) {
      node = node.first_child();
      ++depth;
      continue;
    }
    while (node != doc && !node.next_sibling()) {
      node = node.parent();
      --depth;
    }
    if (node == doc) break;
    node = node.next_sibling();
  }
  return true;
}

}  // namespace

core::Result<std::unique_ptr<pugi::xml_document>> LoadXml(std::string_view bytes,
                                                          std::string_view path,
                                                          const XmlLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return CorruptFile(
        path, "XML document is larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  std::string text;
  if (HasUtf16LeBom(bytes)) {
    auto decoded = Utf16LeToUtf8(bytes.substr(2), path, 2);
    if (!decoded.ok()) return decoded.error();
    text = std::move(decoded).value();
  } else if (bytes.substr(0, 2) == "\xFE\xFF") {
    return CorruptFile(path, "UTF-16BE XML is not supported", 0);
  } else {
    if (bytes.substr(0, 3) == kUtf8Bom) bytes.remove_prefix(3);
    if (bytes.size() >= 2 && bytes[1] == '\0') {
      return CorruptFile(path, "UTF-16 XML without a byte order mark", 0);
    }
    if (!IsValidUtf8(bytes)) return CorruptFile(path, "XML is not valid UTF-8");
    text = std::string(bytes);
  }
  // pugixml skips a DOCTYPE's internal subset recursively; refuse before it gets there. The text
  // is searched as a whole, so "<!DOCTYPE" inside a comment or CDATA is refused as well.
  if (internal::AsciiLower(text).find("<!doctype") != std::string::npos) {
    return CorruptFile(path, "XML with a DOCTYPE is refused (no DTD processing)");
  }
  // Bound the DOM before building it: every element (and most other nodes) starts with '<', so
  // a document with more of them than max_nodes is refused without allocating its tree.
  if (static_cast<size_t>(std::count(text.begin(), text.end(), '<')) > limits.max_nodes) {
    return CorruptFile(path, "more than " + std::to_string(limits.max_nodes) + " XML nodes");
  }
  auto doc = std::make_unique<pugi::xml_document>();
  // parse_default: CDATA, the five predefined entities and character references, EOL
  // normalisation. No DTD, no PIs, no comments kept. parse_ws_pcdata_single keeps a value that
  // is only blanks (Registry.pol's "**del." entries hold " ") while indentation is dropped.
  pugi::xml_parse_result result =
      doc->load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                       pugi::encoding_utf8);
  if (!result) {
    return CorruptFile(path, std::string("malformed XML: ") + result.description(),
                       static_cast<size_t>(result.offset));
  }
  if (!doc->document_element()) return CorruptFile(path, "XML has no root element");
  std::string problem;
  if (!WithinLimits(*doc, limits, &problem)) return CorruptFile(path, problem);
  return doc;
}

bool IsNamespaceDeclaration(std::string_view name) {
  return name == "xmlns" || name.substr(0, 6) == "xmlns:";
}

std::string_view LocalName(const char* qualified_name) {
  std::string_view name(qualified_name);
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node ChildByLocalName(pugi::xml_node node, std::string_view local) {
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element && LocalName(child.name()) == local) return child;
  }
  return {};
}

std::string NodeText(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      out += child.value();
    }
  }
  return out;
}

std::string ChildTextByLocalName(pugi::xml_node node, std::string_view local) {
  return NodeText(ChildByLocalName(node, local));
}

pugi::xml_attribute AttributeByLocalName(pugi::xml_node node, std::string_view local) {
  for (pugi::xml_attribute a : node.attributes()) {
    if (LocalName(a.name()) == local) return a;
  }
  return {};
}

std::string SaveXml(const pugi::xml_document& doc, unsigned int flags, const char* indent) {
  std::string out;
  StringWriter writer(&out);
  SaveXmlTo(doc, flags, indent, writer);
  return out;
}

void SaveXmlTo(const pugi::xml_document& doc, unsigned int flags, const char* indent,
               pugi::xml_writer& writer) {
  doc.save(writer, indent, flags, pugi::encoding_utf8);
}

}  // namespace gpop::sysvol
