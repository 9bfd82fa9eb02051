// Registry token authentication for real: docker-registry with `auth: token:` trusting the
// tokens our TokenServer signs, pulled from by the Puller, a RegistryClient and the daemon:
// anonymous and password token flows, identity tokens (OAuth2 refresh_token), registry tokens,
// expiry, and docker credential helpers named in credentials files.
#include "daemon.h"  // first: see daemon.h

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "crio/common/encoding.h"
#include "crio/common/subprocess.h"
#include "crio/image/puller.h"
#include "registry.h"
#include "token_server.h"

namespace crio::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "Alice-s3cret";
constexpr const char* kIdentityToken = "alice-refresh-7d1e4c";

image::Credentials Password(const std::string& user, const std::string& password) {
  image::Credentials credentials;
  credentials.username = user;
  credentials.password = password;
  return credentials;
}
image::Credentials IdentityToken(const std::string& token) {
  image::Credentials credentials;
  credentials.identity_token = token;
  return credentials;
}
image::Credentials RegistryToken(const std::string& token) {
  image::Credentials credentials;
  credentials.registry_token = token;
  return credentials;
}

class ImageAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokens_ = std::make_unique<TokenServer>();
    tokens_->AddUser("pusher", "Push-s3cret", {"*"});
    tokens_->AddUser(kUser, kPassword, {"private/busybox"});
    tokens_->AddRefreshToken(kIdentityToken, kUser);
    tokens_->SetPublic("public/busybox");
    registry_ = std::make_unique<LocalRegistry>(RegistryOptions{
        .user = "pusher", .password = "Push-s3cret", .token_auth = tokens_->registry_auth()});
    registry_->PushBusybox("public/busybox", "1");
    registry_->PushBusybox("private/busybox", "1");
  }
  static void TearDownTestSuite() {
    registry_.reset();
    tokens_.reset();
  }

  void SetUp() override {
    tokens_->SetLifetime(300);
    storage::StoreOptions options;
    options.root = dir_.path() / "root";
    options.runroot = dir_.path() / "runroot";
    store_ = std::move(*storage::Store::Open(options));
    helpers_ = dir_.path() / "helpers";
    std::filesystem::create_directories(helpers_);
  }
  void TearDown() override {
    EXPECT_TRUE(store_->Shutdown().ok());
    EXPECT_EQ(UnmountAllBelow(dir_.path()), 0);
  }

  std::unique_ptr<image::Puller> MakePuller(image::SystemContext context = {}) {
    image::RegistriesConf conf;
    EXPECT_TRUE(image::MergeRegistriesToml(Insecure(), "registries.conf", conf).ok());
    context.temporary_dir = dir_.path();
    return std::make_unique<image::Puller>(
        *store_, conf,
        *image::Policy::Parse(R"({"default":[{"type":"insecureAcceptAnything"}]})", "policy.json"),
        context);
  }
  static std::string Insecure() {
    return "[[registry]]\nlocation = \"" + registry_->host() + "\"\ninsecure = true\n";
  }
  static std::string Public() { return registry_->host() + "/public/busybox:1"; }
  static std::string Private() { return registry_->host() + "/private/busybox:1"; }

  // Token requests since `from`.
  static std::vector<TokenServer::Request> RequestsSince(size_t from) {
    std::vector<TokenServer::Request> all = tokens_->Requests();
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(from, all.size())), all.end()};
  }

  // docker-credential-<name> in helpers_: records its argument and stdin, prints `answer` and
  // exits with `status`.
  std::filesystem::path WriteHelper(const std::string& name, const std::string& answer,
                                    int status) {
    std::filesystem::path asked = helpers_ / (name + ".asked");
    std::filesystem::path script = dir_.Write(
        "helpers/docker-credential-" + name,
        "#!/bin/sh\nprintf '%s ' \"$*\" > " + asked.string() + "\ncat >> " + asked.string() +
            "\nprintf '%s' '" + answer + "'\nexit " + std::to_string(status) + "\n");
    ::chmod(script.c_str(), 0755);
    return asked;
  }
  std::string PathWithHelpers() const {
    const char* path = std::getenv("PATH");
    return helpers_.string() + ":" + (path != nullptr ? path : "/usr/bin:/bin");
  }
  // A credentials file whose credHelpers entry for the registry names `helper`.
  std::filesystem::path HelperAuthFile(const std::string& file, const std::string& helper) {
    nlohmann::json json;
    json["credHelpers"][registry_->host()] = helper;
    return dir_.Write(file, json.dump());
  }

  static std::unique_ptr<TokenServer> tokens_;
  static std::unique_ptr<LocalRegistry> registry_;
  TempDir dir_;
  std::filesystem::path helpers_;
  std::unique_ptr<storage::Store> store_;
};

std::unique_ptr<TokenServer> ImageAuthTest::tokens_;
std::unique_ptr<LocalRegistry> ImageAuthTest::registry_;

TEST_F(ImageAuthTest, AnonymousPullOfAPublicRepositoryThroughABearerToken) {
  size_t before = tokens_->Requests().size();
  absl::StatusOr<std::string> id = MakePuller()->Pull(Public());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(store_->images().Get(Public()).ok());
  std::vector<TokenServer::Request> requests = RequestsSince(before);
  ASSERT_FALSE(requests.empty());
  for (const TokenServer::Request& request : requests) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.basic_user, "");
    EXPECT_EQ(request.parameters.count("account"), 0u);
    EXPECT_EQ(request.parameters.at("service"), "crio-test-registry");
    EXPECT_EQ(request.parameters.at("scope"), "repository:public/busybox:pull");
  }

  // The private repository is not for anonymous users: the registry refuses the token.
  absl::StatusOr<std::string> denied = MakePuller()->Pull(Private());
  ASSERT_TRUE(absl::IsUnauthenticated(denied.status())) << denied.status();
  EXPECT_THAT(std::string(denied.status().message()),
              HasSubstr("denied access to private/busybox (HTTP 401): no credentials"));
}

TEST_F(ImageAuthTest, PasswordThroughTheTokenFlowAndWrongPasswordIsClear) {
  size_t before = tokens_->Requests().size();
  absl::StatusOr<std::string> id = MakePuller()->Pull(Private(), Password(kUser, kPassword));
  ASSERT_TRUE(id.ok()) << id.status();
  std::vector<TokenServer::Request> requests = RequestsSince(before);
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].basic_user, kUser);
  EXPECT_EQ(requests[0].parameters.at("account"), kUser);
  EXPECT_EQ(requests[0].parameters.at("scope"), "repository:private/busybox:pull");

  ASSERT_TRUE(store_->RemoveImage(Private()).ok());
  absl::StatusOr<std::string> wrong =
      MakePuller()->Pull(Private(), Password(kUser, "Not-the-s3cret"));
  ASSERT_TRUE(absl::IsUnauthenticated(wrong.status())) << wrong.status();
  std::string message(wrong.status().message());
  EXPECT_THAT(message, HasSubstr("the token service of registry " + registry_->host() +
                                 " rejected the credentials from the request's AuthConfig"));
  EXPECT_THAT(message, Not(HasSubstr("Not-the-s3cret")));
  EXPECT_THAT(message, Not(HasSubstr(kUser)));
  EXPECT_FALSE(store_->images().Get(Private()).ok());

  // A user the token service knows, asking for a repository it grants that user nothing of.
  absl::StatusOr<std::string> other = MakePuller()->Pull(
      registry_->host() + "/private/busybox-other:1", Password(kUser, kPassword));
  EXPECT_TRUE(absl::IsUnauthenticated(other.status())) << other.status();
}

TEST_F(ImageAuthTest, ExpiredTokenIsRenewedOnTheNext401) {
  tokens_->SetLifetime(3);
  image::RegistryClient client(registry_->host(), /*insecure=*/true, Password(kUser, kPassword));
  size_t before = tokens_->Requests().size();
  absl::StatusOr<image::Manifest> first = client.GetManifest("private/busybox", "1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(RequestsSince(before).size(), 1u);
  // Still valid: used again without asking.
  ASSERT_TRUE(client.GetManifest("private/busybox", first->digest).ok());
  EXPECT_EQ(RequestsSince(before).size(), 1u);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  absl::StatusOr<image::Manifest> again = client.GetManifest("private/busybox", first->digest);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(RequestsSince(before).size(), 2u);

  // A whole pull with tokens that go stale while it runs still completes.
  tokens_->SetLifetime(2);
  absl::StatusOr<std::string> id = MakePuller()->Pull(Private(), Password(kUser, kPassword));
  ASSERT_TRUE(id.ok()) << id.status();
}

TEST_F(ImageAuthTest, RegistryTokenGivenDirectly) {
  std::string token = tokens_->Issue(kUser, "repository:private/busybox:pull");
  size_t before = tokens_->Requests().size();
  absl::StatusOr<std::string> id = MakePuller()->Pull(Private(), RegistryToken(token));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(RequestsSince(before).empty());  // the token service is not asked

  ASSERT_TRUE(store_->RemoveImage(Private()).ok());
  // A token without access to the repository is refused as it is, not exchanged.
  std::string useless = tokens_->Issue("", "repository:private/busybox:pull");
  absl::StatusOr<std::string> refused = MakePuller()->Pull(Private(), RegistryToken(useless));
  ASSERT_TRUE(absl::IsUnauthenticated(refused.status())) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("rejected the registry token from the request's AuthConfig"));
  EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr(useless)));
  EXPECT_TRUE(RequestsSince(before).empty());
}

TEST_F(ImageAuthTest, IdentityTokenIsExchangedWithTheOAuth2RefreshGrant) {
  size_t before = tokens_->Requests().size();
  absl::StatusOr<std::string> id = MakePuller()->Pull(Private(), IdentityToken(kIdentityToken));
  ASSERT_TRUE(id.ok()) << id.status();
  std::vector<TokenServer::Request> requests = RequestsSince(before);
  ASSERT_FALSE(requests.empty());
  for (const TokenServer::Request& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.basic_user, "");
    EXPECT_EQ(request.parameters.at("grant_type"), "refresh_token");
    EXPECT_EQ(request.parameters.at("refresh_token"), kIdentityToken);
    EXPECT_EQ(request.parameters.at("client_id"), "containers/image");
    EXPECT_EQ(request.parameters.at("service"), "crio-test-registry");
    EXPECT_EQ(request.parameters.at("scope"), "repository:private/busybox:pull");
  }

  ASSERT_TRUE(store_->RemoveImage(Private()).ok());
  absl::StatusOr<std::string> rejected =
      MakePuller()->Pull(Private(), IdentityToken("revoked-refresh-token"));
  ASSERT_TRUE(absl::IsUnauthenticated(rejected.status())) << rejected.status();
  std::string message(rejected.status().message());
  EXPECT_THAT(message, HasSubstr("rejected the identity token from the request's AuthConfig "
                                 "(HTTP 400: invalid_grant)"));
  EXPECT_THAT(message, Not(HasSubstr("revoked-refresh-token")));

  // From a credentials file, the way docker login writes it: "auth" of "user:" beside it.
  nlohmann::json json;
  json["auths"][registry_->host()] = {{"auth", Base64Encode(std::string(kUser) + ":")},
                                      {"identitytoken", kIdentityToken}};
  image::SystemContext context;
  context.auth_file = dir_.Write("auth.json", json.dump());
  before = tokens_->Requests().size();
  id = MakePuller(context)->Pull(Private());
  ASSERT_TRUE(id.ok()) << id.status();
  requests = RequestsSince(before);
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].parameters.at("refresh_token"), kIdentityToken);
}

// An identity token the way docker login gets one: the password grant with
// access_type=offline returns a refresh token, which then pulls without the password.
TEST_F(ImageAuthTest, RefreshTokenFromThePasswordGrantPulls) {
  absl::StatusOr<CommandResult> login = RunCommand(
      {"curl", "-sS", "-X", "POST", "-d", "grant_type=password", "-d",
       std::string("username=") + kUser, "-d", std::string("password=") + kPassword, "-d",
       "service=crio-test-registry", "-d", "client_id=crio-test", "-d", "access_type=offline", "-d",
       "scope=repository:private/busybox:pull", tokens_->realm()});
  ASSERT_TRUE(login.ok() && login->exit_code == 0) << (login.ok() ? login->err : "");
  nlohmann::json answer = nlohmann::json::parse(login->out, nullptr, false);
  ASSERT_TRUE(answer.is_object() && answer.contains("refresh_token")) << login->out;
  EXPECT_TRUE(answer.contains("access_token"));
  EXPECT_TRUE(answer.contains("expires_in"));
  std::string refresh = answer["refresh_token"];
  absl::StatusOr<std::string> id = MakePuller()->Pull(Private(), IdentityToken(refresh));
  ASSERT_TRUE(id.ok()) << id.status();
}

TEST_F(ImageAuthTest, CredentialHelperNamedInTheAuthFile) {
  ScopedEnv path("PATH", PathWithHelpers());
  image::SystemContext context;
  context.auth_file = HelperAuthFile("helper.json", "crio-test");

  // Username and secret from the helper.
  std::filesystem::path asked =
      WriteHelper("crio-test",
                  R"({"ServerURL":")" + registry_->host() + R"(","Username":"alice","Secret":")" +
                      kPassword + R"("})",
                  0);
  size_t before = tokens_->Requests().size();
  absl::StatusOr<std::string> id = MakePuller(context)->Pull(Private());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(ReadAll(asked), "get " + registry_->host());
  ASSERT_FALSE(RequestsSince(before).empty());
  EXPECT_EQ(RequestsSince(before)[0].basic_user, kUser);

  // "<token>" means an identity token.
  ASSERT_TRUE(store_->RemoveImage(Private()).ok());
  WriteHelper("crio-test",
              std::string(R"({"Username":"<token>","Secret":")") + kIdentityToken + R"("})", 0);
  before = tokens_->Requests().size();
  id = MakePuller(context)->Pull(Private());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_FALSE(RequestsSince(before).empty());
  EXPECT_EQ(RequestsSince(before)[0].parameters.at("refresh_token"), kIdentityToken);

  // A helper whose password is wrong: the error names the helper and the file.
  ASSERT_TRUE(store_->RemoveImage(Private()).ok());
  WriteHelper("crio-test", R"({"Username":"alice","Secret":"Wrong-helper-pass"})", 0);
  absl::StatusOr<std::string> wrong = MakePuller(context)->Pull(Private());
  ASSERT_TRUE(absl::IsUnauthenticated(wrong.status())) << wrong.status();
  EXPECT_THAT(std::string(wrong.status().message()),
              HasSubstr("credential helper docker-credential-crio-test (credHelpers entry for " +
                        registry_->host() + " in " + context.auth_file.string() + ")"));
  EXPECT_THAT(std::string(wrong.status().message()), Not(HasSubstr("Wrong-helper-pass")));
}

TEST_F(ImageAuthTest, CredentialHelperWithNothingMissingOrFailing) {
  ScopedEnv path("PATH", PathWithHelpers());
  image::SystemContext context;

  // "Not found" means no credentials from it: public images pull anonymously.
  WriteHelper("empty", "credentials not found in native keychain", 1);
  context.auth_file = HelperAuthFile("empty.json", "empty");
  absl::StatusOr<std::string> id = MakePuller(context)->Pull(Public());
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<std::string> denied = MakePuller(context)->Pull(Private());
  ASSERT_TRUE(absl::IsUnauthenticated(denied.status())) << denied.status();
  EXPECT_THAT(std::string(denied.status().message()), HasSubstr("no credentials"));

  // A helper that is not installed is an error, not an anonymous pull.
  ASSERT_TRUE(store_->RemoveImage(Public()).ok());
  context.auth_file = HelperAuthFile("missing.json", "not-installed");
  absl::StatusOr<std::string> missing = MakePuller(context)->Pull(Public());
  ASSERT_TRUE(absl::IsFailedPrecondition(missing.status())) << missing.status();
  EXPECT_THAT(
      std::string(missing.status().message()),
      HasSubstr("credential helper docker-credential-not-installed (credHelpers entry "
                "for " +
                registry_->host() + " in " + context.auth_file.string() + ") is not in $PATH"));

  // A helper that fails otherwise is an error quoting it.
  WriteHelper("broken", "keychain is locked", 3);
  context.auth_file = HelperAuthFile("broken.json", "broken");
  absl::StatusOr<std::string> broken = MakePuller(context)->Pull(Public());
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(std::string(broken.status().message()),
              HasSubstr("credential helper docker-credential-broken failed (exit code 3): "
                        "keychain is locked"));
  EXPECT_FALSE(store_->images().Get(Public()).ok());
}

// The daemon: crioctl pull --creds, AuthConfig.identity_token over gRPC, and a credential
// helper found in the daemon's PATH through global_auth_file.
TEST_F(ImageAuthTest, ThroughTheDaemonAndCrioctl) {
  WriteHelper("daemon-test", std::string(R"({"Username":"alice","Secret":")") + kPassword + "\"}",
              0);
  std::filesystem::path policy =
      dir_.Write("policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
  std::filesystem::path registries = dir_.Write("registries.conf", Insecure());
  std::filesystem::path auth_file = HelperAuthFile("daemon-auth.json", "daemon-test");
  std::map<std::string, std::string> env = {{"CONTAINERS_REGISTRIES_CONF", registries.string()},
                                            {"PATH", PathWithHelpers()}};
  auto daemon =
      std::make_unique<Daemon>("[crio.image]\nsignature_policy = \"" + policy.string() + "\"\n",
                               std::vector<std::string>{"--log-level", "debug"}, env);
  daemon->Start();
  auto crioctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CrioctlBinary(), "-r", daemon->endpoint()});
    return crio::testing::Run(args, std::chrono::seconds(120));
  };

  RunResult anonymous = crioctl({"pull", Private()});
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_THAT(anonymous.output, HasSubstr("UNAUTHENTICATED"));
  RunResult wrong = crioctl({"pull", "--creds", std::string(kUser) + ":Wrong-pass", Private()});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.output, HasSubstr("rejected the credentials from the request's AuthConfig"));
  RunResult pulled = crioctl({"pull", "--creds", std::string(kUser) + ":" + kPassword, Private()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon->Log();
  ASSERT_EQ(crioctl({"rmi", Private()}).exit_code, 0);

  size_t before = tokens_->Requests().size();
  runtime::v1::PullImageRequest request;
  request.mutable_image()->set_image(Private());
  request.mutable_auth()->set_identity_token(kIdentityToken);
  runtime::v1::PullImageResponse response;
  grpc::Status status =
      daemon->image().PullImage(Context(std::chrono::seconds(60)).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(RequestsSince(before).empty());
  EXPECT_EQ(RequestsSince(before)[0].method, "POST");
  ASSERT_EQ(crioctl({"rmi", Private()}).exit_code, 0);

  request.mutable_auth()->set_identity_token("revoked-refresh-token");
  status = daemon->image().PullImage(Context(std::chrono::seconds(60)).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("rejected the identity token"));

  std::vector<std::string> logs = {daemon->Log()};

  // global_auth_file with a credHelpers entry: the helper runs from the daemon's PATH.
  daemon = std::make_unique<Daemon>("[crio.image]\nsignature_policy = \"" + policy.string() +
                                        "\"\nglobal_auth_file = \"" + auth_file.string() + "\"\n",
                                    std::vector<std::string>{"--log-level", "debug"}, env);
  daemon->Start();
  RunResult helped = crioctl({"pull", Private()});
  ASSERT_EQ(helped.exit_code, 0) << helped.output << daemon->Log();
  EXPECT_THAT(crioctl({"images"}).output, HasSubstr(registry_->host() + "/private/busybox"));
  logs.push_back(daemon->Log());
  for (const std::string& log : logs) {
    for (const std::string& secret :
         {std::string(kPassword), std::string(kIdentityToken), std::string("Wrong-pass")}) {
      EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    }
  }
}

}  // namespace
}  // namespace crio::testing
