#pragma once

// TLS settings of the streaming server, reloaded when the certificate, key or CA file changes
// (checked when a connection arrives, so a renewed certificate is used from the next session
// on; sessions already running keep the context they started with).

#include <sys/stat.h>

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace crio::streaming {

class TlsConfig {
 public:
  // Loads the files once; an error when they cannot be used.
  static absl::StatusOr<std::unique_ptr<TlsConfig>> Load(std::string cert, std::string key,
                                                         std::string ca);

  // The context to serve a new connection with: rebuilt first when a file changed. A reload
  // that fails (for example a certificate replaced before its key) keeps the previous context
  // and is retried on the next connection.
  std::shared_ptr<boost::asio::ssl::context> Current();

  // A client context trusting `ca` (the system's roots when empty) and presenting `cert`/`key`
  // when given.
  static absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> ClientContext(
      const std::string& ca, const std::string& cert, const std::string& key);

 private:
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct Stamps {
    Stamp cert, key, ca;
    bool operator==(const Stamps&) const = default;
  };

  TlsConfig(std::string cert, std::string key, std::string ca)
      : cert_(std::move(cert)), key_(std::move(key)), ca_(std::move(ca)) {}
  Stamps Stat() const;
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> Build() const;

  const std::string cert_, key_, ca_;
  absl::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_ ABSL_GUARDED_BY(mu_);
  Stamps stamps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace crio::streaming
