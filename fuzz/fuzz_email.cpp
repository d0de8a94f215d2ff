// libFuzzer target: mcid::Email::parse. Expected failures: UsageError naming the field.
// Invariants of an accepted address: at most 254 bytes, lower-case ASCII, exactly one '@' with
// a name before it and a dotted domain after it, no space or control byte, the same length as
// the input, and it re-parses to itself (as does the input written in upper case).
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <algorithm>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    mcid::Email e;
    try {
        e = mcid::Email::parse(text, "--email");
    } catch (const mcid::UsageError& err) {
        FUZZ_CHECK(std::string(err.what()).find("--email") != std::string::npos);
        return 0;
    }
    const std::string& v = e.value;
    FUZZ_CHECK(!v.empty() && v.size() <= 254);
    FUZZ_CHECK(v.size() == text.size());
    FUZZ_CHECK(std::count(v.begin(), v.end(), '@') == 1);
    const auto at = v.find('@');
    FUZZ_CHECK(at > 0 && at + 1 < v.size());
    FUZZ_CHECK(v.find('.', at) != std::string::npos);
    for (char c : v) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u > 0x20 && u < 0x7f);
        FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    }
    FUZZ_CHECK(mcid::Email::parse(v) == e);
    std::string upper(text);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; });
    FUZZ_CHECK(mcid::Email::parse(upper) == e);
    return 0;
}
