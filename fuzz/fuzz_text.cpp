// libFuzzer target: mcid::parse_text (names, titles, sign-in names, org names). The first input
// byte picks the length limit, the rest is the text. Expected failures: UsageError naming the
// field. Invariants of accepted text: 1 to max bytes, valid UTF-8, no control byte, no
// surrounding space, a substring of the input, and parsing it again gives it back unchanged.
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::size_t max_len = data[0] == 0 ? 200 : data[0];
    const auto text = fuzz::view(data + 1, size - 1);
    std::string t;
    try {
        t = mcid::parse_text(text, "--name", max_len);
    } catch (const mcid::UsageError& err) {
        FUZZ_CHECK(std::string(err.what()).find("--name") != std::string::npos);
        return 0;
    }
    FUZZ_CHECK(!t.empty() && t.size() <= max_len);
    FUZZ_CHECK(mcid::is_valid_utf8(t));
    FUZZ_CHECK(t.front() != ' ' && t.back() != ' ');
    for (char c : t) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u >= 0x20 && u != 0x7f);
    }
    FUZZ_CHECK(text.find(t) != std::string_view::npos);
    FUZZ_CHECK(mcid::parse_text(t, "--name", max_len) == t);
    return 0;
}
