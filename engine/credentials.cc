// Credentials and the server's account store (see credentials.h for the forms and the format).
#include "engine/credentials.h"

#include <memory>
#include <string>
#include <utility>

#include "engine/text.h"

namespace ntlm {
namespace {

// Not an [MS-NLMP] rule: the store file is this project's own format (credentials.h).
constexpr char kRuleStore[] = "ntlm-harness store format";
constexpr char kRuleOwfV1[] = "MS-NLMP 3.3.1";

constexpr std::string_view kNtHashPrefix = "nt=";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') {
      return false;
    }
  }
  return true;
}

// The comparison key of a domain or user name: Unicode simple upper case (text.h).
Result<std::string> Fold(std::string_view s, const char* field) {
  Result<std::string> up = text::ToUpperUtf8(s);
  if (!up.ok()) {
    return up.error().Nested(field, 0);
  }
  return up;
}

// One string for a folded (domain, user) pair: the domain's length first, so that no two pairs
// give the same key whatever bytes the names hold.
std::string IndexKey(std::string_view domain_upper, std::string_view user_upper) {
  std::string key = std::to_string(domain_upper.size());
  key += ':';
  key += domain_upper;
  key += user_upper;
  return key;
}

}  // namespace

UserName SplitUserName(std::string_view name) {
  // "DOMAIN\user": the first backslash splits; a UPN ("user@dns.domain") and a bare name stay
  // whole with an empty domain ([MS-NLMP] 3.3.2 then uses an empty UserDom).
  const size_t slash = name.find('\\');
  if (slash == std::string_view::npos) {
    return UserName{"", std::string(name)};
  }
  return UserName{std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
}

Result<Key16> Secret::NtOwfV1() const {
  // A password, when there is one, is the source of truth; the NT hash is for pass-the-hash.
  if (password.has_value()) {
    return ntlm::NtOwfV1(*password);
  }
  if (nt_hash.has_value()) {
    return *nt_hash;
  }
  return MakeError(ErrorCode::kInvalidArgument, kRuleOwfV1, "Secret", 0,
                   "neither a password nor an NT hash is set");
}

Result<Key16> Secret::LmOwfV1() const {
  if (password.has_value()) {
    return ntlm::LmOwfV1(*password);
  }
  // LMOWFv1 is a DES function of the upper-cased password; the NT hash (MD4) cannot give it.
  return MakeError(ErrorCode::kUnsupported, kRuleOwfV1, "Secret", 0,
                   nt_hash.has_value() ? "an NT hash cannot give the LMOWFv1"
                                       : "neither a password nor an NT hash is set");
}

Status CredentialStore::Insert(Account account) {
  if (account.user.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, kRuleStore, "user", 0,
                     "an account needs a user name");
  }
  Result<std::string> domain_upper = Fold(account.domain, "domain");
  if (!domain_upper.ok()) {
    return domain_upper.error();
  }
  Result<std::string> user_upper = Fold(account.user, "user");
  if (!user_upper.ok()) {
    return user_upper.error();
  }
  std::string key = IndexKey(*domain_upper, *user_upper);
  if (data_ != nullptr && data_->index.count(key) != 0) {
    return MakeError(
        ErrorCode::kInvalidArgument, kRuleStore, "user", 0,
        "the account " + account.domain + "\\" + account.user + " is already in the store");
  }
  // Copy on write: other copies of this store keep the accounts they had.
  std::shared_ptr<Data> data =
      data_ == nullptr ? std::make_shared<Data>()
      : data_.use_count() == 1 ? std::const_pointer_cast<Data>(data_)
                               : std::make_shared<Data>(*data_);
  data->index.emplace(std::move(key), data->accounts.size());
  data->accounts.push_back(std::move(account));
  data_ = std::move(data);
  return Status();
}

Status CredentialStore::Add(std::string_view domain, std::string_view user,
                            std::string_view password) {
  if (Status s = text::ValidateUtf8(password); !s.ok()) {
    // No offset: where a password goes wrong is a hint about the password.
    return MakeError(s.error().code, kRuleStore, "password", 0, "the password is not UTF-8");
  }
  Account account;
  account.domain = std::string(domain);
  account.user = std::string(user);
  account.secret.password = std::string(password);
  return Insert(std::move(account));
}

Status CredentialStore::AddNtHash(std::string_view domain, std::string_view user,
                                  const Key16& nt_hash) {
  Account account;
  account.domain = std::string(domain);
  account.user = std::string(user);
  account.secret.nt_hash = nt_hash;
  return Insert(std::move(account));
}

Result<CredentialStore> CredentialStore::Parse(std::string_view text) {
  CredentialStore store;
  size_t line_start = 0;
  // A UTF-8 byte order mark (Notepad writes one) is not part of the first domain name.
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    line_start = kUtf8Bom.size();
  }

  size_t line_number = 0;
  while (line_start < text.size()) {
    ++line_number;
    const size_t newline = text.find('\n', line_start);
    const size_t line_end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(line_start, line_end - line_start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const std::string field = "line " + std::to_string(line_number);
    const size_t offset = line_start;
    line_start = newline == std::string_view::npos ? text.size() : newline + 1;

    if (IsBlank(line) || line.front() == '#') {
      continue;
    }
    if (Status s = text::ValidateUtf8(line); !s.ok()) {
      return MakeError(
          s.error().code, kRuleStore, field, offset,
          "not valid UTF-8 (byte " + std::to_string(s.error().offset) + " of the line)");
    }

    // DOMAIN:user:secret; the secret is everything after the second ':'.
    const size_t first = line.find(':');
    const size_t second =
        first == std::string_view::npos ? std::string_view::npos : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, kRuleStore, field, offset,
                       "expected DOMAIN:user:password or DOMAIN:user:nt=<32 hex digits>");
    }
    const std::string_view domain = line.substr(0, first);
    const std::string_view user = line.substr(first + 1, second - first - 1);
    const std::string_view secret = line.substr(second + 1);

    Status added;
    if (secret.substr(0, kNtHashPrefix.size()) == kNtHashPrefix) {
      Result<Key16> hash = ParseNtHash(secret.substr(kNtHashPrefix.size()));
      if (!hash.ok()) {
        return MakeError(ErrorCode::kInvalidArgument, kRuleStore, field, offset,
                         "nt= needs exactly 32 hex digits (the NT hash)");
      }
      added = store.AddNtHash(domain, user, *hash);
    } else {
      added = store.Add(domain, user, secret);
    }
    if (!added.ok()) {
      return MakeError(added.error().code, kRuleStore, field, offset, added.error().reason);
    }
  }
  return store;
}

const Account* CredentialStore::Find(std::string_view domain, std::string_view user,
                                     std::string_view default_domain) const {
  // An empty domain in the AUTHENTICATE means the server's own ([MS-NLMP] leaves the lookup to
  // the server; Windows resolves it to the local or default domain).
  Result<std::string> d = text::ToUpperUtf8(domain.empty() ? default_domain : domain);
  Result<std::string> u = text::ToUpperUtf8(user);
  if (!d.ok() || !u.ok() || u->empty()) {
    return nullptr;
  }
  if (data_ == nullptr) {
    return nullptr;
  }
  const auto it = data_->index.find(IndexKey(*d, *u));
  return it == data_->index.end() ? nullptr : &data_->accounts[it->second];
}

const std::vector<Account>& CredentialStore::accounts() const {
  static const std::vector<Account> kNone;
  return data_ == nullptr ? kNone : data_->accounts;
}

}  // namespace ntlm
