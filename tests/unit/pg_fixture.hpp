#pragma once
// A fresh PostgreSQL database per test case, on the cluster scripts/with-postgres.sh started
// (MCIDCTL_TEST_PG). Test cases tagged [pg] run only there: ctest runs them through that
// script, so they never skip for want of a server; run by hand without it, they fail and say so.
#include "store/pg.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <string>
#include <unistd.h>

namespace mcid::test {

inline std::string pg_admin_uri() {
    const char* uri = std::getenv("MCIDCTL_TEST_PG");
    if (uri == nullptr || *uri == '\0') {
        FAIL("MCIDCTL_TEST_PG is not set: run the [pg] tests through scripts/with-postgres.sh");
    }
    return uri;
}

// The URI of database `name` on the same cluster (the admin URI names /postgres).
inline std::string pg_uri_of(const std::string& name) {
    std::string uri = pg_admin_uri();
    const auto at = uri.find("/postgres?");
    REQUIRE(at != std::string::npos);
    return uri.replace(at, 10, "/" + name + "?");
}

struct PgDatabase {
    std::string name;
    std::string uri;
    PgDatabase() {
        static std::atomic<int> counter{0};
        name = fmt::format("t{}_{}_{}", ::getpid(), counter++, std::random_device{}() % 100000);
        store::pg::Connection admin(pg_admin_uri());
        admin.exec(fmt::format("CREATE DATABASE {}", name));
        uri = pg_uri_of(name);
    }
    ~PgDatabase() {
        try {
            store::pg::Connection admin(pg_admin_uri());
            admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", name));
        } catch (...) {  // the cluster goes away with the test run anyway
        }
    }
    PgDatabase(const PgDatabase&) = delete;
    PgDatabase& operator=(const PgDatabase&) = delete;
};

// The tables, columns, constraints and indexes of the database `c` is connected to, as text (but
// the schema-version table), to compare two stores' schemas.
inline std::string pg_schema_text(store::pg::Connection& c) {
    const store::pg::Result r = c.query(
        "SELECT (SELECT string_agg(table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable, "
        "E'\\n' ORDER BY table_name, ordinal_position) FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name <> 'mcidctl_schema') || E'\\n' || "
        "(SELECT string_agg(c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid), E'\\n' "
        "ORDER BY c.relname, k.conname) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> 'mcidctl_schema') || E'\\n' || "
        "(SELECT string_agg(indexdef, E'\\n' ORDER BY indexname) FROM pg_indexes "
        "WHERE schemaname = 'public' AND tablename <> 'mcidctl_schema')");
    return std::string(r.row(0).text(0));
}

}  // namespace mcid::test
