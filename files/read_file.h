// Reading a small file a user names (a vector file, a credential store, a PEM certificate or
// key) without trusting what the path is: only a regular file (or a symbolic link to one) is
// read, and never more than a cap. A device (/dev/zero), a FIFO, a socket or a directory is
// refused after a look with stat(), before open(); what open() returns is checked again.
//
// engine/ does no I/O (shared/DESIGN.md), so this lives in its own small library, used by the
// vector runner (vectors/), the mock server's TLS files (mock_server/) and `ntlmh serve`
// (cli/).
//
//   std::string text;
//   files::ReadProblem problem;
//   if (!files::ReadRegularFile(path, size_t{1} << 20, &text, &problem)) {
//     Fail("cannot read " + path + ": " + problem.reason);
//   }
#ifndef NTLMH_FILES_READ_FILE_H_
#define NTLMH_FILES_READ_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace ntlmh::files {

struct ReadProblem {
  enum class Kind : uint8_t {
    kCannotExamine,  // stat() failed: "no such file or directory", "permission denied", ...
    kNotRegular,     // "is a character device, not a regular file"
    kTooLarge,       // more than the cap; |size| is the size stat() gave, 0 if unknown
    kCannotOpen,     // "cannot be opened: permission denied"
    kReadError,      // "read error: Input/output error"
  };
  Kind kind = Kind::kCannotExamine;
  std::string reason;  // lower case, no trailing period, no path
  uint64_t size = 0;
};

// Reads the whole of the regular file at |path| into |*out| when it holds at most |max_bytes|
// bytes. Otherwise false, |*out| unspecified, and |*problem| says why; the read stops one byte
// past the cap whatever size stat() reported (files under /proc report 0, a file may grow).
[[nodiscard]] bool ReadRegularFile(const std::string& path, size_t max_bytes, std::string* out,
                                   ReadProblem* problem);

// Why stat() on |path| failed with |error| (an errno value), in words: "no such file or
// directory", "symbolic link to a file that does not exist", "permission denied", ...
std::string DescribeStatError(const std::string& path, int error);

// "16 MiB" for a whole number of MiB, else "1000 bytes".
std::string SizeText(size_t bytes);

}  // namespace ntlmh::files

#endif  // NTLMH_FILES_READ_FILE_H_
