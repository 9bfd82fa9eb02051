#include "info_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/image/image_manager.h"
#include "socket_path.h"

namespace crio::server {
namespace {

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string Response(const char* status, std::string_view type, std::string_view body) {
  return StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", type,
                "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<InfoServer>> InfoServer::Start(std::filesystem::path path,
                                                              image::ImageManager& images) {
  if (auto status = PrepareSocketPath(path); !status.ok()) return status;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(StrCat("info socket path ", path.string(), " is too long"));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  std::unique_ptr<InfoServer> server(new InfoServer(std::move(path), images));
  server->listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!server->listener_.valid() ||
      ::bind(server->listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::chmod(server->path_.c_str(), 0660) != 0 || ::listen(server->listener_.get(), 16) != 0) {
    return absl::UnavailableError(StrCat("cannot listen on unix socket ", server->path_.string(),
                                         ": ", std::strerror(errno)));
  }
  int stop[2];
  if (::pipe2(stop, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  server->stop_read_ = UniqueFd(stop[0]);
  server->stop_write_ = UniqueFd(stop[1]);
  server->thread_ = std::thread([raw = server.get()] { raw->Serve(); });
  spdlog::info("Serving the info endpoint on {}", server->path_.string());
  return server;
}

InfoServer::~InfoServer() {
  stop_write_.Reset();
  if (thread_.joinable()) thread_.join();
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("Cannot remove socket {}: {}", path_.string(), std::strerror(errno));
  }
}

void InfoServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("Info endpoint stopped: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (client.valid()) Answer(client.get());
  }
}

void InfoServer::Answer(int client) {
  // One thread serves everyone, so a client that sends nothing must not hold it for long.
  timeval limit{.tv_sec = 2, .tv_usec = 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || head.size() > 16384) return;
    head.append(buffer, static_cast<size_t>(n));
  }
  std::string_view line(head.data(), head.find("\r\n"));
  size_t space = line.find(' ');
  std::string_view method = line.substr(0, space);
  std::string_view target = space == std::string_view::npos
                                ? ""
                                : line.substr(space + 1, line.find(' ', space + 1) - space - 1);
  if (method != "GET") {
    SendAll(client, Response("405 Method Not Allowed", "text/plain", "only GET\n"));
  } else if (target == "/pulls") {
    SendAll(client, Response("200 OK", "application/json", PullsJson(images_)));
  } else {
    SendAll(client, Response("404 Not Found", "text/plain", StrCat("no ", target, "\n")));
  }
}

std::string InfoServer::PullsJson(image::ImageManager& images) {
  nlohmann::json pulls = nlohmann::json::array();
  for (const auto& pull : images.ActivePulls()) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : pull->Layers()) {
      layers.push_back({{"digest", layer.digest}, {"size", layer.size}, {"done", layer.done}});
    }
    pulls.push_back({{"image", pull->image()}, {"bytes", pull->bytes()}, {"layers", layers}});
  }
  return nlohmann::json{{"pulls", pulls}}.dump() + "\n";
}

}  // namespace crio::server
