// The only way this project parses XML: pugixml behind limits that make hostile documents fail
// cleanly (see DESIGN.md, Security).
//
// - Input size is capped before parsing; nesting depth is checked after parsing by an iterative
//   walk (pugixml's parser is not recursive and has no depth option).
// - A document with a <!DOCTYPE> is rejected: no DTD is ever processed, so there are no
//   external entities and no entity definitions. pugixml itself expands only the five
//   predefined entities and character references, and never fetches anything. The text is
//   scanned for "<!DOCTYPE" (any case) before parsing, so it is refused even inside a comment or
//   CDATA section: pugixml skips a DTD's internal subset recursively, which must never run.
// - Input encoding: UTF-8 (with or without BOM), or UTF-16LE with a BOM (gpreport.xml), which is
//   converted strictly (see utf16.h) before parsing. Anything else is rejected.
// pugixml's parser and DOM API report errors as values and never throw (XPath, which may, is not
// used); nothing here throws either.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SAFE_XML_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SAFE_XML_H_

#include <cstddef>
#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::sysvol {

// XmlLimits
//
// Bounds for one document. The defaults fit every file GPMC writes with a wide margin (the
// largest fixture gpreport.xml is 0.3 MB, depth < 20).
struct XmlLimits {
  size_t max_bytes = 64u << 20;  // of the input, before any conversion
  int max_depth = 128;           // element nesting, the root element being depth 1
  size_t max_nodes = 4u << 20;   // elements, text and other nodes together
};

// LoadXml
//
// Parses `bytes` under `limits`. Errors are CORRUPT_FILE naming `display_path` (and the byte
// offset for syntax errors): too large, too deep, too many nodes, DOCTYPE present, bad encoding,
// malformed XML, no root element. Malformed includes what pugixml lets through but XML with
// namespaces forbids: an element or attribute name that is not NCName or prefix:NCName, and an
// element with two attributes of one local name (namespace declarations aside).
core::Result<std::unique_ptr<pugi::xml_document>> LoadXml(std::string_view bytes,
                                                          std::string_view display_path,
                                                          const XmlLimits& limits = {});

// LocalName
//
// The element or attribute name without its namespace prefix ("q1:Account" -> "Account").
// pugixml is not namespace-aware; readers in this folder match on local names, and writers
// choose the prefixes GPMC uses.
std::string_view LocalName(const char* qualified_name);

// IsNamespaceDeclaration
//
// True for "xmlns" and "xmlns:<prefix>": a declaration, not data. Code that copies elements by
// local name leaves these out (the writer declares its own namespaces).
bool IsNamespaceDeclaration(std::string_view name);

// ChildByLocalName
//
// The first child element of `node` whose local name is `local`, or an empty node.
pugi::xml_node ChildByLocalName(pugi::xml_node node, std::string_view local);

// ChildTextByLocalName
//
// The text (PCDATA and CDATA concatenated) of ChildByLocalName(node, local); "" when absent.
std::string ChildTextByLocalName(pugi::xml_node node, std::string_view local);

// NodeText
//
// The concatenated PCDATA and CDATA children of `node`.
std::string NodeText(pugi::xml_node node);

// AttributeByLocalName
//
// The first attribute of `node` whose local name is `local` ("bkp:ID" matches "ID"), or empty.
pugi::xml_attribute AttributeByLocalName(pugi::xml_node node, std::string_view local);

// SaveXml
//
// `doc` serialised as UTF-8 with pugixml's `flags` (format_raw, format_indent, ...) and
// `indent`. Writers build documents with pugixml and serialise them through this.
std::string SaveXml(const pugi::xml_document& doc, unsigned int flags, const char* indent = "  ");

// SaveXmlTo
//
// The same bytes as SaveXml, handed to `writer` in pieces as pugixml produces them (a piece may
// end inside a UTF-8 sequence), for writers that transform the text without a second copy.
void SaveXmlTo(const pugi::xml_document& doc, unsigned int flags, const char* indent,
               pugi::xml_writer& writer);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SAFE_XML_H_
