#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/maintenance.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mcid {

StoreCheck check_store(Store& store, const Clock& clock) {
    StoreCheck check;
    check.damage = store.check_integrity();
    if (!check.damage.empty()) {
        return check;
    }
    if (const auto chain = AuditLog(store, clock).verify_chain(); !chain.ok) {
        check.damage.push_back(fmt::format("audit: the chain breaks at row {}: {}", chain.first_bad_id, chain.problem));
        return check;
    }
    auto tx = store.begin_read();
    check.competency_status_stale = store.competency_periods_stale();
    if (check.competency_status_stale) {
        return check;  // reports count from the credentials; nothing kept to compare
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
    auto tx = store.begin_write();
    require_operator(refresh_actor(store, actor), "rebuild the store's derived data");
    const RebuildResult result = CompetencyStatus(store).rebuild();
    AuditLog(store, clock).record({actor.email, std::nullopt, "db.rebuild", "competency status", "ok",
                                   fmt::format("{} individuals, {} periods", result.users, result.periods), ""});
    tx->commit();
    return result;
}

BackupResult backup_store(Store& store, const Actor& actor, const std::string& destination, const Clock& clock) {
    require_operator(actor, "back up the store");
    const fs::path target(destination);
    std::error_code ec;
    if (fs::exists(target, ec)) {
        throw UsageError(fmt::format("{} already exists; choose a new name", destination));
    }
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0) {
        throw UsageError(fmt::format("cannot write to folder {}", dir.string()));
    }
    const fs::path temp = dir / ("." + target.filename().string() + ".partial");
    fs::remove(temp, ec);
    try {
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
            const auto findings = copy->check_integrity();
            if (!findings.empty()) {
                throw StoreError(fmt::format("the backup failed its check: {}", findings.front()));
            }
        }
        // The copy was opened in WAL mode; its -wal and -shm were checkpointed and removed on close.
        fs::rename(temp, target);
    } catch (...) {
        fs::remove(temp, ec);
        fs::remove(temp.string() + "-wal", ec);
        fs::remove(temp.string() + "-shm", ec);
        throw;
    }
    {
        auto tx = store.begin_write();
        AuditLog(store, clock).record({actor.email, std::nullopt, "db.backup", destination, "ok", "", ""});
        tx->commit();
    }
    return BackupResult{fs::file_size(target, ec)};
}

}  // namespace mcid
