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

}  // namespace mcid::test
