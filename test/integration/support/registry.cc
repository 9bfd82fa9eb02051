#include "registry.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <fstream>

#include "crio/common/subprocess.h"
#include "loopback.h"

namespace crio::testing {
namespace {

void Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv, {}, absl::Seconds(60));
  ASSERT_TRUE(result.ok() && result->exit_code == 0)
      << "openssl " << args[0] << ": " << (result.ok() ? result->err : "");
}

}  // namespace

std::string HtpasswdLine(const std::string& user, const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(::crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof(salt)), nullptr);
  crypt_data data{};
  const char* hash = ::crypt_r(password.c_str(), salt, &data);
  EXPECT_TRUE(hash != nullptr && hash[0] == '$');
  return user + ":" + hash + "\n";
}

LocalRegistry::LocalRegistry(RegistryOptions options) : options_(std::move(options)) {
  int port = FreeLoopbackPort();
  host_ = "127.0.0.1:" + std::to_string(port);
  std::string yaml =
      "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " +
      (dir_.path() / "data").string() + "\nhttp:\n  addr: " + host_ + "\n";
  if (options_.tls) {
    // A CA of our own and a server certificate for 127.0.0.1 signed by it.
    std::string d = dir_.path().string();
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", d + "/ca.key", "-out", d + "/ca.crt", "-days", "2", "-subj",
             "/CN=crio-test-ca"});
    Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=127.0.0.1"});
    dir_.Write("san.cnf", "subjectAltName=IP:127.0.0.1\n");
    Openssl({"x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey",
             d + "/ca.key", "-CAcreateserial", "-out", d + "/server.crt", "-days", "2", "-extfile",
             d + "/san.cnf"});
    std::filesystem::create_directories(certs_dir() / host_);
    std::filesystem::copy_file(ca_certificate(), certs_dir() / host_ / "ca.crt");
    yaml += "  tls:\n    certificate: " + d + "/server.crt\n    key: " + d + "/server.key\n";
    if (options_.client_certificates) {
      std::string client = (certs_dir() / host_ / "client").string();
      Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", client + ".key", "-out", d + "/client.csr", "-subj", "/CN=crio-test"});
      Openssl({"x509", "-req", "-in", d + "/client.csr", "-CA", d + "/ca.crt", "-CAkey",
               d + "/ca.key", "-CAcreateserial", "-out", client + ".cert", "-days", "2"});
      yaml += "    clientcas:\n      - " + d + "/ca.crt\n";
    }
  }
  if (options_.token_auth) {
    const RegistryTokenAuth& token = *options_.token_auth;
    yaml += "auth:\n  token:\n    realm: " + token.realm + "\n    service: " + token.service +
            "\n    issuer: " + token.issuer +
            "\n    rootcertbundle: " + token.root_certificates.string() + "\n";
  } else if (!options_.user.empty()) {
    std::filesystem::path htpasswd =
        dir_.Write("htpasswd", HtpasswdLine(options_.user, options_.password));
    yaml += "auth:\n  htpasswd:\n    realm: crio-test\n    path: " + htpasswd.string() + "\n";
  }
  std::filesystem::path config = dir_.Write("config.yml", yaml);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/docker-registry", "serve", config.string()},
      dir_.path() / "registry.log");
  EXPECT_TRUE(Eventually([&] { return LoopbackAccepts(port); })) << process_->Output();
}

std::string LocalRegistry::PushBusybox(const std::string& repository, const std::string& tag) {
  return PushLayout(BUSYBOX_OCI, repository, tag);
}

std::string LocalRegistry::PushPause(const std::string& repository, const std::string& tag) {
  return PushLayout(PAUSE_OCI, repository, tag);
}

std::string LocalRegistry::PushLayout(const std::string& layout, const std::string& repository,
                                      const std::string& tag) {
  std::vector<std::string> argv = {"skopeo",       "copy",
                                   "-q",           "--dest-tls-verify=false",
                                   "--digestfile", (dir_.path() / "digest").string()};
  if (options_.client_certificates) {
    argv.push_back("--dest-cert-dir");
    argv.push_back((certs_dir() / host_).string());
  }
  if (!options_.user.empty()) {
    argv.push_back("--dest-creds");
    argv.push_back(options_.user + ":" + options_.password);
  }
  argv.push_back("oci:" + layout + ":latest");
  argv.push_back("docker://" + host_ + "/" + repository + ":" + tag);
  absl::StatusOr<CommandResult> pushed = RunCommand(argv, {}, absl::Seconds(120));
  EXPECT_TRUE(pushed.ok() && pushed->exit_code == 0) << (pushed.ok() ? pushed->err : "");
  return ReadAll(dir_.path() / "digest");
}

}  // namespace crio::testing

namespace crio::testing {
namespace {

int ConnectTo(const std::string& host) {
  int port = std::stoi(host.substr(host.rfind(':') + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

RegistryProxy::RegistryProxy(std::string upstream, Rule rule)
    : upstream_(std::move(upstream)), rule_(std::move(rule)) {
  server_ = std::make_unique<LoopbackServer>([this](int client) { Serve(client); });
}

RegistryProxy::~RegistryProxy() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  gate_changed_.notify_all();
  server_->Stop();
}

void RegistryProxy::OpenGate() {
  {
    std::lock_guard lock(mu_);
    ++gate_;
  }
  gate_changed_.notify_all();
}

void RegistryProxy::SetRule(Rule rule) {
  std::lock_guard lock(mu_);
  rule_ = std::move(rule);
}

int RegistryProxy::Count(const std::string& method, const std::string& part) const {
  std::lock_guard lock(mu_);
  int count = 0;
  for (const auto& [m, path] : seen_) count += m == method && path.find(part) != std::string::npos;
  return count;
}

void RegistryProxy::Serve(int client) {
  // The request head; a TLS handshake (a client trying HTTPS first) is not HTTP: hang up.
  std::string head;
  char buffer[65536];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (!WaitReadableUnlessStopped(client, server_->stop_fd())) return;
    ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    head.append(buffer, static_cast<size_t>(n));
    if (head[0] < 'A' || head[0] > 'Z' || head.size() > 65536) return;
  }
  std::string method = head.substr(0, head.find(' '));
  size_t path_start = method.size() + 1;
  std::string path = head.substr(path_start, head.find(' ', path_start) - path_start);
  Action action = Action::kPass;
  {
    std::lock_guard lock(mu_);
    int seen = 0;
    for (const auto& [m, p] : seen_) seen += m == method && p == path;
    seen_.emplace_back(method, path);
    if (rule_) action = rule_(method, path, seen);
  }
  if (action == Action::kUnavailable || action == Action::kTooMany) {
    SendAll(client, action == Action::kUnavailable
                        ? "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
                          "Content-Length: 0\r\nConnection: close\r\n\r\n"
                        : "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
    return;
  }
  // One request per connection: ask the registry to close after its answer.
  std::string request;
  for (std::string_view rest = head; !rest.empty();) {
    size_t end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 2);
    if (line.empty()) break;
    std::string lower(line);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("connection:")) continue;
    request.append(line).append("\r\n");
  }
  request += "Connection: close\r\n\r\n";
  int upstream = ConnectTo(upstream_);
  if (upstream < 0) return;
  if (!SendAll(upstream, request)) {
    ::close(upstream);
    return;
  }
  // Relay the answer, finding the end of its head and its length on the way.
  std::string response_head;
  bool in_body = false;
  int64_t body_length = -1, body_seen = 0;
  while (WaitReadableUnlessStopped(upstream, server_->stop_fd())) {
    ssize_t n = ::recv(upstream, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    std::string chunk(buffer, static_cast<size_t>(n));
    if (!in_body) {
      response_head += chunk;
      size_t end = response_head.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      chunk = response_head.substr(end + 4);
      std::string lower = response_head.substr(0, end);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (size_t at = lower.find("content-length:"); at != std::string::npos)
        body_length = std::stoll(lower.substr(at + 15));
      if (!SendAll(client, response_head.substr(0, end + 4))) break;
      in_body = true;
    }
    bool big = body_length > 65536;
    if (big && action == Action::kCorrupt &&
        body_seen + static_cast<int64_t>(chunk.size()) == body_length && !chunk.empty()) {
      chunk.back() = static_cast<char>(chunk.back() ^ 0x5a);
    }
    if (big && action == Action::kGated) {
      // Up to each third, then wait for the gate.
      std::string_view rest(chunk);
      bool sent = true;
      for (int stage = 1; stage <= 2 && sent; ++stage) {
        int64_t boundary = body_length * stage / 3;
        if (body_seen >= boundary || body_seen + static_cast<int64_t>(rest.size()) < boundary)
          continue;
        size_t part = static_cast<size_t>(boundary - body_seen);
        sent = SendAll(client, rest.substr(0, part));
        body_seen += static_cast<int64_t>(part);
        rest.remove_prefix(part);
        std::unique_lock lock(mu_);
        gate_changed_.wait(lock, [&] { return gate_ >= stage || stopping_; });
      }
      body_seen += static_cast<int64_t>(rest.size());
      if (!sent || !SendAll(client, rest)) break;
      continue;
    }
    if (big && (action == Action::kReset || action == Action::kStall)) {
      int64_t keep = action == Action::kReset ? body_length / 2 : 4096;
      if (body_seen + static_cast<int64_t>(chunk.size()) >= keep) {
        SendAll(client, std::string_view(chunk).substr(0, static_cast<size_t>(keep - body_seen)));
        if (action == Action::kReset) {
          linger hard{1, 0};  // close with RST
          ::setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
        } else {
          WaitReadableUnlessStopped(server_->stop_fd(),
                                    server_->stop_fd());  // until the proxy stops
        }
        break;
      }
    }
    body_seen += static_cast<int64_t>(chunk.size());
    if (!SendAll(client, chunk)) break;
  }
  ::close(upstream);
}

}  // namespace crio::testing
