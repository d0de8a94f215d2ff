#pragma once
// Secrets: Argon2id password hashes (libsodium crypto_pwhash_str) and random tokens that are
// stored only as BLAKE2b hashes. Nothing here keeps a secret beyond the call.
#include <string>
#include <string_view>

namespace mcid::crypto {

// An Argon2id hash string ("$argon2id$v=19$..."). Throws InternalError if memory runs out.
std::string hash_password(std::string_view password);
// True when `password` matches `hash`; false for an empty or malformed hash.
bool verify_password(std::string_view hash, std::string_view password);
// Runs one verification against a fixed hash (no hashing first) so that unknown, locked and
// inactive accounts take as long as a wrong password for a known one.
void burn_password_time();
// True for a well-formed Argon2id hash string whose cost is at most 256 MiB and 10 passes (a
// larger one in an import would let one sign-in exhaust the host).
bool is_password_hash(std::string_view text);
// A session token: "mcs_" + 52 base32 characters (256 bits).
std::string new_session_token();
// An invitation code for people: "XXXX-XXXX-XXXX-XXXX" (80 bits, unambiguous base32).
std::string new_invitation_code();
// Lower-case hex BLAKE2b-256 of `text`.
std::string digest_hex(std::string_view text);
// The same into `out`, whose storage is reused (a batch's 100,000 audit rows hash in a loop).
void digest_hex_into(std::string& out, std::string_view text);

}  // namespace mcid::crypto
