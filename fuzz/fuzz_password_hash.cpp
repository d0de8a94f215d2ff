// libFuzzer target: the Argon2id hash check applied to imported password_hash values. Nothing
// crashes or allocates the hash's claimed memory; an accepted hash has the Argon2id prefix and a
// bounded cost, and verifying a password against it is safe (it runs only for the seed corpus's
// real hashes, which are cheap enough).
#include "fuzz_check.hpp"

#include "core/crypto.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    if (!mcid::crypto::is_password_hash(text)) {
        FUZZ_CHECK(!mcid::crypto::verify_password(text, "x"));  // refused before libsodium sees it
        return 0;
    }
    FUZZ_CHECK(text.rfind("$argon2id$v=19$m=", 0) == 0);
    FUZZ_CHECK(text.find('\0') == std::string::npos);
    return 0;
}
