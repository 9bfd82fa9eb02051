#pragma once

#include "runtime/v1/api.grpc.pb.h"
#include "unimplemented.h"

namespace crio::server {

// runtime.v1.ImageService: translates CRI image requests into calls on the image area.
class ImageServiceImpl final : public runtime::v1::ImageService::Service {
 public:
  CRIO_UNARY_NOT_YET(ListImages, ListImagesRequest, ListImagesResponse)
  CRIO_STREAM_NOT_YET(StreamImages, StreamImagesRequest, StreamImagesResponse)
  CRIO_UNARY_NOT_YET(ImageStatus, ImageStatusRequest, ImageStatusResponse)
  CRIO_UNARY_NOT_YET(PullImage, PullImageRequest, PullImageResponse)
  CRIO_UNARY_NOT_YET(RemoveImage, RemoveImageRequest, RemoveImageResponse)
  CRIO_UNARY_NOT_YET(ImageFsInfo, ImageFsInfoRequest, ImageFsInfoResponse)
};

}  // namespace crio::server
