// The streaming server with TLS, against certificates the openssl command line makes for the
// test: server authentication, client certificates, and reloading replaced files.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "crio/streaming/server.h"
#include "server_test_util.h"
#include "streaming/websocket_client.h"

namespace crio::streaming {
namespace {

using testing::OutputFile;
using testing::ProcessBackend;
using testing::TempDir;

// A CA and a certificate it signed for 127.0.0.1, in `dir` (ca.crt, server.crt, server.key,
// client.crt, client.key).
bool MakeCertificates(const std::string& dir) {
  std::string script = StrCat(
      "set -e; cd '", dir, "'; ",
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=test-ca -keyout ca.key -out ca.crt; ",
      "for who in server client; do ",
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$who "
      "-keyout $who.key -out $who.csr; done; ",
      "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext; ",
      "printf 'extendedKeyUsage=clientAuth\\n' > client.ext; ", "for who in server client; do ",
      "openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 "
      "-extfile $who.ext -out $who.crt; done",
      " >/dev/null 2>&1");
  return system(script.c_str()) == 0;
}

// Replaces `to` with `from` the way a certificate manager does: write aside, then rename.
void Replace(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to + ".new", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(to + ".new", to);
}

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MakeCertificates(first_.path()));
    ASSERT_TRUE(MakeCertificates(second_.path()));
    std::filesystem::copy_file(first_.File("server.crt"), live_.File("server.crt"));
    std::filesystem::copy_file(first_.File("server.key"), live_.File("server.key"));
    std::filesystem::copy_file(first_.File("ca.crt"), live_.File("ca.crt"));
  }

  void Start(bool verify_clients) {
    ServerOptions options{.enable_tls = true,
                          .tls_cert = live_.File("server.crt"),
                          .tls_key = live_.File("server.key")};
    if (verify_clients) options.tls_ca = live_.File("ca.crt");
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options, backend_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  absl::StatusOr<int> Exec(const WebSocketClientOptions& options, std::string* output) {
    StreamFlags flags{.stdout = true, .stderr = true};
    absl::StatusOr<std::string> url =
        server_->ExecUrl(ExecRequest{"ctr", {"/bin/sh", "-c", "echo secure"}, flags});
    if (!url.ok()) return url.status();
    OutputFile out;
    absl::StatusOr<int> result =
        RunRemoteCommandWebSocket(*url, flags, -1, out.fd(), out.fd(), {}, options);
    *output = out.Contents();
    return result;
  }

  TempDir first_, second_, live_;
  ProcessBackend backend_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTlsTest, ServesExecOverTls) {
  Start(/*verify_clients=*/false);
  EXPECT_EQ(server_->BaseUrl().rfind("https://127.0.0.1:", 0), 0u);
  std::string output;
  absl::StatusOr<int> result = Exec({.tls_ca = first_.File("ca.crt")}, &output);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(output, "secure\n");
}

TEST_F(ServerTlsTest, ClientRejectsAServerItDoesNotTrust) {
  Start(/*verify_clients=*/false);
  std::string output;
  absl::StatusOr<int> result = Exec({.tls_ca = second_.File("ca.crt")}, &output);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(backend_.finished, 0);
}

TEST_F(ServerTlsTest, ClientCertificateRequiredWithCa) {
  Start(/*verify_clients=*/true);
  std::string output;
  absl::StatusOr<int> without = Exec({.tls_ca = first_.File("ca.crt")}, &output);
  EXPECT_FALSE(without.ok());
  absl::StatusOr<int> foreign = Exec({.tls_ca = first_.File("ca.crt"),
                                      .tls_cert = second_.File("client.crt"),
                                      .tls_key = second_.File("client.key")},
                                     &output);
  EXPECT_FALSE(foreign.ok());
  absl::StatusOr<int> with = Exec({.tls_ca = first_.File("ca.crt"),
                                   .tls_cert = first_.File("client.crt"),
                                   .tls_key = first_.File("client.key")},
                                  &output);
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(output, "secure\n");
}

TEST_F(ServerTlsTest, ReplacedCertificateIsUsedForNewConnections) {
  Start(/*verify_clients=*/false);
  std::string output;
  ASSERT_TRUE(Exec({.tls_ca = first_.File("ca.crt")}, &output).ok());
  Replace(second_.File("server.key"), live_.File("server.key"));
  Replace(second_.File("server.crt"), live_.File("server.crt"));
  absl::StatusOr<int> renewed = Exec({.tls_ca = second_.File("ca.crt")}, &output);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(output, "secure\n");
  EXPECT_FALSE(Exec({.tls_ca = first_.File("ca.crt")}, &output).ok());
}

TEST_F(ServerTlsTest, BrokenReplacementKeepsThePreviousCertificate) {
  Start(/*verify_clients=*/false);
  std::string output;
  // A certificate without its key: the reload fails and the old pair stays in use.
  Replace(second_.File("server.crt"), live_.File("server.crt"));
  absl::StatusOr<int> result = Exec({.tls_ca = first_.File("ca.crt")}, &output);
  ASSERT_TRUE(result.ok()) << result.status();
  // Once the key follows, the new pair is taken.
  Replace(second_.File("server.key"), live_.File("server.key"));
  result = Exec({.tls_ca = second_.File("ca.crt")}, &output);
  ASSERT_TRUE(result.ok()) << result.status();
}

TEST_F(ServerTlsTest, StartFailsWithoutUsableFiles) {
  ServerOptions options{.enable_tls = true,
                        .tls_cert = live_.File("missing.crt"),
                        .tls_key = live_.File("server.key")};
  EXPECT_FALSE(Server::Start(options, backend_).ok());
  options.tls_cert = second_.File("server.crt");  // does not match the key
  EXPECT_FALSE(Server::Start(options, backend_).ok());
}

}  // namespace
}  // namespace crio::streaming
