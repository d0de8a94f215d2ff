// Parsing and formatting of the domain's value types. Every parser names the field it rejects.
#include <mcid/clock.hpp>
#include <mcid/error.hpp>
#include <mcid/records.hpp>
#include <mcid/types.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace mcid {

std::string printable(std::string_view text);

namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t y;
    unsigned m, d;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// A short, printable excerpt of untrusted input for error messages. Input may come from a file
// the caller could not read themself (docs/security.md), so a long value, which could be a token
// or a hash, shows its first 8 characters only.
std::string quote(std::string_view text) {
    if (text.size() <= 24) {
        return "'" + printable(text) + "'";
    }
    return fmt::format("'{}...' ({} characters)", printable(text.substr(0, 8)), text.size());
}

// Characters that change how text around them is shown: C1 controls and the bidirectional
// controls (U+202E makes "gpj.exe" read "exe.jpg"). They spoof report cells and terminals.
bool is_display_control(std::string_view utf8_char) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(utf8_char[i]); };
    if (utf8_char.size() == 2) {
        return (b(0) == 0xC2 && b(1) >= 0x80 && b(1) <= 0x9F) || (b(0) == 0xD8 && b(1) == 0x9C);  // C1, U+061C
    }
    if (utf8_char.size() == 3 && b(0) == 0xE2) {
        return (b(1) == 0x80 && (b(2) == 0x8E || b(2) == 0x8F || (b(2) >= 0xAA && b(2) <= 0xAE))) ||
               (b(1) == 0x81 && b(2) >= 0xA6 && b(2) <= 0xA9);
    }
    return false;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) {
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

std::string grouped(std::size_t n) {
    std::string digits = std::to_string(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<std::size_t>(i), ",");
    }
    return digits;
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > text.size() || !is_valid_utf8(text.substr(i, len))) {
            out += '?';
            ++i;
            continue;
        }
        if ((len == 1 && (c < 0x20 || c == 0x7f)) || is_display_control(text.substr(i, len))) {
            out += '?';
        } else {
            out.append(text.substr(i, len));
        }
        i += len;
    }
    return out;
}

std::string parse_text(std::string_view text, std::string_view field, std::size_t max_len) {
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    if (text.empty()) {
        throw UsageError(fmt::format("{}: must not be empty", field));
    }
    if (text.size() > max_len) {
        throw UsageError(fmt::format("{}: at most {} characters (got {})", field, max_len, text.size()));
    }
    if (!is_valid_utf8(text)) {
        throw UsageError(fmt::format("{}: not valid UTF-8", field));
    }
    for (std::size_t i = 0; i < text.size();) {
        const auto u = static_cast<unsigned char>(text[i]);
        const std::size_t len = u < 0x80 ? 1 : (u & 0xE0) == 0xC0 ? 2 : (u & 0xF0) == 0xE0 ? 3 : 4;
        if (u < 0x20 || u == 0x7f || is_display_control(text.substr(i, len))) {
            throw UsageError(fmt::format("{}: control characters (including bidirectional ones) are not allowed", field));
        }
        i += len;
    }
    return std::string(text);
}

Email Email::parse(std::string_view text, std::string_view field) {
    const auto bad = [&](std::string_view why) {
        return UsageError(fmt::format("{}: {} is not a valid email address ({})", field, quote(text), why));
    };
    if (text.empty()) {
        throw UsageError(fmt::format("{}: must not be empty", field));
    }
    if (text.size() > 254) {
        throw bad("longer than 254 characters");
    }
    const auto at = text.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) {
        throw bad("it needs a name, '@' and a domain");
    }
    const std::string_view domain = text.substr(at + 1);
    if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
        domain.find("..") != std::string_view::npos) {
        throw bad("the domain needs a dot");
    }
    Email e;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == ',' || c == ';' || c == '"' || c == '<' || c == '>' || c == '(' ||
            c == ')' || c == '\\' || u >= 0x80) {
            throw bad("it contains a character not allowed in an address");
        }
        e.value += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (e.value.find('@') != at) {
        throw bad("more than one '@'");
    }
    return e;
}

Mcid Mcid::parse(std::string_view text, std::string_view field) {
    if (!all_digits(text) || text.size() < 6 || text.size() > 12) {
        throw UsageError(fmt::format("{}: {} is not an MCID (6 to 12 digits)", field, quote(text)));
    }
    if (text[0] == '0') {  // stored as a number: a leading zero would be lost
        throw UsageError(fmt::format("{}: {} is not an MCID (it cannot start with 0)", field, quote(text)));
    }
    return Mcid{std::stoll(std::string(text))};
}

MpnId MpnId::parse(std::string_view text, std::string_view field) {
    if (!all_digits(text) || text.size() < 6 || text.size() > 10) {
        throw UsageError(fmt::format("{}: {} is not an MPN ID (6 to 10 digits)", field, quote(text)));
    }
    if (text[0] == '0') {  // 01234567 and 1234567 would be two tenants for one organization
        throw UsageError(fmt::format("{}: {} is not an MPN ID (it cannot start with 0)", field, quote(text)));
    }
    return MpnId{std::string(text)};
}

InvitationCode InvitationCode::parse(std::string_view text, std::string_view field) {
    static constexpr std::string_view k_alphabet = "ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    std::string raw;
    for (const char c : text) {
        const char up = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (c == '-' || c == ' ') {
            continue;
        }
        if (k_alphabet.find(up) == std::string_view::npos || raw.size() == 16) {
            raw.clear();
            break;
        }
        raw += up;
    }
    if (raw.size() != 16) {
        throw UsageError(fmt::format("{}: not an invitation code (16 letters and digits, as XXXX-XXXX-XXXX-XXXX)", field));
    }
    return InvitationCode{raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4) + "-" + raw.substr(12, 4)};
}

Date Date::parse(std::string_view text, std::string_view field) {
    const auto bad = [&] {
        return UsageError(fmt::format("{}: {} is not a date (YYYY-MM-DD)", field, quote(text)));
    };
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !all_digits(text.substr(0, 4)) ||
        !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2))) {
        throw bad();
    }
    const int y = std::stoi(std::string(text.substr(0, 4)));
    const unsigned m = static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2))));
    const unsigned d = static_cast<unsigned>(std::stoi(std::string(text.substr(8, 2))));
    static constexpr unsigned k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > k_days[m - 1] + ((m == 2 && leap) ? 1 : 0)) {
        throw bad();
    }
    return Date{days_from_civil(y, m, d)};
}

Date Date::of(Instant t) { return Date{floor_div(t, 86400)}; }

std::string Date::str() const {
    const Civil c = civil_from_days(days);
    return fmt::format("{:04}-{:02}-{:02}", c.y, c.m, c.d);
}

Duration Duration::parse(std::string_view text, std::string_view field) {
    const auto bad = [&] {
        return UsageError(fmt::format("{}: {} is not a duration (a positive whole number with m, h or d, like 15m, "
                                      "72h or 10d)",
                                      field, quote(text)));
    };
    if (text.size() < 2 || text.size() > 10 || !all_digits(text.substr(0, text.size() - 1))) {
        throw bad();
    }
    const std::int64_t n = std::stoll(std::string(text.substr(0, text.size() - 1)));
    std::int64_t unit = 0;
    switch (text.back()) {
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: throw bad();
    }
    if (n <= 0 || n > 36500LL * 86400 / unit) {
        throw bad();
    }
    return Duration{n * unit};
}

std::string Duration::str() const {
    if (seconds % 86400 == 0) {
        return fmt::format("{}d", seconds / 86400);
    }
    if (seconds % 3600 == 0) {
        return fmt::format("{}h", seconds / 3600);
    }
    return fmt::format("{}m", seconds / 60);
}

std::string_view to_string(Role role) {
    switch (role) {
        case Role::operator_: return "operator";
        case Role::global_admin: return "global-admin";
        case Role::partner_admin: return "partner-admin";
        case Role::user: return "user";
    }
    return "user";
}

Role parse_role(std::string_view text, std::string_view field) {
    if (text == "user") return Role::user;
    if (text == "partner-admin") return Role::partner_admin;
    if (text == "global-admin") return Role::global_admin;
    throw UsageError(fmt::format("{}: {} is not a role (user, partner-admin or global-admin)", field, quote(text)));
}

std::string_view to_string(UserStatus status) {
    switch (status) {
        case UserStatus::invited: return "invited";
        case UserStatus::active: return "active";
        case UserStatus::deleted: return "deleted";
    }
    return "active";
}

UserStatus parse_status(std::string_view text, std::string_view field) {
    if (text == "invited") return UserStatus::invited;
    if (text == "active") return UserStatus::active;
    if (text == "deleted") return UserStatus::deleted;
    throw UsageError(fmt::format("{}: {} is not a status (invited, active or deleted)", field, quote(text)));
}

std::string_view to_string(CredentialType type) {
    return type == CredentialType::exam ? "exam" : "certification";
}

CredentialType parse_credential_type(std::string_view text, std::string_view field) {
    if (text == "certification") return CredentialType::certification;
    if (text == "exam") return CredentialType::exam;
    throw UsageError(fmt::format("{}: {} is not a credential type (certification or exam)", field, quote(text)));
}

std::string_view to_string(AccountKind kind) {
    return kind == AccountKind::profile ? "profile" : "university";
}

std::string parse_code(std::string_view text, std::string_view field) {
    if (text.empty() || text.size() > 40 || !std::all_of(text.begin(), text.end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_' || c == '.';
        })) {
        throw UsageError(fmt::format("{}: {} is not a credential code (1 to 40 letters, digits, '-', '_' or '.')",
                                     field, quote(text)));
    }
    return std::string(text);
}

std::int64_t parse_count(std::string_view text, std::string_view field, std::int64_t max) {
    if (!all_digits(text) || text.size() > 12) {
        throw UsageError(fmt::format("{}: {} is not a whole number", field, quote(text)));
    }
    const std::int64_t n = std::stoll(std::string(text));
    if (n < 1 || n > max) {
        throw UsageError(fmt::format("{}: must be between 1 and {} (got {})", field, max, n));
    }
    return n;
}

std::string format_instant(Instant t) {
    const Date d = Date::of(t);
    const std::int64_t s = t - d.midnight();
    return fmt::format("{}T{:02}:{:02}:{:02}Z", d.str(), s / 3600, (s / 60) % 60, s % 60);
}

Instant SystemClock::now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace mcid
