#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "crio/common/unique_fd.h"

namespace crio::image {
class ImageManager;
}

namespace crio::server {

// crio's info endpoint: JSON over HTTP/1.1 on a unix socket beside the CRI socket
// (`<listen>.info`). CRI-O answers such requests (`crio status`) on the CRI socket itself by
// multiplexing it; gRPC C++ cannot share its socket, hence a socket of its own. One thread
// answers one request per connection:
//   GET /pulls  the pulls in flight, with the bytes received of each layer they fetch.
class InfoServer {
 public:
  // Prepares `path` like the CRI socket (a stale socket is replaced), binds it with mode 0660 and
  // starts answering.
  static absl::StatusOr<std::unique_ptr<InfoServer>> Start(std::filesystem::path path,
                                                           image::ImageManager& images);
  // Stops the thread and removes the socket.
  ~InfoServer();
  InfoServer(const InfoServer&) = delete;
  InfoServer& operator=(const InfoServer&) = delete;

  // The body of GET /pulls.
  static std::string PullsJson(image::ImageManager& images);

 private:
  InfoServer(std::filesystem::path path, image::ImageManager& images)
      : path_(std::move(path)), images_(images) {}
  void Serve();
  void Answer(int client);

  std::filesystem::path path_;
  image::ImageManager& images_;
  UniqueFd listener_;
  UniqueFd stop_read_, stop_write_;  // closing the write end stops Serve
  std::thread thread_;
};

}  // namespace crio::server
