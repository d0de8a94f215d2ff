#include "core/crypto.hpp"

#include <mcid/error.hpp>

#include <sodium.h>

#include <array>
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

void burn_password_time(std::string_view password) {
    static const std::string k_dummy = hash_password("mcidctl-timing-equalizer");
    (void)verify_password(k_dummy, password);
}

bool is_password_hash(std::string_view text) {
    return text.size() < crypto_pwhash_STRBYTES && text.rfind("$argon2id$", 0) == 0;
}

std::string new_session_token() { return "mcs_" + random_base32(52); }

std::string new_invitation_code() {
    std::string raw = random_base32(16);
    return raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4) + "-" + raw.substr(12, 4);
}

std::string digest_hex(std::string_view text) {
    ensure_sodium();
    std::array<unsigned char, 32> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       nullptr, 0);
    std::array<char, 65> hex{};
    sodium_bin2hex(hex.data(), hex.size(), out.data(), out.size());
    return std::string(hex.data());
}

}  // namespace mcid::crypto
