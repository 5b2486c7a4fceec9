#include "cli/min_security.h"

#include <cstdlib>
#include <sstream>

namespace ntlmh {

bool ParseMinSecurity(const std::string& text, MinSecurity* out) {
  MinSecurity result;
  char* end = nullptr;
  const unsigned long mask = std::strtoul(text.c_str(), &end, 0);
  if (!text.empty() && text[0] != '-' && *end == '\0') {
    if ((mask & ~0x20080000ul) != 0) {
      return false;
    }
    result.require_128bit = (mask & 0x20000000ul) != 0;
    result.require_session_security = (mask & 0x00080000ul) != 0;
    *out = result;
    return true;
  }
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, text.find('|') != std::string::npos ? '|' : ',')) {
    if (item == "128bit" || item == "NEGOTIATE_128") {
      result.require_128bit = true;
    } else if (item == "ntlmv2-session" || item == "EXTENDED_SESSIONSECURITY") {
      result.require_session_security = true;
    } else {
      return false;
    }
  }
  *out = result;
  return true;
}

}  // namespace ntlmh
