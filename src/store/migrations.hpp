#pragma once
// The numbered SQL migrations, embedded at build time from src/store/migrations/NNNN_name.sql
// and src/store/pg_migrations/NNNN_name.sql.
#include <vector>

namespace mcid::store {

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

// SQLite (src/store/migrations), versions in PRAGMA user_version.
const std::vector<Migration>& migrations();
// PostgreSQL (src/store/pg_migrations), versions in the mcidctl_schema table.
const std::vector<Migration>& pg_migrations();

}  // namespace mcid::store
