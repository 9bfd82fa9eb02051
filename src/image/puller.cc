#include "crio/image/puller.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "crio/common/host.h"
#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"

namespace crio::image {
namespace {

bool IsIndex(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

}  // namespace

absl::StatusOr<std::string> Puller::Pull(const std::string& image, const Credentials& credentials) {
  absl::StatusOr<Reference> parsed = ParseReference(image);
  if (!parsed.ok()) return parsed.status();
  std::vector<Reference> candidates;
  if (parsed->qualified()) {
    absl::StatusOr<Reference> normalized = ParseNormalizedReference(image);
    if (!normalized.ok()) return normalized.status();
    candidates.push_back(*normalized);
  } else {
    absl::StatusOr<std::vector<Reference>> resolved = ResolveShortName(registries_, *parsed);
    if (!resolved.ok()) return resolved.status();
    candidates = *std::move(resolved);
  }
  std::vector<std::string> failures;
  for (const Reference& candidate : candidates) {
    if (auto status = policy_.Check(candidate); !status.ok()) return status;
    absl::StatusOr<std::vector<PullSource>> sources = PullSources(registries_, candidate);
    if (!sources.ok()) return sources.status();
    for (const PullSource& source : *sources) {
      absl::StatusOr<std::string> id = PullFrom(source, candidate, credentials);
      if (id.ok()) return id;
      spdlog::info("Pulling {} from {} failed: {}", candidate.String(), source.reference.String(),
                   id.status().message());
      // An answer that no other source can change ends the search.
      if (absl::IsUnauthenticated(id.status()) && !source.mirror) return id.status();
      failures.push_back(StrCat(source.reference.String(), ": ", View(id.status().message())));
    }
  }
  return absl::NotFoundError(StrCat("pulling ", image, " failed: ", StrJoin(failures, "; ")));
}

absl::StatusOr<std::string> Puller::PullFrom(const PullSource& source, const Reference& name,
                                             const Credentials& credentials) {
  const Reference& at = source.reference;
  RegistryClient client(at.domain, source.insecure, credentials);
  absl::StatusOr<Manifest> manifest =
      client.GetManifest(at.path, at.digest.empty() ? at.tag : at.digest);
  if (!manifest.ok()) return manifest.status();

  std::optional<Manifest> list;
  if (IsIndex(manifest->media_type)) {
    auto index = nlohmann::json::parse(manifest->body, nullptr, false);
    std::string chosen;
    std::vector<std::string> offered;
    for (const auto& entry : index.value("manifests", nlohmann::json::array())) {
      auto platform = entry.value("platform", nlohmann::json::object());
      std::string os = platform.value("os", ""), arch = platform.value("architecture", "");
      offered.push_back(StrCat(os, "/", arch));
      if (os == "linux" && arch == HostArchitecture() && chosen.empty())
        chosen = entry.value("digest", "");
    }
    if (chosen.empty()) {
      return absl::NotFoundError(StrCat("no linux/", HostArchitecture(), " image in ", at.String(),
                                        " (offered: ", StrJoin(offered, ", "), ")"));
    }
    list = std::move(*manifest);
    manifest = client.GetManifest(at.path, chosen);
    if (!manifest.ok()) return manifest.status();
  }

  auto parsed = nlohmann::json::parse(manifest->body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("config") || !parsed.contains("layers")) {
    return absl::DataLossError(StrCat("manifest of ", at.String(), " is not an image manifest"));
  }
  std::string config_digest = parsed["config"].value("digest", "");
  std::string config;
  if (auto status = client.FetchBlob(at.path, config_digest,
                                     [&](std::string_view chunk) {
                                       config.append(chunk);
                                       return config.size() < (size_t{16} << 20);
                                     });
      !status.ok()) {
    return status;
  }
  auto config_json = nlohmann::json::parse(config, nullptr, false);
  if (!config_json.is_object())
    return absl::DataLossError(StrCat("config of ", at.String(), " is not JSON"));
  std::vector<std::string> diff_ids =
      config_json["rootfs"].value("diff_ids", std::vector<std::string>{});
  const auto& layers = parsed["layers"];
  if (diff_ids.size() != layers.size()) {
    return absl::DataLossError(
        StrCat(at.String(), ": ", layers.size(), " layers but ", diff_ids.size(), " diff ids"));
  }

  std::string parent;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string blob_digest = layers[i].value("digest", "");
    std::string id = storage::PulledLayerId(parent, diff_ids[i]);
    if (store_.layers().Get(id).ok()) {
      parent = id;  // already stored: not fetched again
      continue;
    }
    // The download runs in its own thread and streams through a pipe into the layer store.
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
    UniqueFd read_end(fds[0]);
    absl::Status download;
    std::thread downloader([&, write_fd = fds[1]] {
      // A reader that stops early must turn our writes into EPIPE, not kill the process.
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
      UniqueFd write_end(write_fd);
      download = client.FetchBlob(at.path, blob_digest, [&](std::string_view chunk) {
        while (!chunk.empty()) {
          ssize_t n = ::write(write_end.get(), chunk.data(), chunk.size());
          if (n <= 0) return false;
          chunk.remove_prefix(static_cast<size_t>(n));
        }
        return true;
      });
    });
    storage::FdSource source_bytes(read_end.get());
    absl::StatusOr<storage::LayerRecord> layer =
        store_.layers().CreateFromStream(id, parent, source_bytes);
    read_end.Reset();  // unblocks the downloader if extraction stopped early
    downloader.join();
    absl::Status problem = !download.ok() ? download : layer.status();
    if (problem.ok() &&
        (layer->compressed_digest != blob_digest || layer->uncompressed_digest != diff_ids[i])) {
      problem = absl::DataLossError(
          StrCat("layer ", blob_digest, " of ", at.String(), " does not match its digests (got ",
                 layer->compressed_digest, ", DiffID ", layer->uncompressed_digest, ")"));
    }
    if (!problem.ok()) {
      if (layer.ok()) (void)store_.layers().Delete(id);
      return problem;
    }
    parent = id;
  }

  std::string image_id = config_digest.substr(config_digest.find(':') + 1);
  absl::StatusOr<storage::ImageRecord> image =
      store_.images().Create(image_id, parent, config_json.value("created", ""));
  if (!image.ok()) return image.status();
  if (auto status = store_.images().SetBigData(image_id, config_digest, config); !status.ok())
    return status;
  if (list) {
    if (auto status = store_.images().SetBigData(image_id, "manifest-" + list->digest, list->body);
        !status.ok()) {
      return status;
    }
  }
  if (auto status =
          store_.images().SetBigData(image_id, "manifest-" + manifest->digest, manifest->body);
      !status.ok()) {
    return status;
  }
  if (auto status = store_.images().SetBigData(image_id, "manifest", manifest->body); !status.ok())
    return status;
  if (auto status = store_.images().AddName(image_id, name.String()); !status.ok()) return status;
  return image_id;
}

}  // namespace crio::image
