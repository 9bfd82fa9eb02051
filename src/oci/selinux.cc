// SELinux labels of pods and containers: the policy's container labels, unique MCS levels, and
// the user's options on top.
#include "crio/oci/selinux.h"

#include <random>

#include "crio/common/atomic_file.h"
#include "crio/common/strings.h"

namespace crio::oci {
namespace {

constexpr uint32_t kCategories = 1024;  // c0..c1023, what the targeted policy defines

bool IsNamePart(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// s0, s0-s0:c0.c1023, s0:c1,c2: sensitivities and categories with their separators.
bool IsLevel(std::string_view level) {
  if (level.empty()) return false;
  for (char c : level) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == ',' ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string Unquote(std::string value) {
  if (value.size() >= 2 && value.front() == value.back() &&
      (value.front() == '"' || value.front() == '\'')) {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

// KEY=value or key = "value" lines; '#' starts a comment.
std::map<std::string, std::string> ParseAssignments(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : StrSplit(text, '\n', /*skip_empty=*/true)) {
    line = line.substr(0, line.find('#'));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    out[Trim(line.substr(0, eq))] = Unquote(Trim(line.substr(eq + 1)));
  }
  return out;
}

absl::Status CheckOptions(const runtime::v1::SELinuxOption& options) {
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"user", &options.user()},
        {"role", &options.role()},
        {"type", &options.type()}}) {
    if (!value->empty() && !IsNamePart(*value)) {
      return absl::InvalidArgumentError(
          StrCat("selinux_options.", name, " \"", *value, "\" is not an SELinux name"));
    }
  }
  if (!options.level().empty() && !IsLevel(options.level())) {
    return absl::InvalidArgumentError(
        StrCat("selinux_options.level \"", options.level(), "\" is not an SELinux level"));
  }
  return absl::OkStatus();
}

std::string LevelOf(const std::string& label) {
  absl::StatusOr<SelinuxContext> context = SelinuxContext::Parse(label);
  return context.ok() ? context->level : std::string();
}

}  // namespace

absl::StatusOr<SelinuxContext> SelinuxContext::Parse(std::string_view label) {
  std::vector<std::string_view> parts = StrSplit(label, ':');
  if (parts.size() < 3) {
    return absl::InvalidArgumentError(
        StrCat("\"", label, "\" is not an SELinux context (user:role:type[:level])"));
  }
  SelinuxContext context{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), ""};
  if (parts.size() > 3) {
    context.level =
        std::string(label.substr(parts[0].size() + parts[1].size() + parts[2].size() + 3));
  }
  if (!IsNamePart(context.user) || !IsNamePart(context.role) || !IsNamePart(context.type) ||
      (parts.size() > 3 && !IsLevel(context.level))) {
    return absl::InvalidArgumentError(StrCat("\"", label, "\" is not an SELinux context"));
  }
  return context;
}

std::string SelinuxContext::ToString() const {
  std::string out = StrCat(user, ":", role, ":", type);
  if (!level.empty()) StrAppend(&out, ":", level);
  return out;
}

absl::StatusOr<ContainerPolicyLabels> LoadContainerPolicyLabels(const std::filesystem::path& root) {
  std::filesystem::path etc = root / "etc" / "selinux";
  std::string policy = "targeted";
  if (absl::StatusOr<std::string> config = ReadFile(etc / "config"); config.ok()) {
    auto values = ParseAssignments(*config);
    if (auto it = values.find("SELINUXTYPE"); it != values.end() && !it->second.empty()) {
      policy = it->second;
    }
  }
  std::filesystem::path contexts = etc / policy / "contexts" / "lxc_contexts";
  absl::StatusOr<std::string> text = ReadFile(contexts);
  if (!text.ok()) {
    return absl::NotFoundError(StrCat("the SELinux policy \"", policy,
                                      "\" has no container labels (", contexts.string(),
                                      " cannot be read)"));
  }
  auto values = ParseAssignments(*text);
  ContainerPolicyLabels labels{values["process"], values["file"]};
  if (labels.process.empty() || labels.file.empty()) {
    return absl::NotFoundError(
        StrCat(contexts.string(), R"( names no "process" and "file" labels)"));
  }
  for (std::string* label : {&labels.process, &labels.file}) {
    absl::StatusOr<SelinuxContext> parsed = SelinuxContext::Parse(*label);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(StrCat(contexts.string(), ": ", parsed.status().message()));
    }
    if (parsed->level.empty()) parsed->level = "s0";
    *label = parsed->ToString();
  }
  return labels;
}

McsLevels::McsLevels(std::function<uint32_t()> random) : random_(std::move(random)) {
  if (!random_) {
    random_ = [engine = std::make_shared<std::mt19937>(std::random_device{}())] {
      return static_cast<uint32_t>((*engine)());
    };
  }
}

std::string McsLevels::Allocate() {
  absl::MutexLock lock(&mu_);
  while (true) {
    uint32_t first = random_() % kCategories;
    uint32_t second = random_() % kCategories;
    if (first == second) continue;
    if (first > second) std::swap(first, second);
    std::string level = StrCat("s0:c", first, ",c", second);
    int& count = held_[level];
    if (count > 0) continue;
    count = 1;
    return level;
  }
}

void McsLevels::Hold(std::string_view level) {
  if (level.empty()) return;
  absl::MutexLock lock(&mu_);
  ++held_[std::string(level)];
}

void McsLevels::Release(std::string_view level) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(level);
  if (it == held_.end()) return;
  if (--it->second <= 0) held_.erase(it);
}

int McsLevels::HoldCount(std::string_view level) const {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(level);
  return it == held_.end() ? 0 : it->second;
}

SelinuxLabeler::SelinuxLabeler(ContainerPolicyLabels policy, std::function<uint32_t()> random)
    : policy_(std::move(policy)), levels_(std::move(random)) {}

absl::StatusOr<SelinuxLabels> SelinuxLabeler::ForPod(const runtime::v1::SELinuxOption& options,
                                                     PodSelinuxMode mode) {
  if (mode == PodSelinuxMode::kHostNamespaces) return SelinuxLabels{};
  if (mode == PodSelinuxMode::kPrivileged) return SelinuxLabels{"", policy_.file};
  if (absl::Status valid = CheckOptions(options); !valid.ok()) return valid;
  absl::StatusOr<SelinuxContext> process = SelinuxContext::Parse(policy_.process);
  absl::StatusOr<SelinuxContext> file = SelinuxContext::Parse(policy_.file);
  if (!process.ok()) return process.status();
  if (!file.ok()) return file.status();
  std::string level = options.level();
  if (level.empty()) {
    level = levels_.Allocate();
  } else {
    levels_.Hold(level);
  }
  process->level = level;
  file->level = level;
  if (!options.user().empty()) process->user = file->user = options.user();
  if (!options.role().empty()) process->role = options.role();
  if (!options.type().empty()) process->type = options.type();
  SelinuxLabels labels{process->ToString(), file->ToString()};
  if (mode == PodSelinuxMode::kHostNetwork) labels.process.clear();
  return labels;
}

void SelinuxLabeler::Hold(const SelinuxLabels& pod) {
  // Only separated pods hold a level; a privileged pod's file label is the policy's s0.
  if (pod.mount.empty() || pod.mount == policy_.file) return;
  levels_.Hold(LevelOf(pod.mount));
}

void SelinuxLabeler::Release(const SelinuxLabels& pod) {
  if (pod.mount.empty() || pod.mount == policy_.file) return;
  levels_.Release(LevelOf(pod.mount));
}

SelinuxSetup SetUpSelinuxLabeling(bool configured, bool host_has_selinux,
                                  const std::filesystem::path& root) {
  if (!configured) return {nullptr, "SELinux labeling is off (crio.runtime.selinux)"};
  if (!host_has_selinux) {
    return {nullptr, "crio.runtime.selinux is on, but this host has no SELinux: no labels"};
  }
  absl::StatusOr<ContainerPolicyLabels> policy = LoadContainerPolicyLabels(root);
  if (!policy.ok()) {
    return {nullptr, StrCat("SELinux labeling is off: ", View(policy.status().message()))};
  }
  std::string message = StrCat("SELinux labeling is on: containers run as ", policy->process,
                               " with their pod's level, files as ", policy->file);
  return {std::make_unique<SelinuxLabeler>(*std::move(policy)), message};
}

absl::StatusOr<SelinuxLabels> ContainerSelinuxLabels(const SelinuxLabels& pod,
                                                     const runtime::v1::SELinuxOption& options,
                                                     bool privileged) {
  if (pod.empty()) return pod;
  if (absl::Status valid = CheckOptions(options); !valid.ok()) return valid;
  SelinuxLabels labels = pod;
  if (!labels.mount.empty()) {
    absl::StatusOr<SelinuxContext> file = SelinuxContext::Parse(labels.mount);
    if (!file.ok()) return file.status();
    if (!options.user().empty()) file->user = options.user();
    if (!options.level().empty()) file->level = options.level();
    labels.mount = file->ToString();
  }
  if (privileged || labels.process.empty()) {
    labels.process.clear();
    return labels;
  }
  absl::StatusOr<SelinuxContext> process = SelinuxContext::Parse(labels.process);
  if (!process.ok()) return process.status();
  if (!options.user().empty()) process->user = options.user();
  if (!options.role().empty()) process->role = options.role();
  if (!options.type().empty()) process->type = options.type();
  if (!options.level().empty()) process->level = options.level();
  labels.process = process->ToString();
  return labels;
}

std::string SelinuxMountContext(std::string_view label) {
  return StrCat("context=\"", label, "\"");
}

}  // namespace crio::oci
