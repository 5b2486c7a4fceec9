// Helpers shared by the engine's tests.
#ifndef NTLM_ENGINE_TESTING_TEST_UTIL_H_
#define NTLM_ENGINE_TESTING_TEST_UTIL_H_

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "engine/bytes.h"

namespace ntlm::testing {

// Hex to bytes; spaces and newlines are ignored. A bad string fails the current test.
inline Bytes Hex(std::string_view hex) {
  std::string compact;
  for (char c : hex) {
    if (c != ' ' && c != '\n' && c != '\t') {
      compact.push_back(c);
    }
  }
  Bytes out;
  EXPECT_TRUE(FromHex(compact, &out)) << "bad hex in test: " << hex;
  return out;
}

}  // namespace ntlm::testing

#endif  // NTLM_ENGINE_TESTING_TEST_UTIL_H_
