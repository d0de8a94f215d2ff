// The store each unit test case runs on: an in-memory SQLite store, or, when MCIDCTL_TEST_STORE
// is "postgres" (ctest's "unit: all on the PostgreSQL store", through scripts/with-postgres.sh),
// a fresh PostgreSQL database: a copy of a migrated template, so the schema is made once.
#include "fixture.hpp"
#include "pg_fixture.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

#include <deque>

namespace mcid::test {
namespace {

bool on_postgres() {
    const char* kind = std::getenv("MCIDCTL_TEST_STORE");
    return kind != nullptr && std::string_view(kind) == "postgres";
}

const std::string& template_database() {
    static const std::string name = [] {
        const std::string t = fmt::format("mcid_template_{}", ::getpid());
        store::pg::Connection admin(pg_admin_uri());
        admin.exec(fmt::format("CREATE DATABASE {}", t));
        open_pg_store(pg_uri_of(t), OpenMode::create);  // the schema, then the connection closes
        return t;
    }();
    return name;
}

}  // namespace

std::unique_ptr<Store> open_test_store() {
    if (!on_postgres()) {
        return open_memory_store();
    }
    // The databases of the last few worlds stay (a test may hold two at once); older ones go.
    static std::deque<std::string> made;
    static int counter = 0;
    store::pg::Connection admin(pg_admin_uri());
    while (made.size() > 2) {
        admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", made.front()));
        made.pop_front();
    }
    const std::string name = fmt::format("w{}_{}", ::getpid(), ++counter);
    admin.exec(fmt::format("CREATE DATABASE {} TEMPLATE {}", name, template_database()));
    made.push_back(name);
    return open_pg_store(pg_uri_of(name), OpenMode::open_existing);
}

void exec_sql(Store& store, const std::string& sql) {
    if (auto* pg = dynamic_cast<store::PgStore*>(&store)) {
        pg->connection().exec(sql);
    } else {
        dynamic_cast<store::SqliteStore&>(store).db().exec(sql);
    }
}

bool test_store_is_postgres() {
    return on_postgres();
}

}  // namespace mcid::test
