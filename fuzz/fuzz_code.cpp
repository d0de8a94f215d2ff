// libFuzzer target: mcid::parse_code (credential codes like AZ-104). Expected failures:
// UsageError naming the field. Invariants of an accepted code: the input unchanged, 1 to 40
// bytes of letters, digits, '-', '_' and '.', and it is also accepted as text (parse_text).
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    std::string code;
    try {
        code = mcid::parse_code(text, "--code");
    } catch (const mcid::UsageError& err) {
        FUZZ_CHECK(std::string(err.what()).find("--code") != std::string::npos);
        return 0;
    }
    FUZZ_CHECK(code == text);
    FUZZ_CHECK(!code.empty() && code.size() <= 40);
    for (char c : code) {
        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || fuzz::is_digit(c) || c == '-' || c == '_' ||
                   c == '.');
    }
    FUZZ_CHECK(mcid::parse_code(code) == code);
    FUZZ_CHECK(mcid::parse_text(code, "--code", 40) == code);
    return 0;
}
