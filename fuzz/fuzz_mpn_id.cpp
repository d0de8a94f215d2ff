// libFuzzer target: mcid::MpnId::parse. Expected failures: UsageError naming the field.
// Invariants of an accepted MPN ID: the input unchanged, 6 to 10 ASCII digits, no leading zero
// (01234567 and 1234567 would be two tenants), and it re-parses to itself.
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <algorithm>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz::view(data, size);
    mcid::MpnId id;
    try {
        id = mcid::MpnId::parse(text, "--mpn-id");
    } catch (const mcid::UsageError& err) {
        FUZZ_CHECK(std::string(err.what()).find("--mpn-id") != std::string::npos);
        return 0;
    }
    FUZZ_CHECK(id.value == text);
    FUZZ_CHECK(id.value.size() >= 6 && id.value.size() <= 10);
    FUZZ_CHECK(std::all_of(id.value.begin(), id.value.end(), fuzz::is_digit));
    FUZZ_CHECK(id.value[0] != '0');
    FUZZ_CHECK(mcid::MpnId::parse(id.value) == id);
    return 0;
}
