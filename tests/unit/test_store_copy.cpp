// Copying a whole store (db copy, db backup of a server store): the table list against both
// schemas, every row carried over, and a copy into a server that fails or finds a store there.
#include "fixture.hpp"
#include "pg_fixture.hpp"
#include "store/copy.hpp"
#include "store/pg_schema.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/linking.hpp>
#include <mcid/offboarding.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/registry.hpp>
#include <mcid/retention.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

using namespace mcid;
using namespace mcid::test;
using store::copy_tables;
using store::CopyRow;
using store::TableIo;

namespace {

// (table, column, integer) as a schema or the copy list has them.
using Columns = std::set<std::tuple<std::string, std::string, bool>>;

Columns listed_columns() {
    Columns out;
    for (const auto& t : copy_tables()) {
        for (const auto& c : t.columns) {
            out.emplace(t.name, c.name, c.integer);
        }
    }
    return out;
}

// Every row of every listed table, sorted, so that two stores compare.
std::map<std::string, std::vector<CopyRow>> all_rows(Store& store) {
    std::map<std::string, std::vector<CopyRow>> out;
    auto tx = store.begin_read();
    for (const auto& t : copy_tables()) {
        auto& rows = out[t.name];
        dynamic_cast<TableIo&>(store).read_table(t, [&](const CopyRow& row) { rows.push_back(row); });
        std::sort(rows.begin(), rows.end());
    }
    return out;
}

// A world with a row in every table: links, an association, a competency and its periods, a
// session, a throttled name, a purged and erased user (sealed audit rows).
void fill(World& w) {
    add_profile(*w.store, 40000001, "alice@outlook.com");
    add_credential(*w.store, 40000001, "AZ-104", "2024-01-10", "2027-01-10");
    const std::int64_t pu = add_university(*w.store, "alice@pu.example");
    {
        auto tx = w.store->begin_write();
        w.store->upsert_assessment(Assessment{pu, "Intro to Azure", "AZ-104", Date::parse("2024-02-02")});
        tx->commit();
    }
    Registry(*w.store, w.clock).define_competency(w.op, Competency{"Azure Infra", {"AZ-104"}, 1});
    Linking linking(*w.store, w.clock);
    linking.link(w.alice, ProfileChoice{"alice@outlook.com"}, k_profile_password, Replace::no);
    linking.associate(w.alice, "alice@pu.example", k_profile_password);
    {
        auto tx = w.store->begin_write();
        w.store->insert_session("token-digest", w.alice.user_id, w.clock.now(), w.clock.now() + 3600);
        w.store->save_throttle("nobody-digest", Attempts{3, w.clock.now() + 60});
        tx->commit();
    }
    Offboarding(*w.store, w.clock)
        .purge(w.ga, {{PurgeTarget::Kind::email, "pat@contoso.com"}}, DryRun::no, Atomic::no, {});
    w.clock.advance(40 * 86400);
    CHECK(Retention(*w.store, w.clock).erase_due() == 1);  // pat's audit rows are sealed
}

}  // namespace

TEST_CASE("the copy lists every column of every table of the SQLite schema, with its type", "[store][sqlite]") {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("mcid-copy-{}", ::getpid());
    std::filesystem::create_directories(dir);
    const auto path = (dir / "s.db").string();
    open_sqlite_store(path, OpenMode::create);
    SQLite::Database db(path);
    SQLite::Statement q(db,
                        "SELECT m.name, p.name, p.type = 'INTEGER' FROM sqlite_schema m, pragma_table_info(m.name) p "
                        "WHERE m.type = 'table' AND m.name NOT IN ('org_user_counts', 'count_deferral')");
    Columns schema;
    while (q.executeStep()) {
        schema.emplace(q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt() == 1);
    }
    std::filesystem::remove_all(dir);
    CHECK(schema == listed_columns());
}

TEST_CASE("the copy lists every column of every table of the PostgreSQL schema, with its type", "[store][pg]") {
    PgDatabase db;
    open_pg_store(db.uri, OpenMode::create);
    store::pg::Connection c(db.uri);
    const auto r = c.query(
        "SELECT table_name, column_name, data_type IN ('bigint', 'integer') FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name NOT IN ('org_user_counts', 'mcidctl_schema')");
    Columns schema;
    for (int i = 0; i < r.rows(); ++i) {
        schema.emplace(std::string(r.row(i).text(0)), std::string(r.row(i).text(1)), r.row(i).boolean(2));
    }
    CHECK(schema == listed_columns());
}

TEST_CASE("a copy into a new SQLite store carries every row, and the copy's log verifies", "[store][copy]") {
    World w;
    fill(w);
    const auto source = all_rows(*w.store);
    for (const char* table : {"links", "university_links", "associations", "competency_periods", "sessions",
                              "signin_throttle", "assessments"}) {
        INFO(table);
        CHECK_FALSE(source.at(table).empty());  // the world fills every table the copy must carry
    }
    auto copy = open_memory_store();
    {
        auto read = w.store->begin_read();
        auto write = copy->begin_write();
        store::copy_rows(*w.store, *copy);
        write->commit();
        read->commit();
    }
    CHECK(all_rows(*copy) == source);
    const auto chain = AuditLog(*copy, w.clock).verify_chain();
    CHECK(chain.ok);
    CHECK(chain.rows == AuditLog(*w.store, w.clock).verify_chain().rows);
    auto tx = copy->begin_read();
    CHECK(copy->org_user_count_mismatches() == 0);
    CHECK(copy->count_users_of_org(w.ga.org_id.value()) == w.store->count_users_of_org(w.ga.org_id.value()));
}

TEST_CASE("a copy into a server store carries every row in one transaction, or leaves no store", "[store][pg]") {
    World w;  // SQLite: this test runs without MCIDCTL_TEST_STORE
    fill(w);
    const auto none = [](Store&) {
        return std::optional<std::string>();
    };

    SECTION("every row, and identities moved past the copied ids") {
        PgDatabase db;
        copy_to_server_store(*w.store, db.uri, none);
        auto copy = open_pg_store(db.uri, OpenMode::open_existing);
        CHECK(all_rows(*copy) == all_rows(*w.store));
        CHECK(AuditLog(*copy, w.clock).verify_chain().ok);
        auto tx = copy->begin_write();
        const auto last_org = copy->list_orgs().back().id;
        CHECK(copy->insert_org(Org{0, "5550001", "Northwind", w.clock.now()}) > last_org);
        tx->commit();
    }
    SECTION("a check that finds a problem rolls everything back, the schema included") {
        PgDatabase db;
        const auto failing = [](Store& copy) {
            CHECK(copy.audit_head().has_value());  // the check sees the copied rows
            return std::optional<std::string>("made up for the test");
        };
        CHECK_THROWS_AS(copy_to_server_store(*w.store, db.uri, failing), StoreError);
        store::pg::Connection c(db.uri);
        CHECK(store::pg::schema_version(c) == 0);
        CHECK(c.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").row(0).int64(0) == 0);
    }
    SECTION("a database that already holds a store is a conflict, and is left as it was") {
        PgDatabase db;
        copy_to_server_store(*w.store, db.uri, none);
        auto before = all_rows(*open_pg_store(db.uri, OpenMode::open_existing));
        CHECK_THROWS_AS(copy_to_server_store(*w.store, db.uri, none), Conflict);
        CHECK(all_rows(*open_pg_store(db.uri, OpenMode::open_existing)) == before);
    }
}
