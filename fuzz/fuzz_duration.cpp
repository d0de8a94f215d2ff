// libFuzzer target: mcid::Duration::parse. Expected failures: UsageError naming the field.
// Invariants of an accepted duration: positive, at most 100 years, a whole number of minutes,
// and str() (as config list shows it) re-parses to the same length.
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    mcid::Duration d;
    try {
        d = mcid::Duration::parse(text, "--ttl");
    } catch (const mcid::UsageError& err) {
        FUZZ_CHECK(std::string(err.what()).find("--ttl") != std::string::npos);
        return 0;
    }
    FUZZ_CHECK(d.seconds > 0);
    FUZZ_CHECK(d.seconds <= 36500LL * 86400);
    FUZZ_CHECK(d.seconds % 60 == 0);
    const char unit = text.back();
    FUZZ_CHECK(unit == 'm' || unit == 'h' || unit == 'd');
    const std::string s = d.str();
    mcid::Duration again;
    try {
        again = mcid::Duration::parse(s);
    } catch (const mcid::UsageError& err) {
        std::fprintf(stderr, "duration printed as '%s' is rejected: %s\n", s.c_str(), err.what());
        FUZZ_CHECK(false);
    }
    FUZZ_CHECK(again.seconds == d.seconds);
    FUZZ_CHECK(again.str() == s);
    return 0;
}
