#include "crio/image/puller.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "crio/common/log.h"
#include "crio/common/strings.h"
#include "crio/common/unique_fd.h"
#include "crio/image/auth_file.h"
#include "crio/image/digest.h"
#include "crio/image/platform.h"

namespace crio::image {
namespace {

bool IsIndex(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// A layer's bytes on their way into the store; reading counts as progress, so extracting a
// big layer is not mistaken for a stalled pull.
class ProgressSource : public storage::ByteSource {
 public:
  ProgressSource(int fd, PullProgress* progress) : source_(fd), progress_(progress) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    if (progress_ != nullptr) progress_->Add(0);
    return source_.Read(buffer, size);
  }

 private:
  storage::FdSource source_;
  PullProgress* progress_;
};

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

// What the pulls of this Puller are fetching right now, so that concurrent pulls share it.
struct Puller::InFlight {
  std::mutex mu;
  // image id -> done when the pull that fetches it ends (either way)
  std::map<std::string, std::shared_future<void>> images;
  // layer id -> the status of the pull creating it
  std::map<std::string, std::shared_future<absl::Status>> layers;
  // layer id -> pulls that build on it now; a failed pull removes only layers nobody else uses
  std::map<std::string, int> users;
  // every pull in flight, for Active()
  std::vector<std::shared_ptr<const PullProgress>> pulls;
};

struct Puller::LayerJob {
  enum class State { kPending, kStreaming, kDownloading, kReady, kFailed };

  size_t index = 0;
  std::string blob;  // compressed digest
  int64_t size = -1;
  std::string diff_id;
  std::string id;  // the storage layer id (chain of DiffIDs)
  std::string parent;
  bool owned = false;  // this pull creates it
  bool stored = false;
  std::promise<absl::Status> promise;
  bool resolved = false;
  std::shared_future<absl::Status> other;  // another pull creates it
  // Guarded by the jobs mutex of PullLayers:
  State state = State::kPending;
  UniqueFd file;  // the downloaded blob, when fetched ahead of its turn
  absl::Status status;
};

Puller::Puller(storage::Store& store, RegistriesConf registries, Policy policy,
               SystemContext context)
    : store_(store),
      registries_(std::move(registries)),
      policy_(std::move(policy)),
      context_(std::move(context)),
      in_flight_(std::make_unique<InFlight>()) {}

Puller::Puller(storage::Store& store, RegistriesConf registries, SystemContext context)
    : store_(store),
      registries_(std::move(registries)),
      context_(std::move(context)),
      in_flight_(std::make_unique<InFlight>()) {}

Puller::~Puller() = default;

absl::StatusOr<std::string> Puller::Pull(const std::string& image, const Credentials& credentials,
                                         const std::filesystem::path& auth_file) {
  if (!policy_) {
    return absl::FailedPreconditionError(
        StrCat("cannot pull ", image, ": no signature policy was given for it"));
  }
  return PullWithPolicy(image, *policy_, credentials, auth_file);
}

absl::StatusOr<std::string> Puller::PullWithPolicy(const std::string& image, const Policy& policy,
                                                   const Credentials& credentials,
                                                   const std::filesystem::path& auth_file) {
  // One registries.conf for the whole pull, even if a reload replaces it meanwhile.
  std::shared_ptr<const RegistriesConf> registries = registries_.Snapshot();
  absl::StatusOr<Reference> parsed = ParseReference(image);
  if (!parsed.ok()) return parsed.status();
  std::vector<Reference> candidates;
  if (parsed->qualified()) {
    absl::StatusOr<Reference> normalized = ParseNormalizedReference(image);
    if (!normalized.ok()) return normalized.status();
    candidates.push_back(*normalized);
  } else {
    absl::StatusOr<std::vector<Reference>> resolved = ResolveShortName(*registries, *parsed);
    if (!resolved.ok()) return resolved.status();
    candidates = *std::move(resolved);
  }
  auto progress = std::make_shared<PullProgress>(image, context_.progress_timeout);
  struct Listed {
    InFlight& in_flight;
    const PullProgress* progress;
    ~Listed() {
      std::lock_guard lock(in_flight.mu);
      std::erase_if(in_flight.pulls, [&](const auto& p) { return p.get() == progress; });
    }
  } listed{*in_flight_, progress.get()};
  {
    std::lock_guard lock(in_flight_->mu);
    in_flight_->pulls.push_back(progress);
  }
  std::vector<std::string> failures;
  absl::StatusCode last = absl::StatusCode::kNotFound;
  for (const Reference& candidate : candidates) {
    if (auto status = policy.Check(candidate); !status.ok()) return status;
    absl::StatusOr<std::vector<PullSource>> sources = PullSources(*registries, candidate);
    if (!sources.ok()) return sources.status();
    for (const PullSource& source : *sources) {
      // Credentials belong to where we pull from: a mirror has its own entry in the files.
      Credentials use = credentials;
      if (!use.empty()) {
        if (use.source.empty()) use.source = "the request's AuthConfig";
      } else {
        absl::StatusOr<std::optional<Credentials>> found =
            LookupCredentials(auth_file.empty() ? context_.auth_file : auth_file, source.reference);
        if (!found.ok()) return found.status();
        if (found->has_value()) use = **found;
      }
      progress->Add(0);
      absl::StatusOr<std::string> id = PullFrom(source, candidate, use, progress);
      if (id.ok()) return id;
      spdlog::info("Pulling {} from {} failed: {}", candidate.String(), source.reference.String(),
                   id.status().message());
      // An answer that no other source can change ends the search.
      if ((absl::IsUnauthenticated(id.status()) || absl::IsDeadlineExceeded(id.status()) ||
           absl::IsDataLoss(id.status())) &&
          !source.mirror) {
        return id.status();
      }
      failures.push_back(StrCat(source.reference.String(), ": ", View(id.status().message())));
      last = id.status().code();
    }
  }
  // The code of the last source tried (the registry itself, after its mirrors), so a TLS
  // problem does not read as a missing image.
  return absl::Status(last, StrCat("pulling ", image, " failed: ", StrJoin(failures, "; ")));
}

absl::StatusOr<std::string> Puller::PullFrom(const PullSource& source, const Reference& name,
                                             const Credentials& credentials,
                                             const std::shared_ptr<PullProgress>& progress) {
  const Reference& at = source.reference;
  RegistryClient client(at.domain, source.insecure, credentials, context_, progress);
  absl::StatusOr<Manifest> manifest =
      client.GetManifest(at.path, at.digest.empty() ? at.tag : at.digest);
  if (!manifest.ok()) return manifest.status();

  std::optional<Manifest> list;
  if (IsIndex(manifest->media_type)) {
    absl::StatusOr<std::string> chosen =
        ChoosePlatformManifest(manifest->body, HostPlatforms(), at.String());
    if (!chosen.ok()) return chosen.status();
    list = std::move(*manifest);
    manifest = client.GetManifest(at.path, *chosen);
    if (!manifest.ok()) return manifest.status();
  }

  auto parsed = nlohmann::json::parse(manifest->body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("config") || !parsed["config"].is_object() ||
      !parsed.contains("layers") || !parsed["layers"].is_array()) {
    return absl::DataLossError(StrCat("manifest of ", at.String(), " is not an image manifest"));
  }
  std::string config_digest = parsed["config"].value("digest", "");
  absl::StatusOr<DigestVerifier> config_check =
      DigestVerifier::Create(config_digest, parsed["config"].value("size", int64_t{-1}));
  if (!config_check.ok()) return config_check.status();
  std::string image_id = config_digest.substr(config_digest.find(':') + 1);

  // The manifests and the name, on an image that is stored already.
  auto record_names = [&]() -> absl::Status {
    if (list) {
      if (auto status =
              store_.images().SetBigData(image_id, "manifest-" + list->digest, list->body);
          !status.ok())
        return status;
    }
    if (auto status =
            store_.images().SetBigData(image_id, "manifest-" + manifest->digest, manifest->body);
        !status.ok())
      return status;
    return store_.images().AddName(image_id, name.String());
  };

  // One pull per image at a time: the others wait and then find it stored.
  std::promise<void> image_done;
  while (true) {
    if (store_.images().Get(image_id).ok()) {
      if (auto status = record_names(); !status.ok()) return status;
      return image_id;
    }
    std::shared_future<void> other;
    {
      std::lock_guard lock(in_flight_->mu);
      auto it = in_flight_->images.find(image_id);
      if (it == in_flight_->images.end()) {
        in_flight_->images[image_id] = image_done.get_future().share();
        break;
      }
      other = it->second;
    }
    other.wait();
  }
  struct ImageRelease {
    InFlight& in_flight;
    std::string id;
    std::promise<void>& done;
    ~ImageRelease() {
      std::lock_guard lock(in_flight.mu);
      in_flight.images.erase(id);
      done.set_value();
    }
  } release{*in_flight_, image_id, image_done};

  std::string config;
  absl::Status config_status = absl::OkStatus();
  if (auto status = client.FetchBlob(at.path, config_digest,
                                     [&](std::string_view chunk) {
                                       if (!config_check->Update(chunk)) return false;
                                       config.append(chunk);
                                       return config.size() < (size_t{16} << 20);
                                     });
      !status.ok()) {
    return status;
  }
  if (auto status = config_check->Finish(); !status.ok()) {
    return absl::DataLossError(StrCat("config of ", at.String(), ": ", View(status.message())));
  }
  auto config_json = nlohmann::json::parse(config, nullptr, false);
  if (!config_json.is_object())
    return absl::DataLossError(StrCat("config of ", at.String(), " is not JSON"));
  std::vector<std::string> diff_ids;
  if (config_json.contains("rootfs") && config_json["rootfs"].is_object()) {
    diff_ids = config_json["rootfs"].value("diff_ids", std::vector<std::string>{});
  }
  const auto& layers = parsed["layers"];
  if (diff_ids.size() != layers.size()) {
    return absl::DataLossError(
        StrCat(at.String(), ": ", layers.size(), " layers but ", diff_ids.size(), " diff ids"));
  }

  std::vector<std::unique_ptr<LayerJob>> jobs;
  std::string parent;
  for (size_t i = 0; i < layers.size(); ++i) {
    auto job = std::make_unique<LayerJob>();
    job->index = i;
    job->blob = layers[i].value("digest", "");
    job->size = layers[i].value("size", int64_t{-1});
    job->diff_id = diff_ids[i];
    job->parent = parent;
    job->id = storage::PulledLayerId(parent, diff_ids[i]);
    parent = job->id;
    jobs.push_back(std::move(job));
  }
  std::vector<std::string> created;
  absl::Status layers_status = PullLayers(client, at, jobs, created, progress);
  absl::Status status = layers_status;
  bool image_created = false;
  if (status.ok()) {
    absl::StatusOr<storage::ImageRecord> image =
        store_.images().Create(image_id, parent, config_json.value("created", ""));
    status = image.status();
    image_created = status.ok();
  }
  if (status.ok()) status = store_.images().SetBigData(image_id, config_digest, config);
  if (status.ok()) status = store_.images().SetBigData(image_id, "manifest", manifest->body);
  if (status.ok()) status = record_names();
  if (!status.ok()) {
    if (image_created) (void)store_.images().Delete(image_id);
    RollBack(created);
  }
  {
    std::lock_guard lock(in_flight_->mu);
    for (const auto& job : jobs) {
      if (--in_flight_->users[job->id] == 0) in_flight_->users.erase(job->id);
    }
  }
  if (!status.ok()) return status;
  return image_id;
}

std::vector<std::shared_ptr<const PullProgress>> Puller::Active() const {
  std::lock_guard lock(in_flight_->mu);
  return in_flight_->pulls;
}

void Puller::RollBack(const std::vector<std::string>& created) {
  std::lock_guard lock(in_flight_->mu);
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    // Only layers no other pull builds on; the store refuses layers with children.
    if (in_flight_->users[*it] > 1) continue;
    if (auto status = store_.layers().Delete(*it); !status.ok()) {
      spdlog::warn("Removing layer {} of a failed pull: {}", *it, status.message());
    }
  }
}

absl::Status Puller::PullLayers(RegistryClient& client, const Reference& at,
                                std::vector<std::unique_ptr<LayerJob>>& jobs,
                                std::vector<std::string>& created,
                                const std::shared_ptr<PullProgress>& progress) {
  std::set<std::string> stored;
  if (absl::StatusOr<std::vector<storage::LayerRecord>> all = store_.layers().List(); all.ok()) {
    for (const auto& layer : *all) stored.insert(layer.id);
  }
  // Claim every layer nobody is creating yet, in one pass, so two pulls never wait on each other.
  {
    std::lock_guard lock(in_flight_->mu);
    for (auto& job : jobs) {
      ++in_flight_->users[job->id];
      if (stored.contains(job->id)) {
        job->stored = true;
      } else if (auto it = in_flight_->layers.find(job->id); it != in_flight_->layers.end()) {
        job->other = it->second;
      } else {
        job->owned = true;
        in_flight_->layers[job->id] = job->promise.get_future().share();
      }
    }
  }
  {
    std::vector<PullProgress::Layer> fetched;
    for (const auto& job : jobs) {
      if (job->owned) fetched.push_back({.digest = job->blob, .size = job->size});
    }
    progress->SetLayers(std::move(fetched));
  }
  // Every claim is answered, whatever happens below.
  auto resolve = [&](LayerJob& job, const absl::Status& status) {
    if (!job.owned || job.resolved) return;
    job.resolved = true;
    job.promise.set_value(status);
    std::lock_guard lock(in_flight_->mu);
    in_flight_->layers.erase(job.id);
  };

  std::mutex mu;
  std::condition_variable changed;
  size_t cursor = 0;  // the layer being applied; downloaders only take later ones
  std::atomic<bool> cancelled{false};
  int owned = 0;
  for (auto& job : jobs) owned += job->owned ? 1 : 0;
  for (auto& job : jobs) {
    if (job->owned) {
      cursor = job->index;
      break;
    }
  }

  std::vector<std::thread> downloaders;
  int helpers = std::min(std::max(context_.max_parallel_downloads, 1) - 1, owned - 1);
  for (int h = 0; h < helpers; ++h) {
    downloaders.emplace_back([&, own = client.Clone()] {
      while (!cancelled) {
        LayerJob* job = nullptr;
        {
          std::lock_guard lock(mu);
          for (auto& candidate : jobs) {
            if (candidate->owned && candidate->index > cursor &&
                candidate->state == LayerJob::State::kPending) {
              job = candidate.get();
              job->state = LayerJob::State::kDownloading;
              break;
            }
          }
        }
        if (job == nullptr) return;
        absl::Status status = DownloadLayer(*own, at, *job, cancelled, *progress);
        std::lock_guard lock(mu);
        job->status = status;
        job->state = status.ok() ? LayerJob::State::kReady : LayerJob::State::kFailed;
        changed.notify_all();
      }
    });
  }

  absl::Status result = absl::OkStatus();
  for (auto& owned_job : jobs) {
    LayerJob& job = *owned_job;
    if (job.stored) continue;
    if (!job.owned) {
      absl::Status other = job.other.get();
      if (!other.ok()) {
        result = absl::Status(other.code(), StrCat("layer ", job.blob,
                                                   " (pulled at the same time for another image): ",
                                                   View(other.message())));
        break;
      }
      continue;
    }
    bool stream = false;
    {
      std::unique_lock lock(mu);
      cursor = job.index;
      if (job.state == LayerJob::State::kPending) {
        job.state = LayerJob::State::kStreaming;
        stream = true;
      } else {
        changed.wait(lock, [&] {
          return job.state == LayerJob::State::kReady || job.state == LayerJob::State::kFailed;
        });
      }
    }
    absl::Status status;
    bool existed = store_.layers().Get(job.id).ok();
    if (existed) {
      status = absl::OkStatus();  // another tool stored it meanwhile
    } else if (stream) {
      status = StreamLayer(client, at, job, progress);
    } else if (job.state == LayerJob::State::kFailed) {
      status = job.status;
    } else {
      status = ApplyDownloaded(job, progress);
    }
    if (status.ok() && !existed) created.push_back(job.id);
    resolve(job, status);
    if (!status.ok()) {
      result = status;
      break;
    }
  }
  if (!result.ok()) cancelled = true;
  for (std::thread& thread : downloaders) thread.join();
  for (auto& job : jobs) resolve(*job, result.ok() ? absl::OkStatus() : result);
  return result;
}

absl::Status Puller::StreamLayer(RegistryClient& client, const Reference& at, LayerJob& job,
                                 const std::shared_ptr<PullProgress>& progress) {
  absl::StatusOr<DigestVerifier> verifier = DigestVerifier::Create(job.blob, job.size);
  if (!verifier.ok()) return verifier.status();
  // The download runs in its own thread and streams through a pipe into the layer store.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  UniqueFd read_end(fds[0]);
  absl::Status download;
  absl::Status verified = absl::OkStatus();
  std::thread downloader([&, write_fd = fds[1]] {
    // A reader that stops early must turn our writes into EPIPE, not kill the process.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    UniqueFd write_end(write_fd);
    bool finished = false;
    download = client.FetchBlob(at.path, job.blob, [&](std::string_view chunk) {
      if (!verifier->Update(chunk)) {
        verified = absl::DataLossError(
            StrCat("blob ", job.blob, ": more bytes than the manifest's ", job.size));
        return false;
      }
      progress->AddLayerBytes(job.blob, chunk.size());
      // The last piece reaches the store only if the whole blob has its digest, so a tampered
      // layer is never completed.
      if (verifier->complete()) {
        finished = true;
        verified = verifier->Finish();
        if (!verified.ok()) return false;
      }
      return WriteAll(write_end.get(), chunk);
    });
    if (download.ok() && !finished) verified = verifier->Finish();
  });
  ProgressSource source(read_end.get(), progress.get());
  absl::StatusOr<storage::LayerRecord> layer =
      store_.layers().CreateFromStream(job.id, job.parent, source);
  read_end.Reset();  // unblocks the downloader if extraction stopped early
  downloader.join();
  absl::Status problem = !verified.ok() ? verified : !download.ok() ? download : layer.status();
  if (problem.ok() && layer->uncompressed_digest != job.diff_id) {
    problem = absl::DataLossError(StrCat("layer ", job.blob, " of ", at.String(),
                                         " does not match its DiffID ", job.diff_id, " (got ",
                                         layer->uncompressed_digest, ")"));
  }
  if (!problem.ok()) {
    if (layer.ok()) (void)store_.layers().Delete(job.id);
    return problem;
  }
  return absl::OkStatus();
}

absl::Status Puller::DownloadLayer(RegistryClient& client, const Reference& at, LayerJob& job,
                                   const std::atomic<bool>& cancelled, PullProgress& progress) {
  absl::StatusOr<DigestVerifier> verifier = DigestVerifier::Create(job.blob, job.size);
  if (!verifier.ok()) return verifier.status();
  std::filesystem::path dir =
      context_.temporary_dir.empty() ? std::filesystem::path("/var/tmp") : context_.temporary_dir;
  std::string name = (dir / "crio-layer-XXXXXX").string();
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(
        StrCat("cannot create a temporary file in ", dir.string(), ": ", std::strerror(errno)));
  }
  UniqueFd file(fd);
  ::unlink(name.c_str());  // the open descriptor is all we need; nothing is left behind
  absl::Status verified = absl::OkStatus();
  absl::Status download = client.FetchBlob(at.path, job.blob, [&](std::string_view chunk) {
    if (cancelled) return false;
    progress.AddLayerBytes(job.blob, chunk.size());
    if (!verifier->Update(chunk)) {
      verified = absl::DataLossError(
          StrCat("blob ", job.blob, ": more bytes than the manifest's ", job.size));
      return false;
    }
    if (!WriteAll(file.get(), chunk)) {
      verified = absl::InternalError(
          StrCat("writing blob ", job.blob, " to ", dir.string(), ": ", std::strerror(errno)));
      return false;
    }
    return true;
  });
  if (!verified.ok()) return verified;
  if (!download.ok()) return download;
  if (auto status = verifier->Finish(); !status.ok()) return status;
  if (::lseek(file.get(), 0, SEEK_SET) != 0) return absl::InternalError("lseek failed");
  job.file = std::move(file);
  return absl::OkStatus();
}

absl::Status Puller::ApplyDownloaded(LayerJob& job, const std::shared_ptr<PullProgress>& progress) {
  ProgressSource source(job.file.get(), progress.get());
  absl::StatusOr<storage::LayerRecord> layer =
      store_.layers().CreateFromStream(job.id, job.parent, source);
  job.file.Reset();
  if (!layer.ok()) return layer.status();
  if (layer->uncompressed_digest != job.diff_id) {
    (void)store_.layers().Delete(job.id);
    return absl::DataLossError(StrCat("layer ", job.blob, " does not match its DiffID ",
                                      job.diff_id, " (got ", layer->uncompressed_digest, ")"));
  }
  return absl::OkStatus();
}

}  // namespace crio::image
