// libFuzzer target: mcid::Mcid::parse. Expected failures: UsageError naming the field.
// Invariants of an accepted MCID: the input was 6 to 12 ASCII digits, the value is that number,
// and the MCID written back out (str(), as reports and JSON show it) parses to the same value.
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <algorithm>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    mcid::Mcid m;
    try {
        m = mcid::Mcid::parse(text, "--mcid");
    } catch (const mcid::UsageError& err) {
        FUZZ_CHECK(std::string(err.what()).find("--mcid") != std::string::npos);
        return 0;
    }
    FUZZ_CHECK(text.size() >= 6 && text.size() <= 12);
    FUZZ_CHECK(std::all_of(text.begin(), text.end(), fuzz::is_digit));
    FUZZ_CHECK(m.value >= 0 && m.value <= 999999999999LL);
    FUZZ_CHECK(std::to_string(m.value) == std::string(text).erase(0, std::min(text.find_first_not_of('0'), text.size() - 1)));
    // What mcidctl prints for this MCID must be accepted back as the same MCID.
    mcid::Mcid again;
    try {
        again = mcid::Mcid::parse(m.str());
    } catch (const mcid::UsageError& err) {
        std::fprintf(stderr, "MCID '%.*s' is printed as '%s', which is rejected: %s\n", static_cast<int>(text.size()),
                     text.data(), m.str().c_str(), err.what());
        FUZZ_CHECK(false);
    }
    FUZZ_CHECK(again == m);
    return 0;
}
