#include "core/library.hpp"

#include <fmt/format.h>

#include <dlfcn.h>

namespace mcid {

LoadedLibrary::LoadedLibrary(const char* soname)
    : m_soname(soname), m_handle(::dlopen(soname, RTLD_LAZY | RTLD_LOCAL)) {
    if (m_handle == nullptr) {
        throw LibraryUnavailable(::dlerror());
    }
}

void* LoadedLibrary::symbol(const char* name) const {
    void* found = ::dlsym(m_handle, name);
    if (found == nullptr) {
        throw LibraryUnavailable(fmt::format("{} has no {}", m_soname, name));
    }
    return found;
}

}  // namespace mcid
