#pragma once
// Shared helpers of the fuzz targets: an invariant check that stays on in every build type
// (assert() is compiled out under NDEBUG) and prints what failed before aborting, so that
// libFuzzer records the input as a crash.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::fprintf(stderr, "invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                    \
        }                                                                                    \
    } while (0)

namespace fuzz {

inline std::string_view view(const unsigned char* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace fuzz
