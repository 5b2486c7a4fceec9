// files::ReadRegularFile: only regular files, never more than the cap, and a reason for each
// refusal (a device, a FIFO, a directory, a missing file, a file over the cap).
#include "files/read_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "tests/scratch_dir.h"

namespace ntlmh::files {
namespace {

using Kind = ReadProblem::Kind;

TEST(ReadRegularFile, ReadsAFileUpToTheCap) {
  ntlmh::testing::ScratchDir dir;
  std::string out = "old";
  ReadProblem problem;
  ASSERT_TRUE(ReadRegularFile(dir.Write("eight", "12345678"), 8, &out, &problem));
  EXPECT_EQ(out, "12345678");
  ASSERT_TRUE(ReadRegularFile(dir.Write("empty", ""), 8, &out, &problem));
  EXPECT_EQ(out, "");
  // A symbolic link to a regular file is read.
  std::filesystem::create_symlink(dir.path() / "eight", dir.path() / "link");
  ASSERT_TRUE(ReadRegularFile(dir.path() / "link", 8, &out, &problem));
  EXPECT_EQ(out, "12345678");
}

TEST(ReadRegularFile, OneByteOverTheCapIsRefused) {
  ntlmh::testing::ScratchDir dir;
  std::string out;
  ReadProblem problem;
  EXPECT_FALSE(ReadRegularFile(dir.Write("nine", "123456789"), 8, &out, &problem));
  EXPECT_EQ(problem.kind, Kind::kTooLarge);
  EXPECT_EQ(problem.reason, "larger than 8 bytes (9 bytes)");
  EXPECT_EQ(problem.size, 9u);

  // A sparse file is refused by its size, before it is read.
  const std::string big = dir.Sparse("big", (size_t{1} << 20) + 1);
  EXPECT_FALSE(ReadRegularFile(big, size_t{1} << 20, &out, &problem));
  EXPECT_EQ(problem.kind, Kind::kTooLarge);
  EXPECT_EQ(problem.reason, "larger than 1 MiB (1048577 bytes)");
}

// A file that says it is empty but is not (/proc) is still read only up to one byte past the
// cap.
TEST(ReadRegularFile, ProcFilesAreCappedByWhatIsRead) {
  std::string out;
  ReadProblem problem;
  EXPECT_FALSE(ReadRegularFile("/proc/self/status", 4, &out, &problem));
  EXPECT_EQ(problem.kind, Kind::kTooLarge);
  EXPECT_EQ(problem.reason, "larger than 4 bytes");
  EXPECT_EQ(problem.size, 0u);
}

TEST(ReadRegularFile, DevicesFifosAndDirectoriesAreRefusedUnread) {
  ntlmh::testing::ScratchDir dir;
  std::string out;
  ReadProblem problem;
  EXPECT_FALSE(ReadRegularFile("/dev/zero", size_t{16} << 20, &out, &problem));
  EXPECT_EQ(problem.kind, Kind::kNotRegular);
  EXPECT_EQ(problem.reason, "is a character device, not a regular file");

  EXPECT_FALSE(ReadRegularFile(dir.path(), 100, &out, &problem));
  EXPECT_EQ(problem.kind, Kind::kNotRegular);
  EXPECT_EQ(problem.reason, "is a directory, not a regular file");

  // No writer ever comes: reading it would block for ever.
  const std::string fifo = dir.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(ReadRegularFile(fifo, 100, &out, &problem));
  EXPECT_EQ(problem.kind, Kind::kNotRegular);
  EXPECT_EQ(problem.reason, "is a FIFO (named pipe), not a regular file");
}

TEST(ReadRegularFile, MissingFilesSayWhy) {
  ntlmh::testing::ScratchDir dir;
  std::string out;
  ReadProblem problem;
  EXPECT_FALSE(ReadRegularFile(dir.path() / "nope", 100, &out, &problem));
  EXPECT_EQ(problem.kind, Kind::kCannotExamine);
  EXPECT_EQ(problem.reason, "no such file or directory");

  std::filesystem::create_symlink(dir.path() / "nope", dir.path() / "dangling");
  EXPECT_FALSE(ReadRegularFile(dir.path() / "dangling", 100, &out, &problem));
  EXPECT_EQ(problem.reason, "symbolic link to a file that does not exist");

  dir.Write("file", "x");
  EXPECT_FALSE(ReadRegularFile(dir.path() / "file" / "below", 100, &out, &problem));
  EXPECT_EQ(problem.reason,
            "no such file or directory (a component of the path is not a directory)");
}

TEST(SizeText, WholeMebibytesElseBytes) {
  EXPECT_EQ(SizeText(size_t{16} << 20), "16 MiB");
  EXPECT_EQ(SizeText(size_t{1} << 20), "1 MiB");
  EXPECT_EQ(SizeText((size_t{1} << 20) + 1), "1048577 bytes");
  EXPECT_EQ(SizeText(1), "1 byte");
  EXPECT_EQ(SizeText(0), "0 bytes");
}

}  // namespace
}  // namespace ntlmh::files
