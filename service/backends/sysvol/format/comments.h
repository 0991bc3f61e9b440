// The comments of a GPO: its own (GPO.cmt at the GPT's root, UTF-16LE without a BOM as the
// editor writes it) and those of its Administrative Template policies (Machine/comment.cmtx and
// User/comment.cmtx, XML in http://www.microsoft.com/GroupPolicy/CommentDefinitions).
//
// comment.cmtx names policies as "prefix:PolicyName" through its <policyNamespaces><using
// prefix= namespace=/>, and its comment texts are "$(resource.Id)" references into its own
// <resources><stringTable>, or literal texts.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_COMMENTS_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_COMMENTS_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::sysvol {

inline constexpr size_t kMaxCommentBytes = 1u << 20;

// The GPO's own comment file at the GPT's root (and at DomainSysvol/GPO of a backup); SYSVOL's
// case may differ, so it is looked up case-insensitively and written in this case.
inline constexpr char kGpoCommentFile[] = "GPO.cmt";

// ParseGpoComment
//
// The text of GPO.cmt (see DecodeWindowsText for encodings), without trailing line ends.
// Errors: CORRUPT_FILE (too large, undecodable).
core::Result<std::string> ParseGpoComment(std::string_view bytes, std::string_view display_path);

// PolicyComments
//
// Comment texts by "namespace:PolicyName" (the ADMX target namespace and the policy's @name,
// as AdmxPolicy holds them).
struct PolicyComments {
  std::map<std::string, std::string> by_policy;

  // The comment of one policy, or "".
  std::string Find(std::string_view namespace_name, std::string_view policy_name) const;
};

// ParsePolicyComments
//
// Reads comment.cmtx through the hardened loader (4 MiB at most). Comments whose prefix is not
// declared are ignored. Errors: CORRUPT_FILE (see LoadXml) and a root other than
// policyComments.
core::Result<PolicyComments> ParsePolicyComments(std::string_view bytes,
                                                 std::string_view display_path);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_COMMENTS_H_
