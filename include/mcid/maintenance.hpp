#pragma once
// Store care: integrity checks and online, verified backups.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/store.hpp>

#include <string>
#include <vector>

namespace mcid {

struct BackupResult {
    std::uintmax_t bytes = 0;
};

struct StoreCheck {
    // integrity_check and foreign_key_check findings: the file is damaged (restore a backup).
    std::vector<std::string> damage;
    // Competency status that disagrees with the credentials it is kept from (db rebuild fixes it).
    std::vector<std::string> derived;
    // Departed users past the restore window whose data is not erased yet (a store that stayed
    // read-only or busy since): the next command that can write erases them.
    std::vector<std::string> overdue;
    // Competency status marked stale (reports count from the credentials: correct, slower):
    // never built (a store migrated from schema 1), or jobs rewriting it are under way or stopped
    // part-way (their names; "" for never built).
    bool competency_status_stale = false;
    std::vector<std::string> stale_jobs;
    bool ok() const { return damage.empty() && derived.empty() && overdue.empty(); }
};

// Checks the file, then (when the file is sound) the kept competency status against a count
// from the credentials, for every organization at `clock`'s now.
StoreCheck check_store(Store& store, const Clock& clock);
// Operator only. Recomputes the kept competency status of every individual from the links and
// credentials (see qualifications.hpp), in one transaction.
RebuildResult rebuild_derived(Store& store, const Actor& actor, const Clock& clock);
// Operator only. Writes a consistent copy (VACUUM INTO an owner-only file in a 0700 folder
// beside `destination`), fsyncs it, checks that it opens as a sound store, then links it into
// place. Throws UsageError when the destination exists (unless `replace` is yes and it is a
// regular file, which the verified copy then replaces in one rename) or its folder is not
// writable. `audit_name` is what the audit row names as the destination (default: `destination`).
enum class ReplaceFile { no, yes };
BackupResult backup_store(Store& store, const Actor& actor, const std::string& destination, const Clock& clock,
                          std::string_view audit_name = {}, ReplaceFile replace = ReplaceFile::no);

struct CopyResult {
    std::string destination;  // as messages name it (a URI without password or options)
};
// Operator only (`db copy DEST`). Copies every table of the store into a new store at
// `destination`, a SQLite path or a PostgreSQL URI, and checks the copy before it counts: its
// audit chain verifies and ends at a row of this store's chain, its kept counts match. A file is
// written as db backup writes one (owner-only, linked into place once checked); a database is
// filled in one transaction. Either way an interrupted copy leaves no store at `destination`.
// Throws Conflict when the file exists or the database already holds a store.
CopyResult copy_store(Store& store, const Actor& actor, const std::string& destination, const Clock& clock);

}  // namespace mcid
