#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/maintenance.hpp>
#include <mcid/retention.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mcid {

namespace {

// The first place a verified audit chain breaks, as check_store and db copy word it.
std::optional<std::string> chain_damage(const AuditVerification& chain) {
    if (chain.ok) {
        return std::nullopt;
    }
    return fmt::format("audit: the chain breaks at row {}: {}", chain.first_bad_id, chain.problem);
}

// Organizations whose kept user count disagrees with their users (inside a read transaction).
std::optional<std::string> user_count_mismatch(Store& store) {
    const auto rows = store.org_user_count_mismatches();
    if (rows == 0) {
        return std::nullopt;
    }
    return fmt::format("org_user_counts: {} counts disagree with the users", rows);
}

}  // namespace

StoreCheck check_store(Store& store, const Clock& clock) {
    StoreCheck check;
    check.damage = store.check_integrity();
    if (!check.damage.empty()) {
        return check;
    }
    if (auto damage = chain_damage(AuditLog(store, clock).verify_chain())) {
        check.damage.push_back(std::move(*damage));
        return check;
    }
    if (const std::size_t overdue = Retention(store, clock).overdue()) {
        check.overdue.push_back(fmt::format("retention: {} departed user{} past the restore window not erased yet",
                                            overdue, overdue == 1 ? "" : "s"));
    }
    auto tx = store.begin_read();
    check.stale_jobs = store.competency_periods_stale_jobs();
    check.competency_status_stale = !check.stale_jobs.empty();
    if (check.competency_status_stale) {
        return check;  // reports count from the credentials; nothing kept to compare
    }
    if (auto mismatch = user_count_mismatch(store)) {
        check.derived.push_back(std::move(*mismatch));
    }
    if (const auto rows = store.competency_ends_mismatches(); rows > 0) {
        check.derived.push_back(fmt::format("competency_ends: {} rows disagree with competency_periods", rows));
    }
    const Instant now = clock.now();
    for (const auto& org : store.list_orgs()) {
        const auto kept = store.count_qualified(org.id, now);
        const auto computed = count_qualified_from_holdings(store, org.id, now);
        for (std::size_t i = 0; i < kept.size() && i < computed.size(); ++i) {
            if (kept[i] != computed[i]) {
                check.derived.push_back(fmt::format("competency status of organization {}: '{}' has {} qualified "
                                                    "individuals kept, {} from the credentials",
                                                    org.mpn_id, computed[i].first, kept[i].second,
                                                    computed[i].second));
            }
        }
    }
    return check;
}

RebuildResult rebuild_derived(Store& store, const Actor& actor, const Clock& clock) {
    {
        auto tx = store.begin_read();
        require_operator(refresh_actor(store, actor), "rebuild the store's derived data");
    }
    return rebuild_competency_status(store, [&](const RebuildResult& result) {
        store.recount_org_users();
        AuditLog(store, clock)
            .record({actor.email, std::nullopt, "db.rebuild", "competency status", "ok",
                     fmt::format("{} individuals, {} periods", result.users, result.periods), ""});
    });
}

namespace {

// Writes a consistent copy of `store` to the new (or, with `replace`, replaced) file
// `destination`: made in an owner-only file in a 0700 folder beside it, fsynced, opened and
// checked (`check` may add its own findings), then linked into place. Returns its size. `what`
// names the file in messages ("backup", "copy").
std::uintmax_t write_verified_file(Store& store, const std::string& destination, ReplaceFile replace, const char* what,
                                   const std::function<std::optional<std::string>(Store&)>& check) {
    const fs::path target(destination);
    std::error_code ec;
    const bool exists = fs::exists(target, ec) || fs::is_symlink(target, ec);
    if (exists && replace == ReplaceFile::no) {
        throw UsageError(
            fmt::format("{} already exists; choose a new name", destination),
            "add --force to replace it, or date the name: mcidctl db backup /var/backups/mcidctl-$(date +%F).db");
    }
    if (exists && (fs::is_symlink(target, ec) || !fs::is_regular_file(target, ec))) {
        throw UsageError(fmt::format("{} is not a regular file; --force replaces only a file", destination));
    }
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0) {
        throw UsageError(fmt::format("cannot write to folder {}", dir.string()));
    }
    // The copy is made in a folder of its own, 0700 from the start: nobody else can open the
    // copy, its -wal or -shm while it is written and checked (the copy holds every password hash).
    std::string pattern = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) {
        throw UsageError(fmt::format("cannot write to folder {}: {}", dir.string(), std::strerror(errno)));
    }
    const fs::path private_dir(pattern);
    const fs::path temp = private_dir / "copy.db";
    try {
        // Created empty and 0600 first: SQLite fills an empty file, and gives its journal the
        // same mode. Nothing of the copy is ever readable by others, not even for a moment.
        const int empty = ::open(temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (empty < 0) {
            throw UsageError(fmt::format("cannot create {}: {}", temp.string(), std::strerror(errno)));
        }
        ::close(empty);
        store.backup_to(temp);
        {
            const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ::fsync(fd);
                ::close(fd);
            }
        }
        ::chmod(temp.c_str(), 0600);
        {
            auto copy = open_sqlite_store(temp.string(), OpenMode::open_existing);
            auto findings = copy->check_integrity();
            if (findings.empty()) {
                if (auto problem = check(*copy)) {
                    findings.push_back(*problem);
                }
            }
            if (!findings.empty()) {
                throw StoreError(fmt::format("the {} failed its check: {}", what, findings.front()));
            }
        }
        // The copy was opened in WAL mode; its -wal and -shm were checkpointed and removed on close.
        // link() never replaces a file that appeared meanwhile; where links are not supported, rename.
        // With --force, rename() replaces the old file in one step: it is never missing or partial.
        if (exists) {
            if (::rename(temp.c_str(), target.c_str()) != 0) {
                throw UsageError(fmt::format("cannot replace {}: {}", destination, std::strerror(errno)));
            }
        } else if (::link(temp.c_str(), target.c_str()) != 0 &&
                   (errno == EEXIST || ::rename(temp.c_str(), target.c_str()) != 0)) {
            throw UsageError(fmt::format("cannot create {}: {}", destination, std::strerror(errno)));
        }
        fs::remove_all(private_dir, ec);
    } catch (...) {
        fs::remove_all(private_dir, ec);
        throw;
    }
    return fs::file_size(target, ec);
}

void record_store_event(Store& store, const Clock& clock, const Actor& actor, const char* action,
                        const std::string& target) {
    return run_write_unit(store, [&]() -> void {
        auto tx = store.begin_write();
        AuditLog(store, clock).record({actor.email, std::nullopt, action, target, "ok", "", ""});
        tx->commit();
    });
}

// What is wrong with a copy of `source` (nullopt: nothing): its audit chain must verify, end at a
// row of the source's chain with the same hash, and its users' counts must match its users.
std::optional<std::string> copy_problem(Store& source, Store& copy, const Clock& clock) {
    const AuditVerification chain = AuditLog(copy, clock).verify_chain();
    if (auto damage = chain_damage(chain)) {
        return damage;
    }
    if (chain.rows > 0) {
        auto tx = source.begin_read();
        std::string source_hash;
        source.for_each_audit_from(chain.rows, [&](const AuditRecord& r) {
            if (r.id == chain.rows) {
                source_hash = r.hash;
            }
        });
        if (source_hash != chain.head_hash) {
            return fmt::format("audit: row {} of the copy differs from the store's", chain.rows);
        }
    }
    auto tx = copy.begin_read();
    return user_count_mismatch(copy);
}

}  // namespace

BackupResult backup_store(Store& store, const Actor& actor, const std::string& destination, const Clock& clock,
                          std::string_view audit_name, ReplaceFile replace) {
    require_operator(actor, "back up the store");
    const auto bytes =
        write_verified_file(store, destination, replace, "backup", [](Store&) { return std::optional<std::string>(); });
    record_store_event(store, clock, actor, "db.backup", audit_name.empty() ? destination : std::string(audit_name));
    return BackupResult{bytes};
}

CopyResult copy_store(Store& store, const Actor& actor, const std::string& destination, const Clock& clock) {
    require_operator(actor, "copy the store");
    const auto check = [&](Store& copy) {
        return copy_problem(store, copy, clock);
    };
    std::string name = destination;
    if (is_server_store_uri(destination)) {
        name = server_store_name(destination);
        copy_to_server_store(store, destination, check);
    } else {
        std::error_code ec;
        if (fs::exists(destination, ec) || fs::is_symlink(destination, ec)) {
            throw Conflict(
                fmt::format("{} already exists; db copy writes only into a new file or an empty database", destination),
                "choose a new file name, or remove the old copy first");
        }
        write_verified_file(store, destination, ReplaceFile::no, "copy", check);
    }
    record_store_event(store, clock, actor, "db.copy", name);
    return CopyResult{name};
}

}  // namespace mcid
