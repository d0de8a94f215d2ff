#pragma once
// Files named on the command line. mcidctl may run with rights its caller lacks (a service
// account reached through sudo, docs/operations.md), so it must not become a way to read or
// overwrite that account's files: under sudo it opens none, and no output may land on the store
// or a session file.
#include "cli/context.hpp"

#include <string>
#include <string_view>

namespace mcid::cli {

// PermissionDenied when mcidctl runs under sudo as another account ($SUDO_UID, which sudo sets,
// differs from the real uid): `what` (like "--from FILE") must use stdin or stdout instead.
void refuse_named_file_under_sudo(std::string_view what, std::string_view instead);
// UsageError when `path` is the store (or its -wal, -shm, -journal) or the session file,
// compared by device and inode, not by name.
void refuse_protected_target(const Context& ctx, const std::string& path, std::string_view what);

}  // namespace mcid::cli
