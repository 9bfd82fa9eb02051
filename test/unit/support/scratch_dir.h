#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace crio::testing {

// A fresh directory under /tmp for one test, removed with everything in it afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "crio-unit") {
    std::string name = "/tmp/" + prefix + "-XXXXXX";
    EXPECT_NE(::mkdtemp(name.data()), nullptr) << name;
    path_ = name;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `content` to `name` below the directory (making its parents), with `mode`.
  std::filesystem::path Write(const std::string& name, const std::string& content,
                              mode_t mode = 0644) const {
    std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::trunc) << content;
    ::chmod(file.c_str(), mode);
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace crio::testing
