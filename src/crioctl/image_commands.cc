// crictl's image commands: pull, images, rmi, inspecti, imagefsinfo.
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "output.h"

namespace crioctl {
void AddImageCommands(CLI::App& app, const GlobalOptions& globals, int& exit_code) {
  // Pulls (with the kubelet's long deadline) can take far longer than --timeout's default.
  CLI::App* pull = app.add_subcommand("pull", "Pull an image from a registry");
  auto pull_image = std::make_shared<std::string>();
  auto creds = std::make_shared<std::string>();
  pull->add_option("image", *pull_image, "Image to pull")->required();
  pull->add_option("--creds", *creds, "Registry credentials as USERNAME[:PASSWORD]");
  pull->callback([&globals, &exit_code, pull_image, creds] {
    GlobalOptions long_timeout = globals;
    if (long_timeout.timeout == "2s") long_timeout.timeout = "30m";
    exit_code = WithClient(long_timeout, [&](Client& client) {
      runtime::v1::PullImageRequest request;
      request.mutable_image()->set_image(*pull_image);
      if (!creds->empty()) {
        size_t colon = creds->find(':');
        request.mutable_auth()->set_username(creds->substr(0, colon));
        if (colon != std::string::npos)
          request.mutable_auth()->set_password(creds->substr(colon + 1));
      }
      runtime::v1::PullImageResponse response;
      grpc::Status status = client.image().PullImage(client.NewContext().get(), request, &response);
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
  auto images_output = std::make_shared<std::string>();
  images->add_option("image", *filter, "Only this image");
  images->add_flag("-q,--quiet", *quiet, "Only show image IDs");
  images->add_flag("--digests", *digests, "Show digests");
  images->add_option("-o,--output", *images_output, "Output format: json, yaml or table");
  images->callback([&globals, &exit_code, filter, quiet, digests, images_output] {
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
  rmi->add_option("images", *rmi_images, "Images to remove")->required();
  rmi->callback([&globals, &exit_code, rmi_images] {
    exit_code = WithClient(globals, [&](Client& client) {
      int code = 0;
      for (const std::string& image : *rmi_images) {
        runtime::v1::RemoveImageRequest request;
        request.mutable_image()->set_image(image);
        runtime::v1::RemoveImageResponse response;
        grpc::Status status =
            client.image().RemoveImage(client.NewContext().get(), request, &response);
        if (!status.ok()) {
          code = ReportFailure("removing image " + image, status);
          continue;
        }
        std::cout << "Deleted: " << image << "\n";
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
