// Schema versions and migrations of the PostgreSQL store (see pg_schema.hpp).
#include "store/pg_schema.hpp"

#include "store/migrations.hpp"

#include <fmt/format.h>

namespace mcid::store::pg {
namespace {

// pg_advisory_xact_lock key of schema changes: "mcid" in ASCII.
constexpr const char* k_lock = "SELECT pg_advisory_xact_lock(1835231588)";

}  // namespace

int known_schema_version() {
    return pg_migrations().empty() ? 0 : pg_migrations().back().version;
}

int schema_version(Connection& c) {
    const Result exists = c.query("SELECT to_regclass('mcidctl_schema') IS NOT NULL");
    if (!exists.row(0).boolean(0)) {
        return 0;
    }
    const Result r = c.query("SELECT coalesce(max(version), 0) FROM mcidctl_schema");
    return static_cast<int>(r.row(0).int64(0));
}

int migrate_in_transaction(Connection& c, OpenMode mode, const std::string& name, Existing existing) {
    c.exec(k_lock);
    const int before = schema_version(c);
    if (before > 0 && existing == Existing::refuse) {
        throw Conflict(fmt::format("{} already holds an mcidctl store", name),
                       "copy into an empty database: createdb NAME, then db copy postgresql:///NAME");
    }
    if (before > known_schema_version()) {
        throw StoreError(fmt::format("store {} has schema {}, newer than this mcidctl knows ({})", name, before,
                                     known_schema_version()),
                         "upgrade mcidctl");
    }
    if (before == 0 && mode != OpenMode::create) {
        throw StoreError(fmt::format("no store at {}", name), "run 'mcidctl init --operator EMAIL' to create one");
    }
    if (before == 0) {
        const Result tables =
            c.query("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
        if (tables.row(0).int64(0) > 0) {
            throw StoreError(
                fmt::format("{} is not an mcidctl store (it holds other tables); it was left untouched", name),
                "give mcidctl an empty database of its own");
        }
        c.exec("CREATE TABLE mcidctl_schema (version integer PRIMARY KEY, name text NOT NULL)");
    }
    for (const Migration& m : pg_migrations()) {
        if (m.version <= before) {
            continue;
        }
        c.exec(m.sql);
        c.query("INSERT INTO mcidctl_schema(version, name) VALUES ($1, $2)",
                {param(std::int64_t{m.version}), param(m.name)});
    }
    return before;
}

int migrate(Connection& c, OpenMode mode, const std::string& name) {
    // Nearly every open finds the store current: one statement, no transaction, no lock. Anything
    // else (no store yet, an older or a newer one) is decided under the lock below.
    try {
        const Result current = c.query_once("SELECT coalesce(max(version), 0) FROM mcidctl_schema");
        if (current.row(0).int64(0) == known_schema_version()) {
            return known_schema_version();
        }
    } catch (const ServerError& e) {
        if (e.sqlstate() != "42P01") {  // undefined_table: no store yet
            throw;
        }
    }
    c.exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    try {
        const int before = migrate_in_transaction(c, mode, name);
        c.exec("COMMIT");
        return before;
    } catch (...) {
        try {
            c.exec("ROLLBACK");
        } catch (...) {  // the connection may be gone; the server rolls back on its own
        }
        throw;
    }
}

}  // namespace mcid::store::pg
