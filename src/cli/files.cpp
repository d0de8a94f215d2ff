#include "cli/files.hpp"

#include <mcid/error.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace mcid::cli {
namespace {

bool same_file(const struct stat& a, const std::string& path) {
    struct stat b {};
    return ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

void refuse_named_file_under_sudo(std::string_view what, std::string_view instead) {
    const char* sudo_uid = std::getenv("SUDO_UID");
    if (!sudo_uid || !*sudo_uid || std::to_string(::getuid()) == sudo_uid) {
        return;
    }
    throw PermissionDenied(
        fmt::format("{}: mcidctl runs under sudo as another account, so it opens no file named on its command line",
                    what),
        fmt::format("{}: the shell opens the file with your own rights", instead));
}

void refuse_protected_target(const Context& ctx, const std::string& path, std::string_view what) {
    struct stat target {};
    if (::stat(path.c_str(), &target) != 0) {
        return;  // a new file cannot be one of ours
    }
    const std::string db = ctx.db_path();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        if (same_file(target, db + suffix)) {
            throw UsageError(fmt::format("{}: {} is the store{}; it would be destroyed", what, path, suffix),
                             "choose another file name");
        }
    }
    if (same_file(target, ctx.session_path())) {
        throw UsageError(fmt::format("{}: {} is the session file", what, path), "choose another file name");
    }
}

}  // namespace mcid::cli
