#include "crio/server/streaming_backend.h"

namespace crio::server {
namespace {

oci::StreamIo ToStreamIo(streaming::Session& session) {
  oci::StreamIo io;
  io.stdin_fd = session.stdin_fd.get();
  io.stdout_fd = session.stdout_fd.get();
  io.stderr_fd = session.stderr_fd.get();
  io.tty = session.tty;
  io.cancel_fd = session.client_gone.get();
  if (std::shared_ptr<streaming::ResizeQueue> queue = session.resize) {
    io.next_resize = [queue]() -> std::optional<std::pair<uint16_t, uint16_t>> {
      std::optional<streaming::TerminalSize> size = queue->Next();
      if (!size) return std::nullopt;
      return std::make_pair(size->width, size->height);
    };
    io.stop_resize = [queue] { queue->Close(); };
  }
  return io;
}

}  // namespace

absl::StatusOr<int> StreamingBackend::Exec(const streaming::ExecRequest& request,
                                           streaming::Session& session) {
  return containers_.ExecStream(request.container_id, request.cmd, ToStreamIo(session));
}

absl::Status StreamingBackend::Attach(const streaming::AttachRequest& request,
                                      streaming::Session& session) {
  return containers_.Attach(request.container_id, ToStreamIo(session));
}

absl::StatusOr<UniqueFd> StreamingBackend::DialPod(const std::string& pod_id, int32_t port) {
  return sandboxes_.DialPort(pod_id, port);
}

}  // namespace crio::server
