#pragma once
// A shared library loaded on first use (dlopen), for the ones a command on a store file never
// calls: libpq (the server store) and libxlsxwriter (--format xlsx). Linked, they and the
// libraries they need cost every command's start 5 ms, two thirds of a single command.
#include <stdexcept>
#include <string>

namespace mcid {

// The library cannot be used: the loader's message, or "<soname> has no <function>". The
// caller names the Debian package and throws its own error class.
class LibraryUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class LoadedLibrary {
public:
    // Opens `soname` (kept open for the life of the process). Throws LibraryUnavailable.
    explicit LoadedLibrary(const char* soname);

    // Sets `function` to the library's function `name`. Throws LibraryUnavailable if it has none.
    template <class Function>
    void get(Function& function, const char* name) const {
        function = reinterpret_cast<Function>(symbol(name));
    }

private:
    void* symbol(const char* name) const;

    const char* m_soname;
    void* m_handle;
};

}  // namespace mcid
