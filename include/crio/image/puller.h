#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "crio/image/policy.h"
#include "crio/image/registries.h"
#include "crio/image/registry_client.h"
#include "crio/storage/store.h"

namespace crio::image {

// Pulls images from registries into the store the way containers/image does, so podman sees
// the same image: layers streamed from the network through decompression into the layer store
// (each checked against its digest and DiffID), then the image record with its config and
// manifests as big data and its name.
class Puller {
 public:
  Puller(storage::Store& store, RegistriesConf registries, Policy policy)
      : store_(store), registries_(std::move(registries)), policy_(std::move(policy)) {}

  // `image` as the kubelet sends it (short names resolved through registries.conf). Tries the
  // mirrors and then the registry; the error says what each attempt got. Returns the image id.
  absl::StatusOr<std::string> Pull(const std::string& image, const Credentials& credentials = {});

 private:
  absl::StatusOr<std::string> PullFrom(const PullSource& source, const Reference& name,
                                       const Credentials& credentials);

  storage::Store& store_;
  RegistriesConf registries_;
  Policy policy_;
};

}  // namespace crio::image
