#pragma once
// The numbered SQL migrations, embedded at build time from src/store/migrations/NNNN_name.sql.
#include <vector>

namespace mcid::store {

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

const std::vector<Migration>& migrations();

}  // namespace mcid::store
