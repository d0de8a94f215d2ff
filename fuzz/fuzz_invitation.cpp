// libFuzzer target: mcid::InvitationCode::parse (user accept --code). Expected failures:
// UsageError naming --code, never echoing the input (it may be a secret). Invariants of an
// accepted code: XXXX-XXXX-XXXX-XXXX of the code alphabet, and parsing it again gives it back.
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    std::string code;
    try {
        code = mcid::InvitationCode::parse(text).value;
    } catch (const mcid::UsageError& err) {
        // one fixed message: nothing of the input is echoed
        FUZZ_CHECK(std::string(err.what()) ==
                   "--code: not an invitation code (16 letters and digits, as XXXX-XXXX-XXXX-XXXX)");
        return 0;
    }
    FUZZ_CHECK(code.size() == 19);
    for (std::size_t i = 0; i < code.size(); ++i) {
        if (i % 5 == 4) {
            FUZZ_CHECK(code[i] == '-');
        } else {
            FUZZ_CHECK(std::string_view("ABCDEFGHJKMNPQRSTVWXYZ0123456789").find(code[i]) != std::string_view::npos);
        }
    }
    FUZZ_CHECK(mcid::InvitationCode::parse(code).value == code);
    return 0;
}
