#pragma once

#include "crio/image/image_manager.h"
#include "list_stream.h"
#include "runtime/v1/api.grpc.pb.h"
#include "unimplemented.h"

namespace crio::server {

// runtime.v1.ImageService: translates CRI image requests into calls on the image area.
class ImageServiceImpl final : public runtime::v1::ImageService::Service {
 public:
  explicit ImageServiceImpl(image::ImageManager& images) : images_(images) {}

  grpc::Status ListImages(grpc::ServerContext* context,
                          const runtime::v1::ListImagesRequest* request,
                          runtime::v1::ListImagesResponse* response) override;
  grpc::Status ImageStatus(grpc::ServerContext* context,
                           const runtime::v1::ImageStatusRequest* request,
                           runtime::v1::ImageStatusResponse* response) override;
  grpc::Status PullImage(grpc::ServerContext* context, const runtime::v1::PullImageRequest* request,
                         runtime::v1::PullImageResponse* response) override;
  grpc::Status RemoveImage(grpc::ServerContext* context,
                           const runtime::v1::RemoveImageRequest* request,
                           runtime::v1::RemoveImageResponse* response) override;
  grpc::Status ImageFsInfo(grpc::ServerContext* context,
                           const runtime::v1::ImageFsInfoRequest* request,
                           runtime::v1::ImageFsInfoResponse* response) override;
  CRIO_STREAM_FROM_LIST(StreamImages, ListImages, images, images)

 private:
  image::ImageManager& images_;
};

}  // namespace crio::server
