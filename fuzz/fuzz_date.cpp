// libFuzzer target: mcid::Date::parse. Expected failures: UsageError naming the field.
// Invariants of an accepted date: str() gives back exactly the input (strict YYYY-MM-DD), it
// re-parses to the same day, its midnight maps back to it, and the next and previous days
// are one day apart in order.
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    mcid::Date d;
    try {
        d = mcid::Date::parse(text, "--passed-on");
    } catch (const mcid::UsageError& err) {
        FUZZ_CHECK(std::string(err.what()).find("--passed-on") != std::string::npos);
        return 0;
    }
    const std::string s = d.str();
    FUZZ_CHECK(s == text);
    FUZZ_CHECK(mcid::Date::parse(s) == d);
    FUZZ_CHECK(mcid::Date::of(d.midnight()) == d);
    FUZZ_CHECK(mcid::Date::of(d.midnight() + 86399) == d);
    const mcid::Date next{d.days + 1};
    const std::string ns = next.str();
    FUZZ_CHECK(ns.size() > 10 || ns > s);  // same width: later days sort later
    if (ns.size() == 10) {
        FUZZ_CHECK(mcid::Date::parse(ns).days == d.days + 1);
    }
    return 0;
}
