#include "core/crypto.hpp"

#include <mcid/error.hpp>

#include <sodium.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <mutex>

namespace mcid::crypto {
namespace {

constexpr char k_base32[] = "ABCDEFGHJKMNPQRSTVWXYZ0123456789";  // no I, L, O, U

void ensure_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) {
            throw InternalError("libsodium failed to initialize");
        }
    });
}

std::string random_base32(std::size_t count) {
    ensure_sodium();
    std::string out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        out += k_base32[randombytes_uniform(32)];
    }
    return out;
}

}  // namespace

std::string hash_password(std::string_view password) {
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw InternalError("out of memory while hashing a password");
    }
    return std::string(out.data());
}

bool verify_password(std::string_view hash, std::string_view password) {
    ensure_sodium();
    if (!is_password_hash(hash)) {
        return false;
    }
    const std::string h(hash);  // crypto_pwhash_str_verify needs a terminated string
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

void burn_password_time() {
    // hash_password("mcidctl-timing-equalizer") with the interactive limits, made once offline.
    static const char* const k_dummy =
        "$argon2id$v=19$m=65536,t=2,p=1$yaaMrb3XsNX3pizsZzoqZg$VHto+fmhoUUMS35a45xQwq6nOg9FkAXUl0xD4Y3M9wU";
    (void)verify_password(k_dummy, "mcidctl-timing-equalizer-probe");
}

bool is_password_hash(std::string_view text) {
    // $argon2id$v=19$m=M,t=T,p=1$SALT$HASH, SALT and HASH unpadded base64
    constexpr std::string_view k_prefix = "$argon2id$v=19$m=";
    if (text.size() >= crypto_pwhash_STRBYTES || text.substr(0, k_prefix.size()) != k_prefix) {
        return false;
    }
    std::size_t i = k_prefix.size();
    const auto number = [&](std::uint64_t max, char end) {
        std::uint64_t n = 0;
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 10) {
            n = n * 10 + static_cast<std::uint64_t>(text[i++] - '0');
        }
        const bool ok = i > start && n >= 1 && n <= max && i < text.size() && text[i] == end;
        ++i;
        return ok;
    };
    const auto word = [&](std::string_view w) {
        const bool ok = text.substr(i, w.size()) == w;
        i += w.size();
        return ok;
    };
    const auto base64 = [&](std::size_t min, bool last) {
        const std::size_t start = i;
        while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '+' || text[i] == '/')) {
            ++i;
        }
        const bool ok = i - start >= min && (last ? i == text.size() : i < text.size() && text[i] == '$');
        ++i;
        return ok;
    };
    if (!(number(262144, ',') && word("t=") && number(10, ',') && word("p=") && number(1, '$') &&
          base64(11, false) && base64(22, true))) {
        return false;
    }
    const std::string copy(text);
    return crypto_pwhash_str_needs_rehash(copy.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != -1;
}

std::string new_session_token() { return "mcs_" + random_base32(52); }

std::string new_invitation_code() {
    std::string raw = random_base32(16);
    return raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4) + "-" + raw.substr(12, 4);
}

void digest_hex_into(std::string& out, std::string_view text) {
    ensure_sodium();
    std::array<unsigned char, 32> digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       nullptr, 0);
    std::array<char, 65> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    out.assign(hex.data(), 64);
}

std::string digest_hex(std::string_view text) {
    std::string out;
    digest_hex_into(out, text);
    return out;
}

}  // namespace mcid::crypto
