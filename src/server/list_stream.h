#pragma once

// The Stream* variants of the CRI list RPCs: the same result as the unary List call, sent as a
// server stream in chunks, so a node with many pods or images never needs one huge message.

#include <grpcpp/grpcpp.h>

#include <cstddef>

namespace crio::server {

// Keeps every chunk far below the gRPC message limits (80 MiB by default on both sides).
inline constexpr size_t kListChunkBytes = size_t{1} << 20;

template <typename StreamRequest, typename ListRequest>
void CopyListFilter(const StreamRequest& in, ListRequest* out) {
  if constexpr (requires { in.filter(); }) *out->mutable_filter() = in.filter();
}

// Writes `items` to `writer` in chunks of at most kListChunkBytes (one item per chunk at least).
template <typename Items, typename Response, typename Field>
grpc::Status WriteListInChunks(const Items& items, grpc::ServerWriter<Response>* writer,
                               Field field) {
  Response chunk;
  size_t bytes = 0;
  for (const auto& item : items) {
    size_t size = item.ByteSizeLong();
    if (bytes > 0 && bytes + size > kListChunkBytes) {
      if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
      chunk.Clear();
      bytes = 0;
    }
    *field(chunk)->Add() = item;
    bytes += size;
  }
  if (bytes > 0 && !writer->Write(chunk)) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
  }
  return grpc::Status::OK;
}

}  // namespace crio::server

// Defines the streaming RPC `Rpc` from the unary `ListRpc` of the same service.
#define CRIO_STREAM_FROM_LIST(Rpc, ListRpc, list_field, stream_field)                         \
  grpc::Status Rpc(grpc::ServerContext* context, const runtime::v1::Rpc##Request* request,    \
                   grpc::ServerWriter<runtime::v1::Rpc##Response>* writer) override {         \
    runtime::v1::ListRpc##Request list;                                                       \
    CopyListFilter(*request, &list);                                                          \
    runtime::v1::ListRpc##Response listed;                                                    \
    grpc::Status status = ListRpc(context, &list, &listed);                                   \
    if (!status.ok()) return status;                                                          \
    return WriteListInChunks(listed.list_field(), writer, [](runtime::v1::Rpc##Response& r) { \
      return r.mutable_##stream_field();                                                      \
    });                                                                                       \
  }
