#pragma once
// Store care: integrity checks and online, verified backups.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/store.hpp>

#include <string>
#include <vector>

namespace mcid {

struct BackupResult {
    std::uintmax_t bytes = 0;
};

// integrity_check and foreign_key_check findings; empty when the store is sound.
std::vector<std::string> check_store(Store& store);
// Operator only. Writes a consistent copy (VACUUM INTO a temporary file beside `destination`),
// fsyncs it, checks that it opens as a sound store, then renames it into place. Throws
// UsageError when the destination exists or its folder is not writable.
BackupResult backup_store(Store& store, const Actor& actor, const std::string& destination, const Clock& clock);

}  // namespace mcid
