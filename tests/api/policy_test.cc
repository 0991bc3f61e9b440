// Authorization rules of service/api/auth/policy.h.

#include "service/api/auth/policy.h"

#include "gtest/gtest.h"
#include "service/api/auth/authenticator.h"
#include "service/api/auth/local_authenticator.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

constexpr char kDefaultDomainPolicy[] = "{31B2F340-016D-11D2-945F-00C04FB984F9}";

Principal With(std::string name, Grant grant) {
  Principal p;
  p.name = std::move(name);
  p.grants = {std::move(grant)};
  return p;
}

OperationScope Scope(core::OperationKind kind, core::GpoRef gpo, std::string owner = "") {
  OperationScope scope;
  scope.kind = kind;
  scope.gpos.push_back(std::move(gpo));
  scope.owner = std::move(owner);
  return scope;
}

TEST(PolicyTest, ViewerViewsButNeitherStartsNorCancels) {
  Principal viewer = With("vic", Grant{Role::kViewer, {}, {}, {}});
  OperationScope op = Scope(core::OperationKind::kBackup, {"", "Finance"}, "alice");
  EXPECT_TRUE(Authorize(viewer, Action::kView, op).ok());
  absl::Status start = Authorize(viewer, Action::kStart, op);
  EXPECT_EQ(start.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(engine::ToError(start).reason, reason::kPermissionDenied);
  EXPECT_EQ(engine::ToError(start).metadata["required_role"], "operator");
  EXPECT_EQ(Authorize(viewer, Action::kCancel, op).code(), absl::StatusCode::kPermissionDenied);
}

TEST(PolicyTest, OperatorCancelsOnlyItsOwn) {
  Principal alice = With("alice", Grant{Role::kOperator, {}, {}, {}});
  EXPECT_TRUE(
      Authorize(alice, Action::kCancel, Scope(core::OperationKind::kBackup, {}, "alice")).ok());
  absl::Status other =
      Authorize(alice, Action::kCancel, Scope(core::OperationKind::kBackup, {}, "bob"));
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(engine::ToError(other).metadata["required_role"], "admin");
  Principal root = With("root", Grant{Role::kAdmin, {}, {}, {}});
  EXPECT_TRUE(
      Authorize(root, Action::kCancel, Scope(core::OperationKind::kBackup, {}, "bob")).ok());
}

TEST(PolicyTest, GrantsAreScopedByKindGpoAndLabel) {
  Grant grant{Role::kOperator,
              {core::OperationKind::kBackup},
              {"Finance *", "{AAAAAAAA-0000-0000-0000-000000000001}"},
              {{"team", "fin"}}};
  Principal fin = With("fin", grant);
  OperationScope ok = Scope(core::OperationKind::kBackup, {"", "finance laptops"});
  ok.labels["team"] = "fin";
  EXPECT_TRUE(Authorize(fin, Action::kStart, ok).ok());
  OperationScope by_guid =
      Scope(core::OperationKind::kBackup, {"{aaaaaaaa-0000-0000-0000-000000000001}", ""});
  by_guid.labels["team"] = "fin";
  EXPECT_TRUE(Authorize(fin, Action::kStart, by_guid).ok());
  OperationScope other_gpo = ok;
  other_gpo.gpos = {{"", "HR"}};
  EXPECT_FALSE(Authorize(fin, Action::kStart, other_gpo).ok());
  OperationScope other_kind = ok;
  other_kind.kind = core::OperationKind::kCopy;
  EXPECT_FALSE(Authorize(fin, Action::kStart, other_kind).ok());
  OperationScope no_label = ok;
  no_label.labels.clear();
  EXPECT_FALSE(Authorize(fin, Action::kStart, no_label).ok());
  OperationScope unknown_gpo = ok;
  unknown_gpo.gpos.clear();
  EXPECT_FALSE(Authorize(fin, Action::kStart, unknown_gpo).ok());
  EXPECT_FALSE(SeesEverything(fin));
}

TEST(PolicyTest, RestoreAndImportIntoDefaultDomainGposNeedAdmin) {
  Principal op = With("op", Grant{Role::kOperator, {}, {}, {}});
  Principal admin = With("admin", Grant{Role::kAdmin, {}, {}, {}});
  for (core::OperationKind kind : {core::OperationKind::kRestore, core::OperationKind::kImport,
                                   core::OperationKind::kImportSet}) {
    OperationScope by_guid = Scope(kind, {kDefaultDomainPolicy, ""});
    OperationScope by_name = Scope(kind, {"", "default domain controllers policy"});
    EXPECT_EQ(Authorize(op, Action::kStart, by_guid).code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(Authorize(op, Action::kStart, by_name).code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(Authorize(admin, Action::kStart, by_guid).ok());
  }
  EXPECT_TRUE(
      Authorize(op, Action::kStart, Scope(core::OperationKind::kBackup, {kDefaultDomainPolicy, ""}))
          .ok());
}

TEST(PolicyTest, NoGrantMayNotList) {
  Principal nobody;
  nobody.name = "nobody";
  EXPECT_EQ(AuthorizeList(nobody).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeList(Principal::LocalAdmin()).ok());
}

TEST(PolicyTest, LocalAuthenticatorAdmitsOnlyLocalPeers) {
  LocalAuthenticator strict;
  Credentials local;
  local.peer_is_local = true;
  absl::StatusOr<Principal> p = strict.Authenticate(local);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, kLocalPrincipal);
  Credentials remote;
  EXPECT_EQ(strict.Authenticate(remote).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(LocalAuthenticator(true).Authenticate(remote).ok());
}

}  // namespace
}  // namespace gpop::api
