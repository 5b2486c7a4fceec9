// SystemEnvironment's randomness: OpenSSL's CSPRNG, drawn per thread in blocks. Draws never
// repeat, within a thread, across threads, or across a fork (the child must not hand out what
// the parent will).
#include "engine/environment.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>
#include <thread>
#include <vector>

namespace ntlm {
namespace {

using Draw = std::array<uint8_t, 16>;

Draw Take() {
  Draw d{};
  EXPECT_TRUE(SystemEnvironment().Random(d).ok());
  return d;
}

TEST(SystemEnvironment, DrawsNeverRepeat) {
  std::set<Draw> seen;
  for (int i = 0; i < 200; ++i) {  // several refills of the per-thread block
    EXPECT_TRUE(seen.insert(Take()).second) << "draw " << i;
  }
  std::vector<Draw> other(100);
  std::thread t([&other] {
    for (auto& d : other) {
      d = Take();
    }
  });
  t.join();
  for (const auto& d : other) {
    EXPECT_TRUE(seen.insert(d).second);
  }
}

TEST(SystemEnvironment, LargeAndEmptyRequests) {
  std::vector<uint8_t> big(4096, 0);
  ASSERT_TRUE(SystemEnvironment().Random(big).ok());
  EXPECT_NE(std::count(big.begin(), big.end(), 0), 4096);
  std::vector<uint8_t> big2(4096, 0);
  ASSERT_TRUE(SystemEnvironment().Random(big2).ok());
  EXPECT_NE(big, big2);
  EXPECT_TRUE(SystemEnvironment().Random(std::span<uint8_t>()).ok());
}

// The parent draws once so that its block is filled, forks, and both draw the next 16 bytes:
// the child's must differ from the parent's (it reads a block of its own).
TEST(SystemEnvironment, ChildAfterForkDrawsItsOwnBytes) {
  (void)Take();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const Draw d = Take();
    const ssize_t w = write(fds[1], d.data(), d.size());
    _exit(w == static_cast<ssize_t>(d.size()) ? 0 : 1);
  }
  close(fds[1]);
  const Draw mine = Take();
  Draw child{};
  size_t got = 0;
  while (got < child.size()) {
    const ssize_t n = read(fds[0], child.data() + got, child.size() - got);
    if (n <= 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, child.size());
  EXPECT_NE(child, mine);
}

}  // namespace
}  // namespace ntlm
