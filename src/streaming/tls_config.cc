#include "tls_config.h"

#include <openssl/ssl.h>

#include "crio/common/log.h"
#include "crio/common/strings.h"

namespace crio::streaming {

namespace ssl = boost::asio::ssl;

namespace {

absl::Status SslError(std::string_view what, const boost::system::error_code& ec) {
  return absl::InvalidArgumentError(StrCat(what, ": ", ec.message()));
}

// TLS 1.2 at least, as CRI-O's default tls_min_version.
absl::Status Harden(ssl::context& context) {
  boost::system::error_code ec;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1,
                      ec);
  if (ec) return SslError("TLS options", ec);
  if (SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION) != 1) {
    return absl::InternalError("cannot require TLS 1.2");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsConfig>> TlsConfig::Load(std::string cert, std::string key,
                                                           std::string ca) {
  if (cert.empty() || key.empty()) {
    return absl::InvalidArgumentError("TLS needs a certificate and a key file");
  }
  std::unique_ptr<TlsConfig> config(new TlsConfig(std::move(cert), std::move(key), std::move(ca)));
  Stamps stamps = config->Stat();
  absl::StatusOr<std::shared_ptr<ssl::context>> context = config->Build();
  if (!context.ok()) return context.status();
  absl::MutexLock lock(&config->mu_);
  config->context_ = *std::move(context);
  config->stamps_ = stamps;
  return config;
}

TlsConfig::Stamps TlsConfig::Stat() const {
  auto stat_one = [](const std::string& path) {
    Stamp stamp;
    struct stat st;
    if (path.empty() || stat(path.c_str(), &st) != 0) return stamp;
    stamp.dev = st.st_dev;
    stamp.ino = st.st_ino;
    stamp.size = st.st_size;
    stamp.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    return stamp;
  };
  return Stamps{stat_one(cert_), stat_one(key_), stat_one(ca_)};
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsConfig::Build() const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  if (absl::Status status = Harden(*context); !status.ok()) return status;
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_, ec);
  if (ec) return SslError(StrCat("loading certificate ", cert_), ec);
  context->use_private_key_file(key_, ssl::context::pem, ec);
  if (ec) return SslError(StrCat("loading key ", key_), ec);
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return absl::InvalidArgumentError(StrCat("key ", key_, " does not match certificate ", cert_));
  }
  if (!ca_.empty()) {
    context->load_verify_file(ca_, ec);
    if (ec) return SslError(StrCat("loading CA ", ca_), ec);
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return SslError("client verification", ec);
  }
  return context;
}

std::shared_ptr<ssl::context> TlsConfig::Current() {
  Stamps stamps = Stat();
  absl::MutexLock lock(&mu_);
  if (stamps == stamps_) return context_;
  absl::StatusOr<std::shared_ptr<ssl::context>> context = Build();
  if (!context.ok()) {
    // Keep serving with what we have; the stamps stay old so the next connection retries.
    spdlog::warn("streaming server: reloading TLS files failed: {}", context.status().message());
    return context_;
  }
  spdlog::info("streaming server: TLS files reloaded");
  context_ = *std::move(context);
  stamps_ = stamps;
  return context_;
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsConfig::ClientContext(const std::string& ca,
                                                                       const std::string& cert,
                                                                       const std::string& key) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (absl::Status status = Harden(*context); !status.ok()) return status;
  boost::system::error_code ec;
  if (ca.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca, ec);
  }
  if (ec) return SslError("loading CA", ec);
  context->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return SslError("verify mode", ec);
  if (!cert.empty()) {
    context->use_certificate_chain_file(cert, ec);
    if (ec) return SslError(StrCat("loading certificate ", cert), ec);
    context->use_private_key_file(key, ssl::context::pem, ec);
    if (ec) return SslError(StrCat("loading key ", key), ec);
  }
  return context;
}

}  // namespace crio::streaming
