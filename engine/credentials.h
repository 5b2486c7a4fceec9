// Credentials: what a client authenticates with, and the server's store of accounts.
//
// User name forms (as SSPI and GSSAPI users type them):
//   "DOMAIN\user"       -> domain "DOMAIN", user "user" (split on the first backslash)
//   "user@example.com"  -> user "user@example.com", domain "" (a UPN stays whole; [MS-NLMP]
//                          3.3.2 then computes NTOWFv2 with an empty UserDom)
//   "user"              -> user "user", domain ""
//
// Store file format, one account a line ('#' starts a comment line, blank lines skipped):
//   DOMAIN:user:password
//   DOMAIN:user:nt=<32 hex digits>       (the NT hash, for pass-the-hash)
// The password is everything after the second ':' (it may hold ':').
#ifndef NTLM_ENGINE_CREDENTIALS_H_
#define NTLM_ENGINE_CREDENTIALS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/compute.h"
#include "engine/error.h"

namespace ntlm {

struct UserName {
  std::string domain;
  std::string user;
};
UserName SplitUserName(std::string_view name);

// A client's secret: a password or an NT hash (NTOWFv1).
struct Secret {
  std::optional<std::string> password;
  std::optional<Key16> nt_hash;

  // NTOWFv1 from the password, or the given NT hash.
  [[nodiscard]] Result<Key16> NtOwfV1() const;
  // LMOWFv1 (password only; fails for an NT hash or a password LM cannot hold).
  [[nodiscard]] Result<Key16> LmOwfV1() const;
};

struct Account {
  std::string domain;  // as written in the store
  std::string user;
  Secret secret;
};

// The server's accounts. User names compare case-insensitively with Unicode simple case
// mapping; domains compare case-insensitively too.
//
// A store of any size is cheap to copy (a server context takes one per handshake): copies
// share the accounts until one of them adds an account. Add and Find take constant time on
// average (a hash index of the folded names).
class CredentialStore {
 public:
  Status Add(std::string_view domain, std::string_view user, std::string_view password);
  Status AddNtHash(std::string_view domain, std::string_view user, const Key16& nt_hash);

  // Parses the store format above. Errors name the line as the field ("line 3") and the byte
  // offset of the line's start.
  [[nodiscard]] static Result<CredentialStore> Parse(std::string_view text);

  // The account for |user| in |domain|. An empty |domain| matches the account in
  // |default_domain| (the server's own), as Windows does for a local or default-domain user.
  const Account* Find(std::string_view domain, std::string_view user,
                      std::string_view default_domain) const;

  size_t size() const { return data_ == nullptr ? 0 : data_->accounts.size(); }
  const std::vector<Account>& accounts() const;

 private:
  struct Data {
    std::vector<Account> accounts;
    // Folded domain and user (IndexKey) -> position in |accounts|.
    std::unordered_map<std::string, size_t> index;
  };
  // Validates |account|'s names, refuses a second account with the same folded names.
  Status Insert(Account account);

  std::shared_ptr<const Data> data_;  // null: empty
};

}  // namespace ntlm

#endif  // NTLM_ENGINE_CREDENTIALS_H_
