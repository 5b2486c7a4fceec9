#include "files/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

namespace ntlmh::files {
namespace {

using Kind = ReadProblem::Kind;

bool Fail(Kind kind, std::string reason, ReadProblem* problem, uint64_t size = 0) {
  problem->kind = kind;
  problem->reason = std::move(reason);
  problem->size = size;
  return false;
}

}  // namespace

std::string DescribeStatError(const std::string& path, int error) {
  switch (error) {
    case ENOENT: {
      struct stat link_st {};
      if (::lstat(path.c_str(), &link_st) == 0 && S_ISLNK(link_st.st_mode)) {
        return "symbolic link to a file that does not exist";
      }
      return "no such file or directory";
    }
    case ELOOP:
      return "symbolic link loop (too many levels of symbolic links)";
    case EACCES:
      return "permission denied";
    case ENOTDIR:
      return "no such file or directory (a component of the path is not a directory)";
    default:
      return "cannot be examined: " + std::generic_category().message(error);
  }
}

namespace {

// Why a file of this type is refused; empty for a regular file.
std::string NotRegular(mode_t mode) {
  if (S_ISREG(mode)) {
    return "";
  }
  std::string what = "not a regular file";
  if (S_ISDIR(mode)) {
    what = "a directory";
  } else if (S_ISFIFO(mode)) {
    what = "a FIFO (named pipe)";
  } else if (S_ISCHR(mode)) {
    what = "a character device";
  } else if (S_ISBLK(mode)) {
    what = "a block device";
  } else if (S_ISSOCK(mode)) {
    what = "a socket";
  }
  return "is " + what + ", not a regular file";
}

std::string TooLarge(size_t max_bytes, uint64_t size) {
  return "larger than " + SizeText(max_bytes) +
         (size > 0 ? " (" + std::to_string(size) + " bytes)" : std::string());
}

// Closes a file descriptor on every path out of ReadRegularFile.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() { ::close(fd_); }

 private:
  int fd_;
};

}  // namespace

std::string SizeText(size_t bytes) {
  constexpr size_t kMiB = size_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) {
    return std::to_string(bytes / kMiB) + " MiB";
  }
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

bool ReadRegularFile(const std::string& path, size_t max_bytes, std::string* out,
                     ReadProblem* problem) {
  // Look before opening: opening a FIFO waits for a writer, and opening a device can act on it.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Fail(Kind::kCannotExamine, DescribeStatError(path, errno), problem);
  }
  if (std::string why = NotRegular(st.st_mode); !why.empty()) {
    return Fail(Kind::kNotRegular, why, problem);
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    const auto size = static_cast<uint64_t>(st.st_size);
    return Fail(Kind::kTooLarge, TooLarge(max_bytes, size), problem, size);
  }

  // The path may have been replaced since: O_NONBLOCK keeps a FIFO from blocking the open,
  // and fstat() checks again what was opened.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return Fail(Kind::kCannotOpen,
                error == EACCES ? "cannot be opened: permission denied"
                                : "cannot be opened: " + std::generic_category().message(error),
                problem);
  }
  FdCloser closer(fd);
  if (::fstat(fd, &st) != 0) {
    return Fail(Kind::kCannotExamine,
                "cannot be examined: " + std::generic_category().message(errno), problem);
  }
  if (std::string why = NotRegular(st.st_mode); !why.empty()) {
    return Fail(Kind::kNotRegular, why, problem);
  }

  // Read at most one byte past the cap, whatever the size said.
  std::string& text = *out;
  constexpr uint64_t kFirstRead = 4096;
  text.resize(std::min<uint64_t>(std::max<uint64_t>(static_cast<uint64_t>(st.st_size), kFirstRead),
                                 max_bytes) +
              1);
  size_t used = 0;
  while (true) {
    if (used == text.size()) {
      if (text.size() > max_bytes) {
        return Fail(Kind::kTooLarge, TooLarge(max_bytes, 0), problem);
      }
      text.resize(std::min(text.size() * 2, max_bytes + 1));
    }
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Fail(Kind::kReadError, "read error: " + std::generic_category().message(errno),
                  problem);
    }
    if (n == 0) {
      break;
    }
    used += static_cast<size_t>(n);
  }
  text.resize(used);
  return true;
}

}  // namespace ntlmh::files
