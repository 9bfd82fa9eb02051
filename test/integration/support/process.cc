#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "crio/common/reaper.h"
#include "crio/common/strings.h"
#include "crio/common/subprocess.h"
#include "crio/common/unique_fd.h"

extern char** environ;

namespace crio::testing {

Process::Process(std::vector<std::string> argv, std::filesystem::path output,
                 std::map<std::string, std::string> extra_env)
    : output_(std::move(output)) {
  crio::UniqueFd out(::open(output_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!out.valid()) throw std::runtime_error("cannot open " + output_.string());
  crio::SpawnOptions options;
  options.argv = std::move(argv);
  if (!extra_env.empty()) {
    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string item = *entry;
      if (!extra_env.count(item.substr(0, item.find('=')))) env.push_back(item);
    }
    for (const auto& [key, value] : extra_env) env.push_back(key + "=" + value);
    options.env = std::move(env);
  }
  options.stdout_fd = out.get();
  options.stderr_fd = out.get();
  absl::StatusOr<pid_t> pid = crio::Spawn(options);
  if (!pid.ok()) throw std::runtime_error(std::string(pid.status().message()));
  pid_ = *pid;
}

Process::~Process() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void Process::Signal(int signo) const { ::kill(pid_, signo); }

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  // Every child of the test process is collected by crio's reaper, as in the daemon.
  exit_code_ = crio::Reaper::Get().Wait(pid_, absl::FromChrono(timeout));
  return exit_code_;
}

std::string Process::Output() const {
  std::ifstream file(output_);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

RunResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
              std::map<std::string, std::string> extra_env) {
  TempDir dir;
  Process process(argv, dir.path() / "output", std::move(extra_env));
  std::optional<int> code = process.Wait(timeout);
  return RunResult{code.value_or(-1), process.Output()};
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

std::string RandomHexId() {
  static std::mt19937_64 generator{std::random_device{}()};
  char buffer[65];
  for (int i = 0; i < 64; i += 16) {
    std::snprintf(buffer + i, 17, "%016llx", static_cast<unsigned long long>(generator()));
  }
  return std::string(buffer, 64);
}

int UnmountAllBelow(const std::filesystem::path& dir) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  std::vector<std::string> points;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point == dir.string() || point.starts_with(dir.string() + "/")) points.push_back(point);
  }
  for (auto it = points.rbegin(); it != points.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  return static_cast<int>(points.size());
}

namespace {

std::string CommandLine(pid_t pid) {
  std::string text = ReadAll(std::filesystem::path("/proc") / std::to_string(pid) / "cmdline");
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

// The parent of each live process, from /proc/<pid>/stat (the field after the parenthesised name,
// which may itself hold spaces and parentheses).
std::map<pid_t, pid_t> Parents() {
  std::map<pid_t, pid_t> parents;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = ReadAll(entry.path() / "stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t parent = 0;
    rest >> state >> parent;
    parents[static_cast<pid_t>(std::stoi(name))] = parent;
  }
  return parents;
}

}  // namespace

std::vector<std::string> KillProcessesNaming(const std::filesystem::path& dir) {
  std::map<pid_t, pid_t> parents = Parents();
  std::vector<std::string> found;
  std::set<pid_t> doomed;
  for (const auto& [pid, parent] : parents) {
    if (pid == ::getpid()) continue;
    std::string command = CommandLine(pid);
    if (command.find(dir.string() + "/") == std::string::npos &&
        command.find(dir.string() + " ") == std::string::npos) {
      continue;
    }
    found.push_back(StrCat(pid, ": ", command));
    doomed.insert(pid);
  }
  // Children of the doomed too, transitively.
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, parent] : parents) {
      if (doomed.contains(parent) && doomed.insert(pid).second) grew = true;
    }
  }
  for (pid_t pid : doomed) ::kill(pid, SIGKILL);
  return found;
}

TempDir::TempDir() {
  std::string templ = "/tmp/crio-test-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::Write(const std::string& name, const std::string& content) const {
  std::filesystem::path file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << content;
  return file;
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  if (const char* current = std::getenv(name_.c_str())) old_ = current;
  ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_.c_str(), old_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

}  // namespace crio::testing
