// `ntlmh request` (issue #5) against `ntlmh serve` started here on 127.0.0.1: every scheme,
// HTTP and HTTPS (--insecure, --cacert, --epa require), --proxy, GET and POST bodies checked
// through the echo's body_sha256, every fault of mock_server/README.md, and the usage errors.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/bytes.h"
#include "http/form.h"
#include "mock_server/tls_material.h"
#include "tests/mock_server_process.h"
#include "tests/run_command.h"

namespace ntlmh::testing {
namespace {

using nlohmann::json;

constexpr char kUser[] = "CORP\\alice:Secret1!";
const std::vector<std::string> kPasswordEnv = {"NTLM_PASSWORD=Secret1!"};

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr), 1);
  return ntlm::ToHex(ntlm::ByteView(md, len));
}

std::string HostName() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  std::string host(name);
  return host.substr(0, host.find('.'));
}

CommandResult Request(const std::vector<std::string>& args,
                      const std::vector<std::string>& env = kPasswordEnv,
                      const std::string& stdin_text = "") {
  std::vector<std::string> all = {"request"};
  all.insert(all.end(), args.begin(), args.end());
  return RunNtlmh(all, stdin_text, env);
}

json Echo(const CommandResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

void ExpectEcho(const CommandResult& r, const std::string& method, const std::string& path,
                const std::string& body, const std::string& content_type = "") {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const json j = Echo(r);
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["domain"], "CORP");
  EXPECT_EQ(j["workstation"], HostName());
  EXPECT_EQ(j["response_kind"], "ntlmv2");
  EXPECT_EQ(j["mic"]["present"], true);
  EXPECT_EQ(j["mic"]["valid"], true);
  EXPECT_EQ(j["method"], method);
  EXPECT_EQ(j["path"], path);
  EXPECT_EQ(j["body_length"], body.size());
  EXPECT_EQ(j["body_sha256"], Sha256Hex(body));
  if (!content_type.empty()) {
    EXPECT_EQ(j["content_type"], content_type);
  }
}

class TlsFiles {
 public:
  TlsFiles() {
    char tmpl[] = "/tmp/ntlmh-request-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::string error;
    ok_ = mock::MakeSelfSigned(&material_, &error);
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    std::ofstream(cert_) << material_.cert_pem;
    std::ofstream(key_) << material_.key_pem;
  }
  ~TlsFiles() {
    std::remove(cert_.c_str());
    std::remove(key_.c_str());
    rmdir(dir_.c_str());
  }
  bool ok() const { return ok_; }
  const std::string& cert() const { return cert_; }
  const std::string& key() const { return key_; }

 private:
  mock::TlsMaterial material_;
  std::string dir_, cert_, key_;
  bool ok_ = false;
};

// --- each scheme, GET and POST ---------------------------------------------------------------

TEST(Request, NtlmGet) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  ExpectEcho(Request({server.url() + "/a/b?c=d", "-u", "CORP\\alice"}), "GET", "/a/b?c=d", "");
}

// NtlmMinClientSec met: serve negotiates 128-bit and the client answers NTLMv2 (the refusals
// are engine/client_test.cc's ClientContext_3_1_5_1_2.NtlmMinClientSec).
TEST(Request, MinClientSecMet) {
  ServerProcess server({"--user", kUser, "--min-server-sec", "0x20080000"});
  ASSERT_TRUE(server.ok());
  for (const char* value : {"0x20080000", "128bit,ntlmv2-session", "NEGOTIATE_128"}) {
    SCOPED_TRACE(value);
    ExpectEcho(Request({server.url() + "/m", "-u", "CORP\\alice", "--min-client-sec", value}),
               "GET", "/m", "");
  }
}

// -v and --json never show the client's responses, MIC or key (an NTLMv2 response beside its
// server challenge can be cracked offline) unless --show-secrets asks for them.
TEST(Request, VerboseAndJsonHideTheResponses) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  const std::string kHidden = "(hidden; --show-secrets prints it)";
  CommandResult v = Request({server.url() + "/", "-u", "CORP\\alice", "-v"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.err.find("> Authorization: NTLM " + kHidden), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("NtChallengeResponse: " + kHidden), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("NTProofStr: " + kHidden), std::string::npos) << v.err;
  EXPECT_EQ(v.err.find("TlRMTVNTUAAD"), std::string::npos) << v.err;  // no AUTHENTICATE base64
  CommandResult j = Request({server.url() + "/", "-u", "CORP\\alice", "--json"});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  const json doc = json::parse(j.out);
  bool saw_authenticate = false;
  for (const json& leg : doc["legs"]) {
    const json& token = leg["request"]["token"];
    if (token.is_object() && token["message"] == "AUTHENTICATE_MESSAGE") {
      saw_authenticate = true;
      EXPECT_EQ(token["nt_response"]["hex"], kHidden);
      EXPECT_EQ(token["nt_response"]["ntlmv2"]["nt_proof_str"], kHidden);
      EXPECT_EQ(token["lm_response"]["hex"], kHidden);
      EXPECT_EQ(token["mic"], kHidden);
    }
  }
  EXPECT_TRUE(saw_authenticate) << j.out;
  CommandResult shown =
      Request({server.url() + "/", "-u", "CORP\\alice", "-v", "--show-secrets"});
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_NE(shown.err.find("> Authorization: NTLM TlRMTVNTUAAD"), std::string::npos);
  EXPECT_EQ(shown.err.find(kHidden), std::string::npos);
}

// With --negotiate, the SPNEGO mechListMIC (RFC 4178 4.2.2; with NTLM a signature under the
// session key, [MS-NLMP] 3.4.4) is hidden like the MIC, in both directions, and so are the
// headers whose base64 carries it or the AUTHENTICATE.
TEST(Request, NegotiateVerboseAndJsonHideTheMechListMic) {
  ServerProcess server({"--user", kUser, "--scheme", "negotiate"});
  ASSERT_TRUE(server.ok());
  const std::string kHidden = "(hidden; --show-secrets prints it)";
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
      ++n;
    }
    return n;
  };

  const CommandResult v = Request({server.url() + "/", "-u", "CORP\\alice", "--negotiate", "-v"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(count(v.err, "\n      mechListMIC: (absent)\n"), 2u) << v.err;  // NEGOTIATE, CHALLENGE
  EXPECT_EQ(count(v.err, "\n      mechListMIC: " + kHidden + "\n"), 2u) << v.err;
  EXPECT_EQ(count(v.err, "mechListMIC: 01000000"), 0u) << v.err;
  EXPECT_EQ(count(v.err, "\n> Authorization: Negotiate " + kHidden + "\n"), 1u) << v.err;
  EXPECT_EQ(count(v.err, "\n< WWW-Authenticate: Negotiate " + kHidden + "\n"), 1u) << v.err;
  EXPECT_EQ(count(v.err, "\n      MIC: " + kHidden + "\n"), 1u) << v.err;

  const CommandResult j =
      Request({server.url() + "/", "-u", "CORP\\alice", "--negotiate", "--json"});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  const json doc = json::parse(j.out);
  ASSERT_EQ(doc["legs"].size(), 3u) << j.out;
  const json& negotiate = doc["legs"][1];
  EXPECT_EQ(negotiate["request"]["token"]["spnego"]["mech_list_mic"], nullptr);
  EXPECT_EQ(negotiate["response"]["token"]["spnego"]["mech_list_mic"], nullptr);
  const json& authenticate = doc["legs"][2];
  EXPECT_EQ(authenticate["request"]["token"]["message"], "AUTHENTICATE_MESSAGE");
  EXPECT_EQ(authenticate["request"]["token"]["spnego"]["mech_list_mic"], kHidden);
  EXPECT_EQ(authenticate["request"]["token"]["mic"], kHidden);
  EXPECT_EQ(authenticate["response"]["status"], 200);
  EXPECT_EQ(authenticate["response"]["token"]["spnego"]["neg_state"], "accept-completed");
  EXPECT_EQ(authenticate["response"]["token"]["spnego"]["mech_list_mic"], kHidden);
  EXPECT_EQ(authenticate["response"]["headers"],
            json::parse(R"([{"name": "WWW-Authenticate", "value": "Negotiate )" + kHidden +
                        R"("}])"));

  // --show-secrets: both MICs, 16 bytes each: version 1, checksum, sequence number 0
  // ([MS-NLMP] 2.2.2.9.1 NTLMSSP_MESSAGE_SIGNATURE with extended session security).
  const CommandResult shown = Request(
      {server.url() + "/", "-u", "CORP\\alice", "--negotiate", "-v", "--show-secrets"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(count(shown.err, kHidden), 0u) << shown.err;
  EXPECT_EQ(count(shown.err, "\n> Authorization: Negotiate oYIB"), 1u) << shown.err;
  std::vector<std::string> mics;
  for (size_t pos = shown.err.find("mechListMIC: 01"); pos != std::string::npos;
       pos = shown.err.find("mechListMIC: 01", pos + 1)) {
    mics.push_back(shown.err.substr(pos + 13, shown.err.find('\n', pos) - pos - 13));
  }
  ASSERT_EQ(mics.size(), 2u) << shown.err;
  for (const std::string& mic : mics) {
    EXPECT_EQ(mic.size(), 32u) << mic;
    EXPECT_EQ(mic.substr(0, 8), "01000000") << mic;
    EXPECT_EQ(mic.substr(24), "00000000") << mic;
    EXPECT_EQ(mic.find_first_not_of("0123456789abcdef"), std::string::npos) << mic;
  }
}

TEST(Request, NegotiateSchemeWithSpnego) {
  ServerProcess server({"--user", kUser, "--scheme", "negotiate"});
  ASSERT_TRUE(server.ok());
  // Without --negotiate the only offer, Negotiate, is taken.
  ExpectEcho(Request({server.url() + "/n", "-u", "CORP\\alice"}), "GET", "/n", "");
  ExpectEcho(Request({server.url() + "/n", "-u", "CORP\\alice", "--negotiate"}), "GET", "/n",
             "");
}

TEST(Request, BothSchemesPicksTheOneAsked) {
  ServerProcess server({"--user", kUser, "--scheme", "both"});
  ASSERT_TRUE(server.ok());
  CommandResult r = Request({server.url() + "/b", "-u", "CORP\\alice", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = Echo(r);
  EXPECT_EQ(j["scheme"], "NTLM");
  EXPECT_EQ(j["outcome"], "completed");
  EXPECT_EQ(j["authenticated"], true);
  ASSERT_EQ(j["legs"].size(), 3u);
  EXPECT_EQ(j["legs"][1]["request"]["scheme"], "NTLM");
  EXPECT_EQ(j["legs"][1]["request"]["token"]["message"], "NEGOTIATE_MESSAGE");

  r = Request({server.url() + "/b", "-u", "CORP\\alice", "--json", "--negotiate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = Echo(r);
  EXPECT_EQ(j["scheme"], "Negotiate");
  EXPECT_EQ(json::parse(j["body"].get<std::string>())["user"], "alice");
}

TEST(Request, PostUrlencodedBodies) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  ExpectEcho(Request({server.url() + "/form", "-u", "CORP\\alice", "--data-urlencode",
                      "name=Alice B", "--data-urlencode", "note=1+1=2 & more"}),
             "POST", "/form", "name=Alice%20B&note=1%2B1%3D2%20%26%20more",
             "application/x-www-form-urlencoded");
  ExpectEcho(Request({server.url() + "/raw", "-u", "CORP\\alice", "--data", "a=1&b=2", "-X",
                      "PUT", "-H", "Content-Type: text/plain"}),
             "PUT", "/raw", "a=1&b=2", "text/plain");
}

TEST(Request, PostMultipartForm) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  const http::MultipartForm form = http::EncodeMultipartForm({{"a", "1"}, {"file", "x\r\ny"}});
  ExpectEcho(Request({server.url() + "/mp", "-u", "CORP\\alice", "--form", "a=1", "--form",
                      "file=x\r\ny"}),
             "POST", "/mp", form.body, form.content_type);
}

// --- credentials and variables ---------------------------------------------------------------

TEST(Request, PasswordSourcesAndVariables) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  ExpectEcho(Request({server.url() + "/p", "-u", "alice", "-d", "CORP", "-p", "Secret1!"}, {}),
             "GET", "/p", "");
  ExpectEcho(Request({server.url() + "/s", "-u", "CORP\\alice", "--password-stdin"}, {},
                     "Secret1!\n"),
             "GET", "/s", "");
  ExpectEcho(Request({"{{BASE}}/v", "-u", "{{DOM}}\\{{WHO}}", "-p", "{{PW}}"},
                     {"BASE=" + server.url(), "DOM=CORP", "WHO=alice", "PW=Secret1!"}),
             "GET", "/v", "");

  CommandResult r = Request({server.url(), "-u", "CORP\\alice", "-p", "{{NOPE_UNSET_VAR}}"}, {});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "ntlmh request: argument 5 at offset 0: {{NOPE_UNSET_VAR}} names the environment "
            "variable NOPE_UNSET_VAR, which is not set\n");
}

TEST(Request, WrongPasswordIsExit1AndNeverPrinted) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  CommandResult r = Request({server.url() + "/w", "-u", "CORP\\alice", "-v"},
                            {"NTLM_PASSWORD=Wrong-Pass-42"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("ntlmh request: authentication failed: the server refused the "
                       "AUTHENTICATE: 401 Unauthorized (X-NTLM-Reject: wrong_proof)\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("Wrong-Pass-42"), std::string::npos);
  // -v shows the three legs decoded.
  EXPECT_NE(r.err.find("> Authorization: NTLM TlRMTVNTUAAB"), std::string::npos);
  EXPECT_NE(r.err.find("< WWW-Authenticate: NTLM TlRMTVNTUAAC"), std::string::npos);
  EXPECT_NE(r.err.find("> Authorization: NTLM (hidden; --show-secrets prints it)"),
            std::string::npos);
  EXPECT_NE(r.err.find("password from NTLM_PASSWORD (not shown)"), std::string::npos);
}

// --har holds the client's responses: the file is private whatever was there before, a
// symbolic link is refused (not followed), and a FIFO is refused without blocking.
TEST(Request, HarFileIsPrivateAndNoLinkIsFollowed) {
  ServerProcess server({"--user", kUser});
  ASSERT_TRUE(server.ok());
  char tmpl[] = "/tmp/ntlmh-request-har-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;

  const std::string existing = dir + "/existing.har";
  std::ofstream(existing) << "old contents that are longer than nothing";
  ASSERT_EQ(chmod(existing.c_str(), 0644), 0);
  CommandResult r = Request({server.url() + "/h", "-u", "CORP\\alice", "--har", existing});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(stat(existing.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(existing);
  const json har = json::parse(in, nullptr, false);
  ASSERT_FALSE(har.is_discarded());
  EXPECT_EQ(har["log"]["version"], "1.2");

  const std::string target = dir + "/target";
  std::ofstream(target) << "keep";
  const std::string link = dir + "/link.har";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  r = Request({server.url() + "/h", "-u", "CORP\\alice", "--har", link});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
  std::ifstream kept(target);
  std::string contents((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "keep");

  const std::string fifo = dir + "/fifo.har";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  r = Request({server.url() + "/h", "-u", "CORP\\alice", "--har", fifo});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;

  std::filesystem::remove_all(dir);
}

TEST(Request, NoRetryPrintsTheChallenge) {
  ServerProcess server({"--user", kUser, "--challenge", "0123456789abcdef"});
  ASSERT_TRUE(server.ok());
  CommandResult r = Request({server.url(), "-u", "CORP\\alice", "--no-retry"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CHALLENGE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0123456789abcdef"), std::string::npos) << r.out;
  CommandResult j = Request({server.url(), "-u", "CORP\\alice", "--no-retry", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json doc = Echo(j);
  EXPECT_EQ(doc["outcome"], "challenge");
  ASSERT_EQ(doc["legs"].size(), 2u);
  EXPECT_EQ(doc["legs"][1]["response"]["token"]["server_challenge"], "0123456789abcdef");
  EXPECT_EQ(doc["body"], nullptr);
}

// --- HTTPS -----------------------------------------------------------------------------------

TEST(Request, HttpsInsecureAndCacertWithChannelBindings) {
  TlsFiles tls;
  ASSERT_TRUE(tls.ok());
  ServerProcess server({"--user", kUser, "--tls-cert", tls.cert(), "--tls-key", tls.key(),
                        "--epa", "require"});
  ASSERT_TRUE(server.ok());
  CommandResult r = Request({server.url() + "/tls", "-u", "CORP\\alice", "--cacert", tls.cert()});
  ExpectEcho(r, "GET", "/tls", "");
  EXPECT_EQ(Echo(r)["channel_bindings"]["present"], true);
  EXPECT_EQ(Echo(r)["channel_bindings"]["valid"], true);
  EXPECT_EQ(Echo(r)["spn"], "HTTP/127.0.0.1");

  ExpectEcho(Request({server.url() + "/tls", "-u", "CORP\\alice", "--insecure", "--data-urlencode",
                      "k=v w"}),
             "POST", "/tls", "k=v%20w");

  r = Request({server.url() + "/tls", "-u", "CORP\\alice"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ntlmh request: error: connection: TLS handshake with 127.0.0.1:" +
                       std::to_string(server.port()) +
                       " failed: certificate verify failed: self-signed certificate (--cacert "
                       "FILE trusts a CA, --insecure skips the check)\n");
}

TEST(Request, HttpsSelfSignedServer) {
  ServerProcess server({"--user", kUser, "--tls-self-signed", "--scheme", "both"});
  ASSERT_TRUE(server.ok());
  ExpectEcho(Request({server.url() + "/ss", "-u", "CORP\\alice", "--insecure", "--negotiate"}),
             "GET", "/ss", "");
}

// --- proxy -----------------------------------------------------------------------------------

TEST(Request, ProxyAuthentication407) {
  ServerProcess server({"--user", kUser, "--proxy"});
  ASSERT_TRUE(server.ok());
  CommandResult r = Request({"http://app.invalid/through?x=1", "-u", "CORP\\alice", "--proxy",
                             server.url(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = Echo(r);
  EXPECT_EQ(j["legs"][0]["response"]["status"], 407);
  EXPECT_EQ(j["legs"][1]["response"]["headers"][0]["name"], "Proxy-Authenticate");
  json echo = json::parse(j["body"].get<std::string>());
  EXPECT_EQ(echo["user"], "alice");
  // ntlmh serve echoes the absolute-form target it was sent (RFC 9112 3.2.2); app.invalid is
  // never resolved: the connection goes to the proxy on 127.0.0.1.
  EXPECT_EQ(echo["path"], "http://app.invalid/through?x=1");
  // Every leg went to the proxy (added field), and "proxy" says no tunnel was used.
  for (const json& leg : j["legs"]) {
    EXPECT_EQ(leg["hop"], "proxy");
  }
  EXPECT_EQ(j["proxy"], (json{{"url", server.url() + "/"},
                              {"tunnel", false},
                              {"scheme", "NTLM"},
                              {"authenticated", true}}));
}

// --- https through a proxy: a CONNECT tunnel (RFC 9110 9.3.6) ------------------------------

// The statuses of the legs of |hop| ("proxy" or "origin"), in order, and their methods.
std::vector<int> HopStatuses(const json& doc, const std::string& hop,
                             std::vector<std::string>* methods = nullptr) {
  std::vector<int> out;
  for (const json& leg : doc["legs"]) {
    if (leg["hop"] == hop) {
      out.push_back(leg["response"].is_null() ? 0 : leg["response"]["status"].get<int>());
      if (methods != nullptr) {
        methods->push_back(leg["request"]["method"].get<std::string>() + " " +
                           leg["request"]["target"].get<std::string>());
      }
    }
  }
  return out;
}

// Two independent NTLM handshakes with the same credentials: the proxy's on the CONNECT
// (407, 407, 200), then the origin's inside the tunnel over TLS (401, 401, 200), whose channel
// bindings come from the origin's certificate (--epa require checks them).
TEST(RequestTunnel, HttpsThroughNtlmProxyAuthenticatesBothHops) {
  ServerProcess origin({"--user", kUser, "--tls-self-signed", "--epa", "require"});
  ServerProcess proxy({"--user", kUser, "--proxy"});
  ASSERT_TRUE(origin.ok() && proxy.ok());
  const std::string authority = "127.0.0.1:" + std::to_string(origin.port());
  CommandResult r = Request({"https://" + authority + "/x", "--proxy", proxy.url(), "--insecure",
                             "-u", "CORP\\alice", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const json doc = Echo(r);
  std::vector<std::string> proxy_requests;
  std::vector<std::string> origin_requests;
  EXPECT_EQ(HopStatuses(doc, "proxy", &proxy_requests), (std::vector<int>{407, 407, 200}));
  EXPECT_EQ(HopStatuses(doc, "origin", &origin_requests), (std::vector<int>{401, 401, 200}));
  EXPECT_EQ(proxy_requests, std::vector<std::string>(3, "CONNECT " + authority));
  EXPECT_EQ(origin_requests, std::vector<std::string>(3, "GET /x"));
  ASSERT_EQ(doc["legs"].size(), 6u);
  EXPECT_EQ(doc["legs"][1]["request"]["scheme"], "NTLM");
  EXPECT_EQ(doc["legs"][1]["response"]["headers"][0]["name"], "Proxy-Authenticate");
  EXPECT_EQ(doc["legs"][2]["response"]["reason"], "Connection established");
  EXPECT_EQ(doc["legs"][4]["response"]["headers"][0]["name"], "WWW-Authenticate");
  EXPECT_NE(doc["legs"][0]["connection"], doc["legs"][3]["connection"]);
  EXPECT_EQ(doc["status"], 200);
  EXPECT_EQ(doc["scheme"], "NTLM");
  EXPECT_EQ(doc["authenticated"], true);
  EXPECT_EQ(doc["proxy"], (json{{"url", proxy.url() + "/"},
                                {"tunnel", true},
                                {"scheme", "NTLM"},
                                {"authenticated", true}}));
  const json echo = json::parse(doc["body"].get<std::string>());
  EXPECT_EQ(echo["user"], "alice");
  EXPECT_EQ(echo["path"], "/x");
  EXPECT_EQ(echo["spn"], "HTTP/127.0.0.1");
  EXPECT_EQ(echo["channel_bindings"], (json{{"present", true}, {"valid", true}}));

  // -v marks which hop each connection's legs go to, and still hides the responses.
  CommandResult v = Request({"https://" + authority + "/v", "--proxy", proxy.url(), "--insecure",
                             "-u", "CORP\\alice", "-v"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(json::parse(v.out)["path"], "/v");
  EXPECT_NE(v.err.find(" (proxy: CONNECT)\n> CONNECT " + authority + " HTTP/1.1\n"),
            std::string::npos)
      << v.err;
  EXPECT_NE(v.err.find(" (origin: TLS inside the CONNECT tunnel)\n> GET /v HTTP/1.1\n"),
            std::string::npos)
      << v.err;
  EXPECT_NE(v.err.find("> Proxy-Authorization: NTLM (hidden; --show-secrets prints it)"),
            std::string::npos);
  EXPECT_NE(v.err.find("> Authorization: NTLM (hidden; --show-secrets prints it)"),
            std::string::npos);
  EXPECT_EQ(v.err.find("TlRMTVNTUAAD"), std::string::npos);

  // --har: the CONNECTs under the proxy's URL (plain HTTP), the origin's legs under the https
  // URL, each entry's hop in the custom field _hop.
  char tmpl[] = "/tmp/ntlmh-request-tunnel-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string har_path = std::string(tmpl) + "/t.har";
  CommandResult h = Request({"https://" + authority + "/h", "--proxy", proxy.url(), "--insecure",
                             "-u", "CORP\\alice", "--har", har_path});
  EXPECT_EQ(h.exit_code, 0) << h.err;
  std::ifstream in(har_path);
  const json har = json::parse(in, nullptr, false);
  std::filesystem::remove_all(tmpl);
  ASSERT_FALSE(har.is_discarded());
  std::vector<std::string> entries;
  for (const json& e : har["log"]["entries"]) {
    entries.push_back(e["_hop"].get<std::string>() + " " +
                      e["request"]["method"].get<std::string>() + " " +
                      e["request"]["url"].get<std::string>());
  }
  const std::string at_proxy = "proxy CONNECT " + proxy.url() + "/";
  const std::string at_origin = "origin GET https://" + authority + "/h";
  EXPECT_EQ(entries, (std::vector<std::string>{at_proxy, at_proxy, at_proxy, at_origin, at_origin,
                                               at_origin}));
}

TEST(RequestTunnel, WrongPasswordFailsAtTheProxy) {
  ServerProcess origin({"--user", kUser, "--tls-self-signed"});
  ServerProcess proxy({"--user", kUser, "--proxy"});
  ASSERT_TRUE(origin.ok() && proxy.ok());
  CommandResult r =
      Request({"https://127.0.0.1:" + std::to_string(origin.port()) + "/x", "--proxy",
               proxy.url(), "--insecure", "-u", "CORP\\alice", "--json"},
              {"NTLM_PASSWORD=Wrong-Pass-42"});
  EXPECT_EQ(r.exit_code, 1);
  const json doc = Echo(r);
  EXPECT_EQ(doc["outcome"], "refused");
  EXPECT_EQ(doc["message"],
            "authentication failed at the proxy: the server refused the AUTHENTICATE: 407 Proxy "
            "Authentication Required (X-NTLM-Reject: wrong_proof)");
  EXPECT_EQ(HopStatuses(doc, "proxy"), (std::vector<int>{407, 407, 407}));
  EXPECT_EQ(HopStatuses(doc, "origin"), std::vector<int>{});
  EXPECT_EQ(r.out.find("Wrong-Pass-42"), std::string::npos);
  EXPECT_EQ(r.err,
            "ntlmh request: authentication failed at the proxy: the server refused the "
            "AUTHENTICATE: 407 Proxy Authentication Required (X-NTLM-Reject: wrong_proof)\n");
}

// A CONNECT the proxy refuses (not 2xx, not 407) is an error naming the status: a name that is
// not loopback is refused by the mock proxy without resolving it (app.invalid never leaves
// 127.0.0.1), a loopback port nobody listens on is a 502.
TEST(RequestTunnel, RefusedConnectNamesTheStatus) {
  ServerProcess proxy({"--user", kUser, "--proxy"});
  ASSERT_TRUE(proxy.ok());
  CommandResult r = Request({"https://app.invalid/x", "--proxy", proxy.url(), "--insecure", "-u",
                             "CORP\\alice"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "ntlmh request: error: proxy: the proxy 127.0.0.1:" +
                       std::to_string(proxy.port()) +
                       " refused CONNECT app.invalid:443: 403 Forbidden\n");

  // Port 1 of 127.0.0.1: nothing listens there in the test environment.
  r = Request({"https://127.0.0.1:1/x", "--proxy", proxy.url(), "--insecure", "-u",
               "CORP\\alice", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  const json doc = Echo(r);
  EXPECT_EQ(doc["status"], 502);
  EXPECT_EQ(HopStatuses(doc, "proxy"), (std::vector<int>{407, 407, 502}));
  EXPECT_EQ(doc["message"], "error: proxy: the proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                " refused CONNECT 127.0.0.1:1: 502 Bad Gateway");
}

// --- faults of ntlmh serve (mock_server/README.md) ------------------------------------------

CommandResult AgainstFault(const std::string& fault, std::vector<std::string> extra = {},
                           std::vector<std::string> env = kPasswordEnv) {
  std::vector<std::string> args = {"--user", kUser, "--fault", fault};
  if (fault == "combined-header") {
    args.insert(args.end(), {"--scheme", "both"});
  }
  ServerProcess server(args);
  EXPECT_TRUE(server.ok());
  std::vector<std::string> req = {server.url() + "/f", "-u", "CORP\\alice"};
  req.insert(req.end(), extra.begin(), extra.end());
  return Request(req, env);
}

TEST(RequestFaults, CloseAfterChallengeIsOneClearError) {
  CommandResult r = AgainstFault("close-after-challenge");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "ntlmh request: error: connection at offset 0: the server closed the connection "
            "after its CHALLENGE (Connection: close); NTLM authenticates one connection, so the "
            "handshake cannot finish [MS-NTHT 3.1.5.1]\n");
}

TEST(RequestFaults, BareSecondLegIsAuthFailure) {
  CommandResult r = AgainstFault("bare-second-leg", {"--json"});
  EXPECT_EQ(r.exit_code, 1);
  json j = Echo(r);
  EXPECT_EQ(j["outcome"], "refused");
  EXPECT_EQ(j["legs"].size(), 2u);
  EXPECT_EQ(j["legs"][1]["response"]["token"], nullptr);
  EXPECT_EQ(r.err,
            "ntlmh request: authentication failed: the server answered the NEGOTIATE with a "
            "bare 'NTLM' (no CHALLENGE): it refused the NEGOTIATE [MS-NTHT 3.1.5.1]\n");
}

TEST(RequestFaults, CombinedHeaderBothSchemesWork) {
  CommandResult r = AgainstFault("combined-header");
  ExpectEcho(r, "GET", "/f", "");
  r = AgainstFault("combined-header", {"--negotiate"});
  ExpectEcho(r, "GET", "/f", "");
}

TEST(RequestFaults, SkipMicAndSameChallengeStillLogIn) {
  ExpectEcho(AgainstFault("skip-mic"), "GET", "/f", "");
  ExpectEcho(AgainstFault("same-challenge"), "GET", "/f", "");
  ExpectEcho(AgainstFault("oem-only"), "GET", "/f", "");
}

TEST(RequestFaults, AnyPasswordAcceptsTheWrongOne) {
  CommandResult r = AgainstFault("any-password", {}, {"NTLM_PASSWORD=not-it"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Echo(r)["user"], "alice");
}

TEST(RequestFaults, BrokenChallenges) {
  // The client answers a CHALLENGE without target info (or with an empty one) with its own
  // timestamp; the server, which issued one, refuses: an authentication failure, exit 1.
  const std::string refused =
      "ntlmh request: authentication failed: the server refused the AUTHENTICATE: 401 "
      "Unauthorized (X-NTLM-Reject: timestamp_mismatch)\n";
  CommandResult r = AgainstFault("legacy-challenge");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, refused);
  r = AgainstFault("empty-target-info");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, refused);
  // The engine's client refuses to echo a 40 KB target info: a protocol error, exit 2.
  r = AgainstFault("huge-target-info");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "ntlmh request: error: CHALLENGE.TargetInfoFields at offset 40: target info of 40118 "
            "bytes exceeds the client's limit of 8192 [MS-NLMP 3.1.5.1.2]\n");
  r = AgainstFault("offset-past-end");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "ntlmh request: error: CHALLENGE.TargetInfoFields.BufferOffset at offset 44: Len 114 "
            "at BufferOffset 438 runs past the end of the 182-byte message [MS-NLMP 2.2.1.2]\n");
  EXPECT_EQ(r.out, "");
}

// --- usage -----------------------------------------------------------------------------------

TEST(RequestUsage, Errors) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const Case cases[] = {
      {{}, "ntlmh request: a URL is required (--help shows the options)\n"},
      {{"http://127.0.0.1:1/"}, "ntlmh request: -u [DOMAIN\\]USER is required\n"},
      {{"ftp://x/", "-u", "a"},
       "ntlmh request: url at offset 0: scheme 'ftp' is not http or https [RFC 3986 3]\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-H", "X-A"},
       "ntlmh request: -H 'X-A' at offset 0: expected 'Name: value'\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-H", "Authorization: NTLM x"},
       "ntlmh request: -H Authorization: ntlmh request writes this header itself\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "--data", "x", "--form", "k=v"},
       "ntlmh request: --data, --data-urlencode and --form exclude each other\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "--form", "kv"},
       "ntlmh request: --form 'kv': expected NAME=VALUE\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "--insecure", "--cacert", "x"},
       "ntlmh request: --insecure and --cacert exclude each other\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-p", "x", "--password-stdin"},
       "ntlmh request: -p and --password-stdin exclude each other\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-p", "x", "--min-client-sec", "0x20000010"},
       "ntlmh request: --min-client-sec wants a mask of 0x20000000|0x00080000 or "
       "128bit,ntlmv2-session\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-p", "x", "--min-client-sec", "-1"},
       "ntlmh request: --min-client-sec wants a mask of 0x20000000|0x00080000 or "
       "128bit,ntlmv2-session\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-p", "x", "--min-client-sec", "128bit,strong"},
       "ntlmh request: --min-client-sec wants a mask of 0x20000000|0x00080000 or "
       "128bit,ntlmv2-session\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.err);
    CommandResult r = Request(c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, c.err);
  }
  CommandResult r = Request({"http://127.0.0.1:1/", "-u", "a"}, {});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ntlmh request: no password: give -p, --password-stdin or NTLM_PASSWORD\n");

  // Bad UTF-8 in a name or the password is the caller's: refused before anything is sent
  // (port 1 is never connected to), naming the option, and never showing the password.
  const struct {
    std::vector<std::string> args;
    std::string err;
  } bad_utf8[] = {
      {{"http://127.0.0.1:1/", "-u", "DEMO\\\xc3\xbc\xff", "-p", "x"},
       "ntlmh request: -u at offset 7: byte 0xFF never appears in UTF-8 [RFC 3629]\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-d", "\xc3", "-p", "x"},
       "ntlmh request: -d at offset 0: truncated sequence: lead byte 0xC3 needs 1 continuation "
       "byte, the input has 0 [RFC 3629]\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-w", "w\x80", "-p", "x"},
       "ntlmh request: -w at offset 1: unexpected continuation byte 0x80 [RFC 3629]\n"},
      {{"http://127.0.0.1:1/", "-u", "a", "-p", "s\xff" "cret"},
       "ntlmh request: the password (-p) is not valid UTF-8\n"},
  };
  for (const auto& c : bad_utf8) {
    SCOPED_TRACE(c.err);
    CommandResult b = Request(c.args, {});
    EXPECT_EQ(b.exit_code, 2);
    EXPECT_EQ(b.out, "");
    EXPECT_EQ(b.err, c.err);
  }
}

}  // namespace
}  // namespace ntlmh::testing
