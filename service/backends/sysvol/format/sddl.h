// SDDL security descriptor strings ("O:BAG:SYD:PAR(A;OICI;FA;;;S-1-5-21-...)"), as the security
// template (GptTmpl.inf [File Security], [Registry Keys], [Service General Setting]) stores
// them: the SIDs they name, and the same text with SIDs replaced or ACEs removed. Only what a
// migration table needs is parsed: the owner, the group and the trustee of each ACE; the rest
// (flags, rights, object GUIDs, conditional expressions) is kept as written.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SDDL_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SDDL_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gpop::sysvol {

// SddlSidMap
//
// Called once per SID string met (a literal "S-1-..." or an alias such as "BA"), with where it
// stands ("owner", "group", "ACE"). Returns the SID to write (the same one: unchanged), or
// nullopt to remove it: the ACE is dropped, an owner or group component is left out.
using SddlSidMap =
    std::function<std::optional<std::string>(const std::string& sid, std::string_view where)>;

// MapSddlSids
//
// `sddl` with every SID passed through `map`. Text that is not a well-formed component (an
// unbalanced parenthesis, an ACE with fewer than six fields) is kept as it is, never guessed at.
std::string MapSddlSids(std::string_view sddl, const SddlSidMap& map);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SDDL_H_
