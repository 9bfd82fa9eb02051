// crictl's image commands: pull, images, rmi, inspecti, imagefsinfo.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "commands.h"
#include "crio/common/unique_fd.h"
#include "output.h"

namespace crioctl {
namespace {

// GET `target` from the daemon's info endpoint (HTTP/1.1 on the unix socket `socket_path`);
// the JSON body, or nothing when the endpoint is not there or answers something else.
std::optional<nlohmann::json> GetInfo(const std::string& socket_path, const std::string& target) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) return std::nullopt;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  crio::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return std::nullopt;
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: crio\r\nConnection: close\r\n\r\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return std::nullopt;
  std::string response;
  char buffer[16384];
  ssize_t n;
  while ((n = ::recv(fd.get(), buffer, sizeof(buffer), 0)) > 0)
    response.append(buffer, static_cast<size_t>(n));
  size_t body = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.1 200 ") || body == std::string::npos) return std::nullopt;
  auto parsed = nlohmann::json::parse(response.substr(body + 4), nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

// A bar per layer, redrawn in place (the cursor goes back up over the previous drawing).
class LayerBars {
 public:
  void Draw(const nlohmann::json& layers, bool complete) {
    if (lines_ > 0) std::printf("\x1b[%dA", lines_);
    lines_ = 0;
    for (const auto& layer : layers) {
      std::string digest = layer.value("digest", "");
      int64_t size = layer.value("size", int64_t{-1});
      uint64_t done =
          complete && size > 0 ? static_cast<uint64_t>(size) : layer.value("done", uint64_t{0});
      constexpr int kWidth = 30;
      int filled = size > 0
                       ? static_cast<int>(std::min<uint64_t>(done, static_cast<uint64_t>(size)) *
                                          kWidth / static_cast<uint64_t>(size))
                       : 0;
      std::string bar(static_cast<size_t>(filled), '=');
      if (filled < kWidth) bar += '>';
      bar.resize(kWidth, ' ');
      std::printf("\x1b[2K%s [%s] %s / %s\n", digest.substr(0, 19).c_str(), bar.c_str(),
                  HumanSize(done).c_str(), size >= 0 ? HumanSize(size).c_str() : "?");
      ++lines_;
    }
    std::fflush(stdout);
  }

 private:
  int lines_ = 0;
};

// While `running` is set, draws the layers of the pull of `image` as the daemon's info endpoint
// reports them; at the end, the last state seen (all complete when `succeeded`).
class PullWatcher {
 public:
  PullWatcher(std::string info_socket, std::string image)
      : thread_([this, info_socket = std::move(info_socket), image = std::move(image)] {
          Watch(info_socket, image);
        }) {}
  void Finish(bool succeeded) {
    {
      std::lock_guard lock(mu_);
      done_ = true;
      succeeded_ = succeeded;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Watch(const std::string& info_socket, const std::string& image) {
    LayerBars bars;
    nlohmann::json last;
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [&] { return done_; })) {
      lock.unlock();
      if (std::optional<nlohmann::json> info = GetInfo(info_socket, "/pulls")) {
        for (const auto& pull : info->value("pulls", nlohmann::json::array())) {
          if (pull.value("image", "") != image) continue;
          last = pull.value("layers", nlohmann::json::array());
          bars.Draw(last, false);
          break;
        }
      }
      lock.lock();
    }
    if (!last.is_null()) bars.Draw(last, succeeded_);
  }

  std::mutex mu_;
  std::condition_variable wake_;
  bool done_ = false;
  bool succeeded_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace
void AddImageCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  // Pulls (with the kubelet's long deadline) can take far longer than --timeout's default.
  CLI::App* pull = app.add_subcommand("pull", "Pull an image from a registry");
  auto pull_image = std::make_shared<std::string>();
  auto creds = std::make_shared<std::string>();
  auto auth = std::make_shared<std::string>();
  auto pod_config = std::make_shared<std::string>();
  pull->add_option("image", *pull_image, "Image to pull")->required();
  CLI::Option* creds_option =
      pull->add_option("--creds", *creds, "Registry credentials as USERNAME[:PASSWORD]");
  pull->add_option("--auth", *auth, "Registry credentials as base64 of USERNAME:PASSWORD")
      ->excludes(creds_option);
  pull->add_option("-p,--pod-config", *pod_config,
                   "Pod sandbox config (JSON or YAML) sent with the request");
  pull->callback([&globals, &exit_code, pull_image, creds, auth, pod_config] {
    runtime::v1::PullImageRequest request;
    request.mutable_image()->set_image(*pull_image);
    if (!creds->empty()) {
      size_t colon = creds->find(':');
      request.mutable_auth()->set_username(creds->substr(0, colon));
      if (colon != std::string::npos)
        request.mutable_auth()->set_password(creds->substr(colon + 1));
    }
    if (!auth->empty()) request.mutable_auth()->set_auth(*auth);
    if (!pod_config->empty()) {
      if (absl::Status loaded = LoadMessageFile(*pod_config, request.mutable_sandbox_config());
          !loaded.ok()) {
        std::cerr << "crioctl: " << loaded.message() << "\n";
        exit_code = 1;
        return;
      }
    }
    exit_code = WithClient(WithTimeout(globals, "30m"), [&](Client& client) {
      runtime::v1::PullImageResponse response;
      // Live progress only for a person watching: nothing extra when the output is a pipe or file.
      std::optional<PullWatcher> watcher;
      if (::isatty(STDOUT_FILENO)) watcher.emplace(client.image_socket() + ".info", *pull_image);
      grpc::Status status = client.image().PullImage(client.NewContext().get(), request, &response);
      if (watcher) watcher->Finish(status.ok());
      if (!status.ok()) return ReportFailure("pulling image", status);
      std::cout << "Image is up to date for " << response.image_ref() << "\n";
      return 0;
    });
  });

  CLI::App* images = app.add_subcommand("images", "List images");
  images->alias("image");
  auto filter = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto digests = std::make_shared<bool>(false);
  auto verbose = std::make_shared<bool>(false);
  auto images_output = std::make_shared<std::string>();
  images->add_option("image", *filter, "Only this image");
  images->add_flag("-v,--verbose", *verbose, "Show every field of each image");
  images->add_flag("-q,--quiet", *quiet, "Only show image IDs");
  images->add_flag("--digests", *digests, "Show digests");
  images->add_option("-o,--output", *images_output, "Output format: json, yaml or table");
  images->callback([&globals, &exit_code, filter, quiet, digests, verbose, images_output] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ListImagesRequest request;
      if (!filter->empty()) request.mutable_filter()->mutable_image()->set_image(*filter);
      runtime::v1::ListImagesResponse response;
      grpc::Status status =
          client.image().ListImages(client.NewContext().get(), request, &response);
      if (!status.ok()) return ReportFailure("listing images", status);
      if (!images_output->empty() && *images_output != "table") {
        return PrintDocument(ToJson(response), *images_output);
      }
      if (*quiet) {
        for (const auto& image : response.images()) std::cout << image.id() << "\n";
        return 0;
      }
      if (*verbose) {
        // crictl's verbose listing: one block of fields per image.
        for (const auto& image : response.images()) {
          std::cout << "ID: " << image.id() << "\n";
          for (const auto& tag : image.repo_tags()) std::cout << "RepoTags: " << tag << "\n";
          for (const auto& digest : image.repo_digests())
            std::cout << "RepoDigests: " << digest << "\n";
          if (image.size() != 0) std::cout << "Size: " << image.size() << "\n";
          if (image.has_uid()) std::cout << "Uid: " << image.uid().value() << "\n";
          if (!image.username().empty()) std::cout << "Username: " << image.username() << "\n";
          if (image.pinned()) std::cout << "Pinned: true\n";
          std::cout << "\n";
        }
        return 0;
      }
      std::printf(*digests ? "%-40s %-12s %-15s %-15s %s\n" : "%-40s %-12s %-15s%s %s\n", "IMAGE",
                  "TAG", *digests ? "DIGEST" : "IMAGE ID", *digests ? "IMAGE ID" : "", "SIZE");
      for (const auto& image : response.images()) {
        std::string digest;
        if (!image.repo_digests().empty()) {
          const std::string& first = image.repo_digests(0);
          digest = first.substr(first.find('@') + 8, 13);
        }
        auto row = [&](const std::string& repository, const std::string& tag) {
          if (*digests) {
            std::printf("%-40s %-12s %-15s %-15s %s\n", repository.c_str(), tag.c_str(),
                        digest.c_str(), image.id().substr(0, 13).c_str(),
                        HumanSize(image.size()).c_str());
          } else {
            std::printf("%-40s %-12s %-15s %s\n", repository.c_str(), tag.c_str(),
                        image.id().substr(0, 13).c_str(), HumanSize(image.size()).c_str());
          }
        };
        if (image.repo_tags().empty()) row("<none>", "<none>");
        for (const std::string& tag : image.repo_tags()) {
          size_t colon = tag.rfind(':');
          row(tag.substr(0, colon), tag.substr(colon + 1));
        }
      }
      return 0;
    });
  });

  CLI::App* rmi = app.add_subcommand("rmi", "Remove one or more images");
  auto rmi_images = std::make_shared<std::vector<std::string>>();
  auto rmi_all = std::make_shared<bool>(false);
  auto rmi_prune = std::make_shared<bool>(false);
  rmi->add_option("images", *rmi_images, "Images to remove");
  rmi->add_flag("-a,--all", *rmi_all, "Remove all images");
  rmi->add_flag("-q,--prune", *rmi_prune, "Remove all images not used by any container");
  rmi->callback([&globals, &exit_code, rmi_images, rmi_all, rmi_prune] {
    if (rmi_images->empty() && !*rmi_all && !*rmi_prune) {
      std::cerr << "crioctl: no image given (name one, or use --all or --prune)\n";
      exit_code = 1;
      return;
    }
    exit_code = WithClient(globals, [&](Client& client) {
      int code = 0;
      auto remove = [&](const std::string& image) {
        runtime::v1::RemoveImageRequest request;
        request.mutable_image()->set_image(image);
        runtime::v1::RemoveImageResponse response;
        grpc::Status status =
            client.image().RemoveImage(client.NewContext().get(), request, &response);
        if (!status.ok()) code = ReportFailure("removing image " + image, status);
        return status.ok();
      };
      if (!*rmi_all && !*rmi_prune) {
        for (const std::string& image : *rmi_images) {
          if (remove(image)) std::cout << "Deleted: " << image << "\n";
        }
        return code;
      }
      // As crictl does: every image, less (with --prune) the ones a container was created from,
      // each removed by id and reported by its tags.
      std::set<std::string> in_use;
      if (*rmi_prune && !*rmi_all) {
        runtime::v1::ListContainersResponse containers;
        grpc::Status listed =
            client.runtime().ListContainers(client.NewContext().get(), {}, &containers);
        if (!listed.ok()) return ReportFailure("listing containers", listed);
        for (const auto& container : containers.containers()) {
          in_use.insert(container.image_ref());
          runtime::v1::ImageStatusRequest request;
          request.mutable_image()->set_image(container.image().image());
          runtime::v1::ImageStatusResponse status;
          grpc::Status found =
              client.image().ImageStatus(client.NewContext().get(), request, &status);
          if (!found.ok()) return ReportFailure("inspecting image of " + container.id(), found);
          if (status.has_image()) in_use.insert(status.image().id());
        }
      }
      runtime::v1::ListImagesResponse images;
      grpc::Status listed = client.image().ListImages(client.NewContext().get(), {}, &images);
      if (!listed.ok()) return ReportFailure("listing images", listed);
      for (const auto& image : images.images()) {
        if (in_use.contains(image.id()) || !remove(image.id())) continue;
        if (image.repo_tags().empty()) std::cout << "Deleted: " << image.id() << "\n";
        for (const auto& tag : image.repo_tags()) std::cout << "Deleted: " << tag << "\n";
      }
      return code;
    });
  });

  CLI::App* inspecti = app.add_subcommand("inspecti", "Return the status of one or more images");
  auto inspect_images = std::make_shared<std::vector<std::string>>();
  auto inspect_output = std::make_shared<std::string>("json");
  inspecti->add_option("images", *inspect_images, "Images to inspect")->required();
  inspecti->add_option("-o,--output", *inspect_output, "Output format: json or yaml");
  inspecti->callback([&globals, &exit_code, inspect_images, inspect_output] {
    exit_code = WithClient(globals, [&](Client& client) {
      for (const std::string& image : *inspect_images) {
        runtime::v1::ImageStatusRequest request;
        request.mutable_image()->set_image(image);
        request.set_verbose(true);
        runtime::v1::ImageStatusResponse response;
        grpc::Status status =
            client.image().ImageStatus(client.NewContext().get(), request, &response);
        if (!status.ok()) return ReportFailure("inspecting image " + image, status);
        if (!response.has_image()) {
          std::cerr << "crioctl: no such image " << image << " present\n";
          return 1;
        }
        nlohmann::ordered_json document;
        document["status"] = ToJson(response.image());
        for (const auto& [key, value] : response.info()) {
          auto parsed = nlohmann::ordered_json::parse(value, nullptr, false);
          document["info"][key] = parsed.is_discarded() ? nlohmann::ordered_json(value) : parsed;
        }
        if (PrintDocument(document, *inspect_output) != 0) return 1;
      }
      return 0;
    });
  });

  CLI::App* fsinfo = app.add_subcommand("imagefsinfo", "Return image filesystem info");
  auto fs_output = std::make_shared<std::string>("json");
  fsinfo->add_option("-o,--output", *fs_output, "Output format: json or yaml");
  fsinfo->callback([&globals, &exit_code, fs_output] {
    exit_code = WithClient(globals, [&](Client& client) {
      runtime::v1::ImageFsInfoResponse response;
      grpc::Status status = client.image().ImageFsInfo(client.NewContext().get(), {}, &response);
      if (!status.ok()) return ReportFailure("getting image filesystem info", status);
      return PrintDocument(ToJson(response), *fs_output);
    });
  });
}

}  // namespace crioctl
