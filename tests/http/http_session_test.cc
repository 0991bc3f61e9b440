// The dashboard's sign-in (service/http/session.h) against a real server on 127.0.0.1:0: a
// bearer token exchanged for an HttpOnly, SameSite=Strict cookie that never shows the token;
// the cookie authenticates plain requests and SSE streams; CSRF tokens on state-changing
// requests; expiry, tampering, another server's cookie, revocation; a viewer's cancel refused;
// the cookie still valid on a restarted server with the same secret.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "gpop/v1/operations.pb.h"
#include "gtest/gtest.h"
#include "service/http/session.h"
#include "tests/e2e/test_server.h"
#include "tests/http/http_test_server.h"

namespace gpop::http_test {
namespace {

using e2e::SyntheticBackup;

// What signing in gave: the cookie's value, the Set-Cookie header and the parsed body.
struct SignedIn {
  int status = 0;
  std::string cookie;
  std::string set_cookie;
  google::protobuf::Struct body;
  std::string raw_body;
};

std::string Origin(int port) { return "Origin: http://127.0.0.1:" + std::to_string(port); }

SignedIn SignIn(int port, const std::string& token) {
  HttpAnswer answer = Request(port, "POST", "/v1/session", "{}",
                              {"Content-Type: application/json", Origin(port),
                               "Sec-Fetch-Site: same-origin", "Authorization: Bearer " + token});
  SignedIn out;
  out.status = answer.status;
  out.raw_body = answer.body;
  out.set_cookie = answer.headers["set-cookie"];
  if (answer.status != 200) return out;
  out.body = Parse<google::protobuf::Struct>(answer.body);
  const std::string prefix = std::string(http::kSessionCookie) + "=";
  EXPECT_TRUE(absl::StartsWith(out.set_cookie, prefix)) << out.set_cookie;
  out.cookie = out.set_cookie.substr(prefix.size(), out.set_cookie.find(';') - prefix.size());
  return out;
}

std::string Field(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

std::string CookieHeader(const std::string& cookie) {
  return "Cookie: " + std::string(http::kSessionCookie) + "=" + cookie;
}

// A state-changing request from the page: same origin, JSON, the cookie, maybe a CSRF token.
HttpAnswer PagePost(int port, const std::string& target, const std::string& json,
                    const std::string& cookie, const std::string& csrf) {
  std::vector<std::string> headers = {"Content-Type: application/json", Origin(port),
                                      "Sec-Fetch-Site: same-origin", CookieHeader(cookie)};
  if (!csrf.empty()) headers.push_back("X-Gpop-Csrf: " + csrf);
  return Request(port, "POST", target, json, headers);
}

TEST(HttpSessionTest, ATokenBecomesAnHttpOnlyStrictCookieThatNeverShowsIt) {
  TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator);
  const int port = server.port();
  SignedIn session = SignIn(port, "viewer-token");
  ASSERT_EQ(session.status, 200) << session.raw_body;
  EXPECT_NE(session.set_cookie.find("; HttpOnly"), std::string::npos) << session.set_cookie;
  EXPECT_NE(session.set_cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(session.set_cookie.find("; Path=/"), std::string::npos);
  EXPECT_NE(session.set_cookie.find("; Max-Age=28800"), std::string::npos);  // 8 h by default
  EXPECT_EQ(session.set_cookie.find("viewer-token"), std::string::npos);
  EXPECT_EQ(session.raw_body.find("viewer-token"), std::string::npos);
  EXPECT_EQ(Field(session.body, "principal"), "vera");
  EXPECT_EQ(Field(session.body, "role"), "viewer");
  EXPECT_EQ(Field(session.body, "authenticatedBy"), "session");
  EXPECT_FALSE(Field(session.body, "csrfToken").empty());
  EXPECT_FALSE(Field(session.body, "expireTime").empty());

  // The cookie alone authenticates: the API, who-am-I (the same CSRF token), and streams.
  EXPECT_EQ(Request(port, "GET", "/v1/operations", "", {CookieHeader(session.cookie)}).status, 200);
  HttpAnswer me = Request(port, "GET", "/v1/session", "", {CookieHeader(session.cookie)});
  ASSERT_EQ(me.status, 200) << me.body;
  auto me_body = Parse<google::protobuf::Struct>(me.body);
  EXPECT_EQ(Field(me_body, "principal"), "vera");
  EXPECT_EQ(Field(me_body, "csrfToken"), Field(session.body, "csrfToken"));
  // An Authorization header wins over the cookie and needs no CSRF token.
  HttpAnswer by_token =
      Request(port, "GET", "/v1/session", "", {"Authorization: Bearer admin-token"});
  EXPECT_EQ(Field(Parse<google::protobuf::Struct>(by_token.body), "authenticatedBy"), "token");
}

// An operation started by the admin over an Authorization header.
v1::Operation StartAsAdmin(int port, int steps, int step_ms) {
  HttpAnswer answer =
      Request(port, "POST", "/v1/operations", ToJson(SyntheticBackup(steps, step_ms)),
              {"Content-Type: application/json", "Authorization: Bearer admin-token"});
  EXPECT_EQ(answer.status, 200) << answer.body;
  return Parse<v1::Operation>(answer.body);
}

TEST(HttpSessionTest, TheCookieAuthenticatesEventStreams) {
  TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator);
  const int port = server.port();
  v1::Operation op = StartAsAdmin(port, 2, 0);
  const std::string events = "/v1/operations/" + op.id() + "/events";
  // No credentials: a 200 stream whose one event says why (EventSource cannot read a body).
  std::vector<SseEvent> refused = ParseSse(Request(port, "GET", events).body);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].event, "failure");
  EXPECT_EQ(ReasonOf(refused[0].data), "UNAUTHENTICATED");
  EXPECT_EQ(ParseSse(Request(port, "GET", "/v1/operations:watch").body)[0].event, "failure");
  // The viewer's cookie: the whole stream, to its end.
  SignedIn session = SignIn(port, "viewer-token");
  std::vector<SseEvent> streamed =
      ParseSse(Request(port, "GET", events, "", {CookieHeader(session.cookie)}).body);
  ASSERT_FALSE(streamed.empty());
  EXPECT_EQ(streamed.front().event, "event");
  EXPECT_EQ(streamed.back().event, "end");
}

TEST(HttpSessionTest, SignInRefusesBadTokensAndCrossSiteRequests) {
  TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator);
  const int port = server.port();
  SignedIn wrong = SignIn(port, "not-a-token");
  EXPECT_EQ(wrong.status, 401) << wrong.raw_body;
  EXPECT_EQ(ReasonOf(wrong.raw_body), "UNAUTHENTICATED");
  EXPECT_TRUE(wrong.set_cookie.empty());
  HttpAnswer no_token =
      Request(port, "POST", "/v1/session", "{}", {"Content-Type: application/json", Origin(port)});
  EXPECT_EQ(no_token.status, 401);
  EXPECT_TRUE(no_token.headers["set-cookie"].empty());
  // Another site cannot sign a browser in (login CSRF), nor post a form.
  HttpAnswer cross = Request(port, "POST", "/v1/session", "{}",
                             {"Content-Type: application/json", "Origin: https://evil.example",
                              "Authorization: Bearer viewer-token"});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(ReasonOf(cross.body), "CROSS_SITE_REQUEST");
  EXPECT_TRUE(cross.headers["set-cookie"].empty());
  HttpAnswer form = Request(port, "POST", "/v1/session", "x=1",
                            {"Content-Type: application/x-www-form-urlencoded", Origin(port),
                             "Authorization: Bearer viewer-token"});
  EXPECT_EQ(form.status, 403);
  // Without credentials, who-am-I is 401 (the page then asks for a token).
  HttpAnswer me = Request(port, "GET", "/v1/session");
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(ReasonOf(me.body), "UNAUTHENTICATED");
}

TEST(HttpSessionTest, CookieAuthenticatedChangesNeedTheSessionsCsrfToken) {
  TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator);
  const int port = server.port();
  SignedIn admin = SignIn(port, "admin-token");
  ASSERT_EQ(admin.status, 200);
  const std::string csrf = Field(admin.body, "csrfToken");
  const std::string start = ToJson(SyntheticBackup(1, 0));
  HttpAnswer missing = PagePost(port, "/v1/operations", start, admin.cookie, "");
  EXPECT_EQ(missing.status, 403) << missing.body;
  EXPECT_EQ(ReasonOf(missing.body), "CSRF_TOKEN_INVALID");
  // Another session's token is not this one's.
  SignedIn other = SignIn(port, "operator-token");
  HttpAnswer crossed =
      PagePost(port, "/v1/operations", start, admin.cookie, Field(other.body, "csrfToken"));
  EXPECT_EQ(crossed.status, 403);
  EXPECT_EQ(server.engine().stats().retained_operations, 0) << "nothing was started";
  HttpAnswer ok = PagePost(port, "/v1/operations", start, admin.cookie, csrf);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Parse<v1::Operation>(ok.body).principal(), "ada");
  // Signing out deletes the cookie (and needs the CSRF token too).
  HttpAnswer out = Request(port, "DELETE", "/v1/session", "",
                           {"Content-Type: application/json", Origin(port),
                            CookieHeader(admin.cookie), "X-Gpop-Csrf: " + csrf});
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
}

TEST(HttpSessionTest, AViewersCancelIsRefusedAndCancelsNothing) {
  TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator);
  const int port = server.port();
  v1::Operation op = StartAsAdmin(port, 1000, 20);
  SignedIn viewer = SignIn(port, "viewer-token");
  HttpAnswer cancel = PagePost(port, "/v1/operations/" + op.id() + ":cancel", "{}", viewer.cookie,
                               Field(viewer.body, "csrfToken"));
  EXPECT_EQ(cancel.status, 403) << cancel.body;
  EXPECT_EQ(ReasonOf(cancel.body), "PERMISSION_DENIED");
  HttpAnswer after =
      Request(port, "GET", "/v1/operations/" + op.id(), "", {CookieHeader(viewer.cookie)});
  v1::Operation now = Parse<v1::Operation>(after.body);
  EXPECT_NE(now.state(), v1::CANCELLING);
  EXPECT_NE(now.state(), v1::CANCELLED);
}

TEST(HttpSessionTest, TamperedForeignAndRevokedSessionsAreRefused) {
  TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator);
  HttpTestServer elsewhere({}, &authenticator);
  const int port = server.port();
  SignedIn session = SignIn(port, "viewer-token");
  ASSERT_EQ(session.status, 200);
  std::string tampered = session.cookie;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  HttpAnswer bad = Request(port, "GET", "/v1/operations", "", {CookieHeader(tampered)});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(ReasonOf(bad.body), "SESSION_INVALID");
  SignedIn foreign = SignIn(elsewhere.port(), "viewer-token");
  HttpAnswer crossed = Request(port, "GET", "/v1/operations", "", {CookieHeader(foreign.cookie)});
  EXPECT_EQ(crossed.status, 401);
  EXPECT_EQ(ReasonOf(crossed.body), "SESSION_INVALID");
  // Revoking the token ends its sessions at once.
  authenticator.Revoke("viewer-token");
  HttpAnswer revoked = Request(port, "GET", "/v1/operations", "", {CookieHeader(session.cookie)});
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.body.find("viewer-token"), std::string::npos);
}

TEST(HttpSessionTest, ACookieOutlivesARestartWithTheSameSecret) {
  TestAuthenticator authenticator;
  std::string cookie;
  {
    HttpTestServer before({}, &authenticator, false, "kept secret");
    cookie = SignIn(before.port(), "viewer-token").cookie;
  }
  HttpTestServer after({}, &authenticator, false, "kept secret");
  HttpAnswer me = Request(after.port(), "GET", "/v1/session", "", {CookieHeader(cookie)});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Field(Parse<google::protobuf::Struct>(me.body), "principal"), "vera");
}

TEST(SessionSealerTest, ExpiresAtItsTimeAndHoldsTheToken) {
  http::SessionSealer sealer("secret");
  const engine::Time expires = engine::Time(std::chrono::seconds(2000000000));
  const std::string cookie = sealer.Seal("t0k3n", expires);
  EXPECT_EQ(cookie.find("t0k3n"), std::string::npos);
  absl::StatusOr<http::SessionSealer::Opened> open =
      sealer.Open(cookie, expires - std::chrono::seconds(1));
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->bearer_token, "t0k3n");
  EXPECT_EQ(open->expires, expires);
  absl::StatusOr<http::SessionSealer::Opened> late = sealer.Open(cookie, expires);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
  EXPECT_EQ(std::string(late.status().message()).find("t0k3n"), std::string::npos);
  // Two seals of the same token differ (a fresh nonce), and each has its own CSRF token.
  const std::string again = sealer.Seal("t0k3n", expires);
  EXPECT_NE(again, cookie);
  EXPECT_NE(sealer.CsrfToken(again), sealer.CsrfToken(cookie));
  EXPECT_TRUE(sealer.CsrfMatches(cookie, sealer.CsrfToken(cookie)));
  EXPECT_FALSE(sealer.CsrfMatches(cookie, ""));
  EXPECT_FALSE(sealer.Open("s1.", expires - std::chrono::hours(1)).ok());
  EXPECT_FALSE(sealer.Open("garbage", expires - std::chrono::hours(1)).ok());
}

}  // namespace
}  // namespace gpop::http_test
