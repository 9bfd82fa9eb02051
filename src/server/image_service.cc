#include "image_service.h"

#include <openssl/evp.h>

#include <chrono>

#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "grpc_status.h"

namespace crio::server {
namespace {

void Fill(const image::ImageInfo& info, runtime::v1::Image* image) {
  image->set_id(info.id);
  for (const auto& tag : info.repo_tags) image->add_repo_tags(tag);
  for (const auto& digest : info.repo_digests) image->add_repo_digests(digest);
  image->set_size(info.size);
  if (info.uid) image->mutable_uid()->set_value(*info.uid);
  image->set_username(info.username);
  image->set_pinned(info.pinned);
  image->mutable_spec()->set_image(info.id);
}

// AuthConfig's "auth" field: base64 of "user:password".
image::Credentials CredentialsOf(const runtime::v1::AuthConfig& auth) {
  image::Credentials credentials;
  credentials.username = auth.username();
  credentials.password = auth.password();
  if (credentials.username.empty() && !auth.auth().empty()) {
    std::string decoded(auth.auth().size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                            reinterpret_cast<const unsigned char*>(auth.auth().data()),
                            static_cast<int>(auth.auth().size()));
    if (n > 0) {
      decoded.resize(static_cast<size_t>(n));
      while (!decoded.empty() && decoded.back() == '\0') decoded.pop_back();
      size_t colon = decoded.find(':');
      if (colon != std::string::npos) {
        credentials.username = decoded.substr(0, colon);
        credentials.password = decoded.substr(colon + 1);
      }
    }
  }
  return credentials;
}

}  // namespace

grpc::Status ImageServiceImpl::ListImages(grpc::ServerContext*,
                                          const runtime::v1::ListImagesRequest* request,
                                          runtime::v1::ListImagesResponse* response) {
  absl::StatusOr<std::vector<image::ImageInfo>> infos =
      images_.List(request->filter().image().image());
  if (!infos.ok()) return ToGrpc(infos.status());
  for (const auto& info : *infos) Fill(info, response->add_images());
  return grpc::Status::OK;
}

grpc::Status ImageServiceImpl::ImageStatus(grpc::ServerContext*,
                                           const runtime::v1::ImageStatusRequest* request,
                                           runtime::v1::ImageStatusResponse* response) {
  if (request->image().image().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image given");
  }
  absl::StatusOr<image::ImageInfo> info = images_.Status(request->image().image());
  // The kubelet expects an empty response, not an error, for an image that is not there.
  if (absl::IsNotFound(info.status())) return grpc::Status::OK;
  if (!info.ok()) return ToGrpc(info.status());
  Fill(*info, response->mutable_image());
  if (request->verbose())
    (*response->mutable_info())["info"] = StrCat("{\"imageConfig\":", info->config, "}");
  return grpc::Status::OK;
}

grpc::Status ImageServiceImpl::PullImage(grpc::ServerContext*,
                                         const runtime::v1::PullImageRequest* request,
                                         runtime::v1::PullImageResponse* response) {
  if (request->image().image().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image given");
  }
  // The pod's namespace picks its signature policy (signature_policy_dir); namespaced auth, its
  // other use in CRI-O, is not supported yet (docs/images.md).
  std::string pod_namespace;
  if (request->has_sandbox_config()) {
    const auto& pod = request->sandbox_config().metadata();
    pod_namespace = pod.namespace_();
    spdlog::info("Pulling image {} for pod {}/{}", request->image().image(), pod.namespace_(),
                 pod.name());
  }
  image::Credentials credentials = CredentialsOf(request->auth());
  credentials.registry_token = request->auth().registry_token();
  credentials.identity_token = request->auth().identity_token();
  absl::StatusOr<std::string> id =
      images_.Pull(request->image().image(), credentials, {}, pod_namespace);
  if (!id.ok()) return ToGrpc(id.status());
  response->set_image_ref(*id);
  return grpc::Status::OK;
}

grpc::Status ImageServiceImpl::RemoveImage(grpc::ServerContext*,
                                           const runtime::v1::RemoveImageRequest* request,
                                           runtime::v1::RemoveImageResponse*) {
  if (request->image().image().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image given");
  }
  return ToGrpc(images_.Remove(request->image().image()));
}

grpc::Status ImageServiceImpl::ImageFsInfo(grpc::ServerContext*,
                                           const runtime::v1::ImageFsInfoRequest*,
                                           runtime::v1::ImageFsInfoResponse* response) {
  absl::StatusOr<storage::StoreUsage> usage = images_.Usage();
  if (!usage.ok()) return ToGrpc(usage.status());
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto fill = [&](runtime::v1::FilesystemUsage* fs, const storage::Usage& part,
                  const std::string& mount) {
    fs->set_timestamp(now);
    fs->mutable_fs_id()->set_mountpoint(mount);
    fs->mutable_used_bytes()->set_value(part.bytes);
    fs->mutable_inodes_used()->set_value(part.inodes);
  };
  fill(response->add_image_filesystems(), usage->images, images_.StorageRoot() + "/overlay-images");
  fill(response->add_container_filesystems(), usage->containers,
       images_.StorageRoot() + "/overlay-containers");
  return grpc::Status::OK;
}

}  // namespace crio::server
