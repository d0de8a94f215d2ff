// The PostgreSQL layer under the server store: libpq wrapper, SQLSTATE mapping, schema and
// migrations, and the schema's own rules (append-only audit, counts kept by triggers).
#include "pg_fixture.hpp"
#include "store/migrations.hpp"
#include "store/pg_schema.hpp"

#include <mcid/error.hpp>

#include <thread>

using namespace mcid;
using namespace mcid::store::pg;
using mcid::test::pg_schema_text;
using mcid::test::PgDatabase;

namespace {
// The exit code and message of the error a server error becomes.
std::pair<ExitCode, std::string> translated(const ServerError& e) {
    try {
        std::rethrow_exception(translate_pg_error(e));
    } catch (const Error& error) {
        return {error.code(), error.what()};
    }
}
}  // namespace

TEST_CASE("a --db value names a server store by its scheme, and a password in it is found by libpq's parser",
          "[store][postgres]") {
    CHECK(is_postgres_uri("postgresql:///mcid?host=/run/postgresql"));
    CHECK(is_postgres_uri("postgres://db.example.com/mcid"));
    CHECK_FALSE(is_postgres_uri("/srv/mcid/postgresql.db"));
    CHECK_FALSE(is_postgres_uri("postgresql.db"));
    CHECK(conninfo_has_password("postgresql://app:s3cret@db.example.com/mcid"));
    CHECK(conninfo_has_password("postgresql://db.example.com/mcid?password=s3cret"));
    CHECK(conninfo_has_password("host=db dbname=mcid password=s3cret"));
    CHECK_FALSE(conninfo_has_password("postgresql://app@db.example.com/mcid"));
    CHECK_FALSE(conninfo_has_password("postgresql:///mcid?host=/run/postgresql&sslmode=require"));
    CHECK_FALSE(conninfo_has_password("postgresql:///?service=mcid"));
    // Malformed, libpq cannot parse it: the user:password@ part is still seen.
    CHECK(conninfo_has_password("postgresql://app:s3cret@db.example.com:notaport/mcid"));
}

TEST_CASE("server errors map to exit codes by SQLSTATE", "[store][postgres]") {
    CHECK(translated(ServerError("23505", "duplicate key")).first == ExitCode::conflict);
    CHECK(translated(ServerError("23503", "foreign key")).first == ExitCode::conflict);
    CHECK_THROWS_AS(std::rethrow_exception(translate_pg_error(ServerError("23505", "x"))), Conflict);
    for (const char* busy : {"40001", "40P01", "55P03", "57014"}) {
        const auto [code, what] = translated(ServerError(busy, "x"));
        CHECK(code == ExitCode::store);
        CHECK_THAT(what, Catch::Contains("busy") && Catch::Contains("nothing was changed"));
    }
    for (const char* down : {"08006", "28P01", "3D000", "53300", "57P01", ""}) {
        CHECK(translated(ServerError(down, "x")).first == ExitCode::store);
    }
    CHECK(translated(ServerError("42601", "syntax error")).first == ExitCode::internal);
    CHECK(ServerError("40001", "").retryable());
    CHECK(ServerError("40P01", "").retryable());
    CHECK_FALSE(ServerError("23505", "").retryable());
}

TEST_CASE("connecting to a missing database is exit 9 with the server's reason on one line", "[pg]") {
    try {
        Connection c(mcid::test::pg_uri_of("no_such_database"));
        FAIL("connected");
    } catch (const StoreError& e) {
        const std::string what = e.what();
        CHECK_THAT(what, Catch::Contains("no_such_database") && Catch::Contains("does not exist"));
        CHECK(what.find('\n') == std::string::npos);
    }
}

TEST_CASE("parameters, NULLs, counts and SQLSTATEs round-trip through the wrapper", "[pg]") {
    PgDatabase db;
    Connection c(db.uri);
    c.exec(
        "CREATE TABLE t (id bigint PRIMARY KEY, name text, note text); "
        "CREATE UNIQUE INDEX t_name ON t(lower(name))");
    c.query("INSERT INTO t VALUES ($1, $2, $3)", {param(std::int64_t{1}), param("Alice"), Param{}});
    c.query("INSERT INTO t VALUES ($1, $2, $3)",
            {param(std::int64_t{-9007199254740993}), param(std::string("tab\tline\nquote'\"")), param("x")});
    const Result r = c.query("SELECT id, name, note FROM t ORDER BY id");
    REQUIRE(r.rows() == 2);
    CHECK(r.row(0).int64(0) == -9007199254740993);
    CHECK(r.row(0).text(1) == "tab\tline\nquote'\"");
    CHECK(r.row(1).int64(0) == 1);
    CHECK(r.row(1).is_null(2));
    CHECK_FALSE(r.row(1).opt_text(2).has_value());
    CHECK_FALSE(r.row(1).opt_int64(2).has_value());
    CHECK(c.query("UPDATE t SET note = 'y' WHERE id > $1", {param(std::int64_t{-1})}).affected() == 1);
    try {
        c.query("INSERT INTO t VALUES ($1, $2, NULL)", {param(std::int64_t{2}), param("ALICE")});
        FAIL("a case-insensitive duplicate was accepted");
    } catch (const ServerError& e) {
        CHECK(e.sqlstate() == "23505");
        CHECK(translated(e).first == ExitCode::conflict);
    }
}

TEST_CASE("deferred statements and Prepares go with the next statement, in one round trip", "[pg]") {
    PgDatabase db;
    Connection c(db.uri);
    c.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
    Connection other(db.uri);
    const auto others_see = [&] {
        return other.query("SELECT count(*) FROM t").row(0).int64(0);
    };
    const auto trips_before = c.round_trips();
    c.defer("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    CHECK(c.deferred() == 1);
    CHECK(c.round_trips() == trips_before);  // nothing sent yet
    CHECK(c.query("SELECT count(*) FROM t").row(0).int64(0) == 0);
    CHECK(c.round_trips() == trips_before + 1);  // BEGIN and the SELECT together
    try {
        c.query("INSERT INTO t VALUES (1)");  // the deferred BEGIN was READ ONLY
        FAIL("a read-only transaction wrote");
    } catch (const ServerError& e) {
        CHECK(e.sqlstate() == "25006");
    }
    c.defer("ROLLBACK");
    c.query("INSERT INTO t VALUES (1)");  // after the ROLLBACK: autocommit
    CHECK(others_see() == 1);

    // A transaction that ran nothing costs nothing, before or after.
    const auto idle = c.round_trips();
    c.defer("BEGIN");
    c.defer("COMMIT");
    CHECK(c.deferred() == 0);  // a loop of empty reads does not grow a pipeline
    CHECK(c.round_trips() == idle);
    c.query("INSERT INTO t VALUES (2)");  // autocommit: no BEGIN was left to hold it
    CHECK(others_see() == 2);

    // Before closing, a read's deferred end is sent, and a BEGIN nothing used is dropped.
    c.defer("BEGIN");
    c.query("SELECT 1");
    c.defer("ROLLBACK");
    c.defer("BEGIN");
    CHECK_FALSE(c.idle());
    c.end_deferred();
    CHECK(c.idle());
    CHECK(c.deferred() == 0);

    // A failure in a pipeline skips the rest and leaves the connection usable.
    c.defer("BEGIN");
    try {
        c.query("SELECT 1 / $1::int", {param(std::int64_t{0})});
        FAIL("a division by zero passed");
    } catch (const ServerError& e) {
        CHECK(e.sqlstate() == "22012");
    }
    c.exec("ROLLBACK");
    CHECK(c.query("SELECT 41 + 1").row(0).int64(0) == 42);

    // The second run of a statement prepares it in the same round trip as its run.
    const std::string sql = "SELECT id FROM t WHERE id = $1";
    const auto prepared = [&] {
        return c.query("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", {param(sql)})
            .row(0)
            .int64(0);
    };
    for (int run = 1; run <= 3; ++run) {
        const auto before = c.round_trips();
        CHECK(c.query(sql, {param(std::int64_t{1})}).rows() == 1);
        CHECK(c.round_trips() == before + 1);
        CHECK(prepared() == (run == 1 ? 0 : 1));
    }
}

TEST_CASE("streaming reads rows one at a time and can stop early", "[pg]") {
    PgDatabase db;
    Connection c(db.uri);
    std::int64_t n = 0, sum = 0;
    c.stream("SELECT g FROM generate_series(1, $1::bigint) g", {param(std::int64_t{200000})}, [&](const Row& row) {
        ++n;
        sum += row.int64(0);
    });
    CHECK(n == 200000);
    CHECK(sum == std::int64_t{200000} * 200001 / 2);
    // A callback that throws stops the read; the connection stays usable.
    n = 0;
    CHECK_THROWS_AS(c.stream("SELECT g FROM generate_series(1, 5000000) g", {},
                             [&](const Row&) {
                                 if (++n == 10) {
                                     throw UsageError("stop");
                                 }
                             }),
                    UsageError);
    CHECK(n == 10);
    CHECK(c.query("SELECT 41 + 1").row(0).int64(0) == 42);
    // A server error in the middle of a stream is a ServerError with its SQLSTATE.
    try {
        c.stream("SELECT 1 / (g - 3) FROM generate_series(1, 5) g", {}, [](const Row&) {});
        FAIL("no error");
    } catch (const ServerError& e) {
        CHECK(e.sqlstate() == "22012");
    }
}

TEST_CASE("COPY FROM STDIN loads escaped fields and NULLs; a bad row loads nothing", "[pg]") {
    PgDatabase db;
    Connection c(db.uri);
    c.exec("CREATE TABLE t (id bigint PRIMARY KEY, name text)");
    c.exec("BEGIN");
    c.copy_begin("COPY t (id, name) FROM STDIN");
    std::string batch;
    for (int i = 1; i <= 1000; ++i) {
        append_copy_field(batch, param(std::int64_t{i}));
        batch += '\t';
        append_copy_field(batch, i == 7 ? Param{} : param(fmt::format("n\\{}\t{}\n", i, i)));
        batch += '\n';
    }
    c.copy_feed(batch);
    c.copy_finish();
    c.exec("COMMIT");
    CHECK(c.query("SELECT count(*) FROM t").row(0).int64(0) == 1000);
    CHECK(c.query("SELECT name FROM t WHERE id = 5").row(0).text(0) == "n\\5\t5\n");
    CHECK(c.query("SELECT name IS NULL FROM t WHERE id = 7").row(0).boolean(0));

    c.exec("BEGIN");
    c.copy_begin("COPY t (id, name) FROM STDIN");
    c.copy_feed("2001\ta\n5\tduplicate\n");
    try {
        c.copy_finish();
        FAIL("a duplicate row was copied");
    } catch (const ServerError& e) {
        CHECK(e.sqlstate() == "23505");
    }
    c.exec("ROLLBACK");
    CHECK(c.query("SELECT count(*) FROM t").row(0).int64(0) == 1000);
}

TEST_CASE("the schema is created once, refused when newer, and two first runs do not race", "[pg]") {
    PgDatabase db;
    {
        Connection c(db.uri);
        CHECK(schema_version(c) == 0);
        CHECK_THROWS_WITH(migrate(c, OpenMode::open_existing, "the test database"),
                          Catch::Contains("no store at the test database"));
        CHECK(schema_version(c) == 0);
    }
    // Two processes' first runs at once: one creates, the other waits on the lock and finds it.
    int before[2] = {-1, -1};
    std::exception_ptr failed[2];
    auto first_run = [&](int i) {
        try {
            Connection c(db.uri);
            before[i] = migrate(c, OpenMode::create, "x");
        } catch (...) {
            failed[i] = std::current_exception();
        }
    };
    std::thread a(first_run, 0);
    std::thread b(first_run, 1);
    a.join();
    b.join();
    for (const auto& e : failed) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
    CHECK(std::min(before[0], before[1]) == 0);
    CHECK(std::max(before[0], before[1]) == known_schema_version());
    Connection c(db.uri);
    CHECK(schema_version(c) == known_schema_version());
    CHECK(migrate(c, OpenMode::open_existing, "x") == known_schema_version());
    CHECK(c.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").row(0).int64(0) >=
          20);
    c.exec(fmt::format("INSERT INTO mcidctl_schema(version, name) VALUES ({}, 'from the future')",
                       known_schema_version() + 1));
    try {
        migrate(c, OpenMode::open_existing, "x");
        FAIL("a newer schema was opened");
    } catch (const StoreError& e) {
        CHECK_THAT(e.what(), Catch::Contains("newer than this mcidctl knows"));
    }
}

TEST_CASE("a schema-1 server store is migrated to the current schema, its rows kept", "[pg]") {
    PgDatabase fresh;
    PgDatabase old;
    Connection made(fresh.uri);
    migrate(made, OpenMode::create, "x");
    Connection c(old.uri);
    // What the first server stores hold: migration 1 only, with rows in the changed table.
    c.exec("CREATE TABLE mcidctl_schema (version integer PRIMARY KEY, name text NOT NULL)");
    c.exec(mcid::store::pg_migrations().front().sql);
    c.query("INSERT INTO mcidctl_schema(version, name) VALUES (1, $1)",
            {param(mcid::store::pg_migrations().front().name)});
    c.exec("INSERT INTO orgs(id, mpn_id, name, created_at) VALUES (1, '1234567', 'Contoso', 0)");
    c.exec(
        "INSERT INTO users(email, name, role, org_id, status, invited_at) "
        "SELECT 'u' || g || '@contoso.com', 'U', 'user', 1, 'active', 0 FROM generate_series(1, 300) g");
    c.exec(
        "INSERT INTO competency_periods(user_id, competency, org_id, starts_at, ends_at) "
        "SELECT id, 'Azure', 1, 1795000000 + id, 1795000000 + 2 * id FROM users");
    REQUIRE(pg_schema_text(c) != pg_schema_text(made));  // control: the two differ before

    CHECK(migrate(c, OpenMode::open_existing, "x") == 1);
    CHECK(schema_version(c) == known_schema_version());
    CHECK(pg_schema_text(c) == pg_schema_text(made));
    CHECK(c.query("SELECT count(*) FROM competency_periods p JOIN users u ON u.id = p.user_id "
                  "WHERE p.starts_at = 1795000000 + u.id AND p.ends_at = 1795000000 + 2 * u.id")
              .row(0)
              .int64(0) == 300);
    CHECK(migrate(c, OpenMode::open_existing, "x") == known_schema_version());  // once only
}

namespace {
void audit_row(Connection& c, std::int64_t id, const char* actor) {
    c.query(
        "INSERT INTO audit(id, at, actor, org_id, action, target, outcome, detail, batch, prev_hash, hash) "
        "VALUES ($1, 1795000000, $2, NULL, 'user.invite', 'bo@contoso.com', 'ok', '', '', 'p', 'h')",
        {param(id), param(actor)});
}
}  // namespace

TEST_CASE("the audit table refuses updates, deletes and truncation, but sealing", "[pg]") {
    PgDatabase db;
    Connection c(db.uri);
    migrate(c, OpenMode::create, "x");
    audit_row(c, 1, "ga@contoso.com");
    audit_row(c, 2, "ga@contoso.com");
    for (const char* sql : {"UPDATE audit SET outcome = 'denied' WHERE id = 1", "DELETE FROM audit WHERE id = 2",
                            "TRUNCATE audit", "UPDATE audit SET hash = 'forged', sealed = '{}' WHERE id = 1"}) {
        INFO(sql);
        try {
            c.exec(sql);
            FAIL("changed the audit log");
        } catch (const ServerError& e) {
            CHECK(e.sqlstate() == "42501");
            CHECK_THAT(e.what(), Catch::Contains("append-only"));
        }
    }
    c.exec("UPDATE audit SET actor = 'erased-1@erased.invalid', sealed = '{\"actor\":\"d\"}' WHERE id = 1");
    CHECK(c.query("SELECT actor FROM audit WHERE id = 1").row(0).text(0) == "erased-1@erased.invalid");
    CHECK(c.query("SELECT count(*) FROM audit").row(0).int64(0) == 2);
}

TEST_CASE("org_user_counts follows inserts, set-wise moves and deletes of users", "[pg]") {
    PgDatabase db;
    Connection c(db.uri);
    migrate(c, OpenMode::create, "x");
    c.exec(
        "INSERT INTO orgs(id, mpn_id, name, created_at) VALUES (1, '1234567', 'Contoso', 0), "
        "(2, '7654321', 'Fabrikam', 0)");
    c.exec(
        "INSERT INTO users(email, name, role, org_id, status, invited_at) "
        "SELECT 'u' || g || '@contoso.com', 'U', 'user', 1 + g % 2, 'active', 0 FROM generate_series(1, 1000) g");
    c.exec(
        "INSERT INTO users(email, name, role, org_id, status, invited_at) "
        "VALUES ('op@example.com', 'Op', 'operator', NULL, 'active', 0)");
    // A batch purge's shape: many users of both organizations deleted in one statement.
    c.exec("UPDATE users SET status = 'deleted' WHERE id % 3 = 0 AND org_id IS NOT NULL");
    // A change that moves no count (a failed sign-in) leaves the counts alone.
    c.exec("UPDATE users SET failed_logins = failed_logins + 1");
    c.exec("UPDATE users SET org_id = 2 WHERE id = 1");
    c.exec("DELETE FROM users WHERE id IN (2, 3)");
    const auto mismatches = c.query(
        "SELECT count(*) FROM (SELECT org_id, status, count(*) AS n FROM users WHERE org_id IS NOT NULL "
        "GROUP BY org_id, status) u FULL JOIN (SELECT * FROM org_user_counts WHERE n <> 0) c "
        "USING (org_id, status) WHERE u.n IS DISTINCT FROM c.n");
    CHECK(mismatches.row(0).int64(0) == 0);
    CHECK(c.query("SELECT sum(n) FROM org_user_counts").row(0).int64(0) == 998);
    CHECK(c.query("SELECT n FROM org_user_counts WHERE org_id = 1 AND status = 'deleted'").row(0).int64(0) > 100);
}
