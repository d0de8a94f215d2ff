// LoadedLibrary: the dlopen loader behind libpq() (src/store/pg.cpp) and xlsxwriter()
// (src/cli/xlsx.cpp). The e2e suites check what a person sees when either library is missing.
#include "core/library.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using mcid::LibraryUnavailable;
using mcid::LoadedLibrary;

TEST_CASE("a loaded library's functions are the ones its name gives", "[library]") {
    const LoadedLibrary libc("libc.so.6");
    decltype(&::strlen) length = nullptr;
    libc.get(length, "strlen");
    REQUIRE(length != nullptr);
    CHECK(length("mcidctl") == 7);
}

TEST_CASE("a library that cannot be loaded says why", "[library]") {
    CHECK_THROWS_AS(LoadedLibrary("libmcid-no-such-library.so.1"), LibraryUnavailable);
    // dlerror's own words: "<name>: cannot open shared object file: No such file or directory"
    CHECK_THROWS_WITH(LoadedLibrary("libmcid-no-such-library.so.1"),
                      Catch::Matchers::StartsWith("libmcid-no-such-library.so.1: cannot open"));
}

TEST_CASE("a function the library lacks is named with the library", "[library]") {
    const LoadedLibrary libc("libc.so.6");
    decltype(&::strlen) missing = &::strlen;
    CHECK_THROWS_MATCHES(libc.get(missing, "mcid_no_such_function"), LibraryUnavailable,
                         Catch::Matchers::Message("libc.so.6 has no mcid_no_such_function"));
}
