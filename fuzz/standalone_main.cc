// A main() for the fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput once over each
// file named on the command line, and over every file under each directory named (recursively,
// in name order, skipping dot-files such as .gitkeep). The normal gcc builds link every target
// with it to replay fuzz/corpus/<target>/ and fuzz/regressions/<target>/ as ctest tests
// (tests/CMakeLists.txt), so a fixed bug cannot come back unnoticed.
//
// Usage: <target>_replay PATH...
// Exit status: 0 when every input ran (an oracle failure or a sanitizer report aborts the
// process before that); 2 when a path is missing or unreadable, or no input was found at all.
// Before each input the file name is printed to stderr only with -v, but always on a crash:
// the last "running:" line names the reproducer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool IsHidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// Appends the regular files at |path| (itself, or under it) to |out|; false when it is missing.
bool Collect(const fs::path& path, std::vector<fs::path>* out) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out->push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    return false;
  }
  std::vector<fs::path> found;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (IsHidden(it->path())) {
      if (it->is_directory(ec)) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (it->is_regular_file(ec)) {
      found.push_back(it->path());
    }
  }
  if (ec) {
    return false;
  }
  std::sort(found.begin(), found.end());
  out->insert(out->end(), found.begin(), found.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool verbose = false;
  std::vector<fs::path> files;
  int paths = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-v") == 0) {
      verbose = true;
      continue;
    }
    if (argv[i][0] == '-') {
      continue;  // libFuzzer flags (-runs=..., -max_len=...) mean nothing here
    }
    ++paths;
    if (!Collect(argv[i], &files)) {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  if (paths == 0 || files.empty()) {
    std::fprintf(stderr, "usage: %s [-v] FILE_OR_DIR...  (no input found)\n", argv[0]);
    return 2;
  }

  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: cannot read %s\n", f.c_str());
      return 2;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    if (verbose) {
      std::fprintf(stderr, "running: %s (%zu bytes)\n", f.c_str(), bytes.size());
    }
    // Keep the name where a crash report will be read, without flooding a clean run.
    std::string line = "running: " + f.string() + "\r";
    if (!verbose) {
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
    // A copy of exactly the file's size, so ASan sees any read past the input's end.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    uint8_t* p = data.empty() ? nullptr : data.data();
    LLVMFuzzerTestOneInput(p, data.size());
  }
  std::fprintf(stderr, "\nreplay: %zu inputs ran clean\n", files.size());
  return 0;
}
