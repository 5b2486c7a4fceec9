// A fresh directory under the system's temporary directory for one test, removed with it.
//
//   ScratchDir dir;
//   const std::string users = dir.Write("users.txt", "CORP:alice:Secret1!\n");
#ifndef NTLMH_TESTS_SCRATCH_DIR_H_
#define NTLMH_TESTS_SCRATCH_DIR_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

namespace ntlmh::testing {

class ScratchDir {
 public:
  // Named after the process and the running test, so parallel ctest runs do not meet.
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() /
              ("ntlmh-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ / name; }

  // Writes |text| to the file |name| in the directory; its path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
  // A file of |size| bytes that takes no room (sparse); its path.
  std::string Sparse(const std::string& name, size_t size) const {
    const std::string file = Write(name, "");
    std::filesystem::resize_file(file, size);
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace ntlmh::testing

#endif  // NTLMH_TESTS_SCRATCH_DIR_H_
