#pragma once
// Plain records the store hands to the services. They mirror the stored rows; no SQL types leak.
#include <mcid/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mcid {

struct Org {
    std::int64_t id = 0;
    std::string mpn_id;
    std::string name;
    Instant created_at = 0;
};

struct User {
    std::int64_t id = 0;
    std::string email;
    std::string name;
    Role role = Role::user;
    std::optional<std::int64_t> org_id;
    UserStatus status = UserStatus::invited;
    std::string password_hash;
    std::string invite_code_hash;
    Instant invited_at = 0;
    std::optional<Instant> invite_expires_at;
    std::optional<Instant> accepted_at;
    std::optional<Instant> deleted_at;
    int failed_logins = 0;
    Instant locked_until = 0;
};

// Sign-in attempts against one account or name: failures in a row (attempts in flight count
// too) and the end of a lockout.
struct Attempts {
    int failed = 0;
    Instant locked_until = 0;
};

struct Session {
    std::int64_t user_id = 0;
    Instant expires_at = 0;
};

// A certification profile (Microsoft Learning) or a Partner University account: something a
// user signs in to with its own credentials, with its own lockout counter.
struct ExternalAccount {
    std::int64_t id = 0;  // the MCID for profiles
    std::string login;
    std::string name;
    std::string password_hash;
    int failed_logins = 0;
    Instant locked_until = 0;
};

struct Credential {
    std::int64_t mcid = 0;
    std::string code;
    std::string title;
    CredentialType type = CredentialType::certification;
    std::optional<Date> passed_on;
    std::optional<Date> expires_on;
};

struct Assessment {
    std::int64_t account_id = 0;
    std::string title;
    std::string code;
    std::optional<Date> passed_on;
};

enum class AccountKind { profile, university };
std::string_view to_string(AccountKind kind);

// A current link of an external account (profile or Partner University) to a user.
struct Link {
    std::int64_t account_id = 0;  // MCID or university account id
    std::int64_t user_id = 0;
    std::int64_t org_id = 0;
    Instant linked_at = 0;
};

struct Competency {
    std::string name;
    std::vector<std::string> codes;
    std::int64_t individuals = 0;
};

// A period [starts_at, ends_at) in which one individual qualifies for one competency (rule 10).
inline constexpr Instant k_never = INT64_MAX;
struct CompetencyPeriod {
    std::string competency;
    Instant starts_at = 0;
    Instant ends_at = k_never;
    bool operator==(const CompetencyPeriod&) const = default;
};

struct AuditRecord {
    std::int64_t id = 0;
    Instant at = 0;
    std::string actor;
    std::optional<std::int64_t> org_id;
    std::string action;
    std::string target;
    std::string outcome;
    std::string detail;
    std::string batch;
    std::string prev_hash;
    std::string hash;
    // Rule-2 rows whose text was replaced by a pseudonym (erasure): the digests of the original
    // actor, target and detail, as "actor-digest target-digest detail-digest"; empty otherwise.
    std::string sealed;
};

// The last row of the audit log: its position (= the number of rows) and its hash.
struct AuditHead {
    std::int64_t rows = 0;
    std::string hash;
};

}  // namespace mcid
