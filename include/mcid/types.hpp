#pragma once
// Value types of the domain. Each validates once at the edge (its parse function throws
// UsageError naming the field) and is trusted everywhere inside.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcid {

using Instant = std::int64_t;  // Unix seconds, UTC

struct Email {
    std::string value;  // lower-cased
    // Throws UsageError naming `field` unless `text` is a plausible address (at most 254 bytes).
    static Email parse(std::string_view text, std::string_view field = "email");
    friend bool operator==(const Email&, const Email&) = default;
};

struct Mcid {
    std::int64_t value = 0;
    // 6 to 12 digits. Throws UsageError naming `field`.
    static Mcid parse(std::string_view text, std::string_view field = "--mcid");
    std::string str() const { return std::to_string(value); }
    friend bool operator==(const Mcid&, const Mcid&) = default;
};

struct MpnId {
    std::string value;  // 6 to 10 digits, leading zeros kept
    static MpnId parse(std::string_view text, std::string_view field = "--mpn-id");
    friend bool operator==(const MpnId&, const MpnId&) = default;
};

// An invitation code as people type it: 16 characters of the code alphabet, in any case, with or
// without the dashes; kept as XXXX-XXXX-XXXX-XXXX.
struct InvitationCode {
    std::string value;
    // Throws UsageError naming `field` (without echoing the text: it may be a secret).
    static InvitationCode parse(std::string_view text, std::string_view field = "--code");
};

// A calendar date (UTC), stored as days since 1970-01-01.
struct Date {
    std::int64_t days = 0;
    // Strict YYYY-MM-DD with a real calendar day. Throws UsageError naming `field`.
    static Date parse(std::string_view text, std::string_view field = "date");
    static Date of(Instant t);
    Instant midnight() const { return days * 86400; }
    std::string str() const;
    friend auto operator<=>(const Date&, const Date&) = default;
};

// A length of time written as a whole number with m, h or d ("15m", "72h", "10d").
struct Duration {
    std::int64_t seconds = 0;
    // Throws UsageError naming `field` unless positive and well formed (at most 100 years).
    static Duration parse(std::string_view text, std::string_view field = "duration");
    std::string str() const;
};

enum class Role { operator_, global_admin, partner_admin, user };
std::string_view to_string(Role role);
// Throws UsageError naming `field` for anything but user, partner-admin or global-admin
// (the operator role is made by `init` only).
Role parse_role(std::string_view text, std::string_view field = "--role");

enum class UserStatus { invited, active, deleted };
std::string_view to_string(UserStatus status);
UserStatus parse_status(std::string_view text, std::string_view field = "--status");

enum class CredentialType { certification, exam };
std::string_view to_string(CredentialType type);
CredentialType parse_credential_type(std::string_view text, std::string_view field = "--type");

// A person's or organization's name, a title or a sign-in name: 1 to `max_len` bytes of valid
// UTF-8 without control characters, surrounding spaces trimmed. Throws UsageError naming `field`.
std::string parse_text(std::string_view text, std::string_view field, std::size_t max_len = 200);
// A credential code ("AZ-104"): 1 to 40 of letters, digits, '-', '_', '.'.
std::string parse_code(std::string_view text, std::string_view field = "--code");
// A positive whole number no larger than `max`.
std::int64_t parse_count(std::string_view text, std::string_view field, std::int64_t max);

// "2026-11-24T10:00:00Z"
std::string format_instant(Instant t);
// A count for people to read, its thousands grouped: 9812 -> "9,812".
std::string grouped(std::size_t n);
// Untrusted text made safe to echo: invalid UTF-8 and control characters become '?'.
std::string printable(std::string_view text);
// The text is valid UTF-8 (no overlong forms or surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace mcid
