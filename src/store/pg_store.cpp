// The Store on PostgreSQL (see pg_store.hpp): the statements of the SQLite store, written for
// PostgreSQL ($n parameters, lower() for what SQLite compares NOCASE, arrays for batches).
#include "store/pg_store.hpp"

#include "store/pg_schema.hpp"
#include "store/shared.hpp"

#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <tuple>

namespace mcid::store {
namespace {

using pg::param;
using pg::Param;
using pg::Row;

// Waits for the store's write lock (pg_advisory_xact_lock of "mcie" in ASCII) for `wait_ms` at
// most, in a transaction begun; begin_write_sql begins one and does so.
std::string take_write_lock_sql(long long wait_ms) {
    return fmt::format("SET LOCAL lock_timeout = '{}ms'; SELECT pg_advisory_xact_lock(1835231589)",
                       std::max(1LL, wait_ms));
}
std::string begin_write_sql(long long wait_ms) {
    return "BEGIN ISOLATION LEVEL READ COMMITTED; " + take_write_lock_sql(wait_ms);
}
// READ ONLY: a read's end is deferred to the next request (pg::Connection::defer), so it must not
// matter whether that end is a COMMIT, a ROLLBACK, or the connection closing first.
constexpr const char* k_begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// The first row of a query's result, read by `read`; nullopt when there is none.
template <class Read>
auto first_row(pg::Connection& c, const std::string& sql, const std::vector<Param>& params, Read read)
    -> std::optional<decltype(read(std::declval<const Row&>()))> {
    const pg::Result r = c.query(sql, params);
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return read(r.row(0));
}

std::int64_t first_int64(const Row& r) {
    return r.int64(0);
}

Role stored_role(std::string_view role) {
    return role == "operator" ? Role::operator_ : parse_role(std::string(role));
}

std::optional<Date> opt_date(const Row& r, int column, const char* name) {
    if (r.is_null(column) || r.text(column).empty()) {
        return std::nullopt;
    }
    return Date::parse(std::string(r.text(column)), name);
}

Param date_param(const std::optional<Date>& d) {
    return d ? param(d->str()) : Param{};
}

Param text_or_null(const std::string& value) {
    return value.empty() ? Param{} : param(value);
}

// The columns user_params() gives values for, in its order; with the id, what read_user() reads.
#define USER_PARAM_COLUMNS                                                             \
    "email, name, role, org_id, status, password_hash, invite_code_hash, invited_at, " \
    "invite_expires_at, accepted_at, deleted_at, failed_logins, locked_until"
constexpr const char* k_user_columns = "id, " USER_PARAM_COLUMNS;

User read_user(const Row& r, int first = 0) {
    User u;
    u.id = r.int64(first + 0);
    u.email = r.text(first + 1);
    u.name = r.text(first + 2);
    u.role = stored_role(r.text(first + 3));
    u.org_id = r.opt_int64(first + 4);
    u.status = parse_status(std::string(r.text(first + 5)));
    u.password_hash = r.text(first + 6);
    u.invite_code_hash = r.text(first + 7);
    u.invited_at = r.int64(first + 8);
    u.invite_expires_at = r.opt_int64(first + 9);
    u.accepted_at = r.opt_int64(first + 10);
    u.deleted_at = r.opt_int64(first + 11);
    u.failed_logins = static_cast<int>(r.int64(first + 12));
    u.locked_until = r.int64(first + 13);
    return u;
}

std::vector<Param> user_params(const User& u) {
    return {param(u.email),
            param(u.name),
            param(to_string(u.role)),
            param(u.org_id),
            param(to_string(u.status)),
            text_or_null(u.password_hash),
            text_or_null(u.invite_code_hash),
            param(u.invited_at),
            param(u.invite_expires_at),
            param(u.accepted_at),
            param(u.deleted_at),
            param(std::int64_t{u.failed_logins}),
            param(u.locked_until)};
}

Org read_org(const Row& r) {
    return Org{r.int64(0), std::string(r.text(1)), std::string(r.text(2)), r.int64(3)};
}

bool is_profile(AccountKind kind) {
    return kind == AccountKind::profile;
}

ExternalAccount read_account(const Row& r) {
    ExternalAccount a;
    a.id = r.int64(0);
    a.login = r.text(1);
    a.name = r.text(2);
    a.password_hash = r.text(3);
    a.failed_logins = static_cast<int>(r.int64(4));
    a.locked_until = r.int64(5);
    return a;
}

Link read_link(const Row& r) {
    return Link{r.int64(0), r.int64(1), r.int64(2), r.int64(3)};
}

// Array literals for a batch in one parameter ($1::bigint[], $1::text[]).
std::string id_array(const std::vector<std::int64_t>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        out += (i ? "," : "") + std::to_string(ids[i]);
    }
    return out + "}";
}

std::string text_array(const std::vector<std::string>& texts) {
    std::string out = "{";
    for (std::size_t i = 0; i < texts.size(); ++i) {
        out += i ? ",\"" : "\"";
        for (char c : texts[i]) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

#define PURGE_SUBJECT(KEYS)                                                         \
    "SELECT t.i, u.id, u.email, u.org_id, u.role, u.status, u.deleted_at, l.mcid, " \
    "ul.account_id IS NOT NULL FROM unnest($1::" KEYS "[]) WITH ORDINALITY AS t(k, i) JOIN users u ON "

std::vector<std::optional<PurgeSubject>> purge_subjects(pg::Connection& c, const std::string& sql,
                                                        const std::string& keys, std::size_t n) {
    std::vector<std::optional<PurgeSubject>> out(n);
    if (n == 0) {
        return out;  // no round trip: a purge under the lock often checks none
    }
    const pg::Result r = c.query(sql, {param(keys)});
    for (int i = 0; i < r.rows(); ++i) {
        const Row row = r.row(i);
        PurgeSubject s;
        s.user_id = row.int64(1);
        s.email = row.text(2);
        s.org_id = row.opt_int64(3);
        s.role = stored_role(row.text(4));
        s.status = parse_status(std::string(row.text(5)));
        s.deleted_at = row.opt_int64(6);
        s.mcid = row.opt_int64(7);
        s.university = row.boolean(8);
        out[static_cast<std::size_t>(row.int64(0) - 1)] = std::move(s);
    }
    return out;
}

// The holdings query with one filter on the links and on the codes; the select list is the
// HoldingRow.
std::string holdings(const std::string& link_filter, const std::string& university_filter) {
    return "SELECT l.user_id, l.org_id, c.code, c.passed_on, c.expires_on, l.linked_at FROM links l "
           "JOIN credentials c ON c.mcid = l.mcid WHERE " +
           link_filter +
           " AND c.code IN (SELECT code FROM competency_codes) "
           "UNION ALL "
           "SELECT ul.user_id, ul.org_id, a.code, a.passed_on, NULL, ul.associated_at FROM university_links ul "
           "JOIN assessments a ON a.account_id = ul.account_id WHERE " +
           university_filter + " AND a.code <> '' AND a.code IN (SELECT code FROM competency_codes)";
}

HoldingRow read_holding(const Row& r) {
    HoldingRow row;
    row.user_id = r.int64(0);
    row.org_id = r.int64(1);
    row.code = r.text(2);
    row.passed_on = r.text(3);
    row.expires_on = r.text(4);
    row.linked_at = r.int64(5);
    return row;
}

#define AUDIT_COLUMNS "id, at, actor, org_id, action, target, outcome, detail, batch, prev_hash, hash, sealed"

AuditRecord read_audit(const Row& r) {
    AuditRecord a;
    a.id = r.int64(0);
    a.at = r.int64(1);
    a.actor = r.text(2);
    a.org_id = r.opt_int64(3);
    a.action = r.text(4);
    a.target = r.text(5);
    a.outcome = r.text(6);
    a.detail = r.text(7);
    a.batch = r.text(8);
    a.prev_hash = r.text(9);
    a.hash = r.text(10);
    a.sealed = r.text(11);
    return a;
}

SkillSourceRow read_skill(const Row& r, AccountKind source) {
    SkillSourceRow row;
    row.mpn_id = r.text(0);
    row.organization = r.text(1);
    row.user_email = r.text(2);
    row.user_name = r.text(3);
    row.account_id = r.int64(4);
    row.university_login = r.text(5);
    row.source = source;
    row.credential_type = r.text(6);
    row.code = r.text(7);
    row.title = r.text(8);
    row.passed_on = r.text(9);
    row.expires_on = r.text(10);
    row.linked_at = r.int64(11);
    return row;
}

// COPY data goes to the server in blocks of this size: libpq waits until the socket takes a
// block, so a block the socket's buffer holds keeps both sides busy (with 1 MiB blocks the client
// and the server took turns: docs/performance.md section 8).
constexpr std::size_t k_copy_block = 1 << 16;

// COPY text format, fed in blocks of k_copy_block bytes.
class CopySink final : public RowSink {
public:
    CopySink(pg::Connection& c, const CopyTable& table) : m_c(c) {
        if (table.seeded) {
            m_c.exec("DELETE FROM " + table.name);
        }
        m_c.copy_begin(fmt::format("COPY {} ({}) FROM STDIN", table.name, table.column_list()));
    }

    void add(const CopyRow& row) override {
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i) {
                m_block += '\t';
            }
            pg::append_copy_field(m_block, row[i]);
        }
        end_row();
    }

    // For a caller that writes a row's COPY text itself, into text(), and then ends it.
    std::string& text() { return m_block; }
    void end_row() {
        m_block += '\n';
        if (m_block.size() >= k_copy_block) {
            m_c.copy_feed(m_block);
            m_block.clear();
        }
    }

    void finish() override {
        if (!m_block.empty()) {
            m_c.copy_feed(m_block);
        }
        m_c.copy_finish();
    }

private:
    pg::Connection& m_c;
    std::string m_block;
};

}  // namespace

PgStore::PgStore(std::unique_ptr<pg::Connection> connection, std::string name)
    : m_c(std::move(connection)), m_name(std::move(name)) {
    m_c->cancel_on_signal();
}

// What is left of the busy budget for the write lock: all of it, or what a retried unit left.
long long PgStore::write_wait_ms() const {
    if (!m_busy_deadline) {
        return k_busy_budget.count();
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(*m_busy_deadline - std::chrono::steady_clock::now())
        .count();
}

std::unique_ptr<Transaction> PgStore::begin_write() {
    const std::string begin = begin_write_sql(write_wait_ms());
    return std::make_unique<NestedTransaction>(
        transaction_depth, [this](const char* sql) { m_c->exec(sql); }, begin.c_str());
}

// Every change is made by a transaction with an id, and a snapshot's xmax is one past the
// highest id that had ended (committed or rolled back) when it was taken; the ids below it that
// were still running are listed (xip). A transaction that ends later, with an id below xmax, was
// listed; one with an id at or above xmax moves xmax when it ends. So when a snapshot lists none
// running, and a later snapshot has the same xmax, no transaction ended in between: nothing was
// committed, by any connection to the server (ids are the cluster's: a write in another database
// counts too, so the answer errs towards "changed"). nullopt when some were listed: the caller
// reads again.
std::optional<Store::ChangeStamp> PgStore::change_stamp() {
    const pg::Result r = m_c->query(
        "SELECT pg_snapshot_xmax(s)::text::bigint, NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(s)) "
        "FROM pg_current_snapshot() s");
    if (!r.row(0).boolean(1)) {
        return std::nullopt;
    }
    return ChangeStamp{r.row(0).int64(0) - m_staging_xids, 0};
}

std::unique_ptr<Transaction> PgStore::begin_read() {
    return std::make_unique<NestedTransaction>(
        transaction_depth, [this](const char* sql) { m_c->defer(sql); }, k_begin_read);
}

void PgStore::each(const std::string& sql, const std::vector<Param>& params,
                   const std::function<void(const Row&)>& fn) {
    auto snapshot = begin_read();  // nested (nothing begun) inside a transaction
    m_c->cursor(sql, params, fn);
    snapshot->commit();
}

// --- config

std::optional<std::string> PgStore::config_get(std::string_view key) {
    return first_row(*m_c, "SELECT value FROM config WHERE key = $1", {param(key)},
                     [](const Row& row) { return std::string(row.text(0)); });
}

std::map<std::string, std::string, std::less<>> PgStore::config_all() {
    std::map<std::string, std::string, std::less<>> out;
    const pg::Result r = m_c->query("SELECT key, value FROM config");
    for (int i = 0; i < r.rows(); ++i) {
        out.emplace(r.row(i).text(0), r.row(i).text(1));
    }
    return out;
}

void PgStore::config_set(std::string_view key, std::string_view value) {
    m_c->query("INSERT INTO config(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               {param(key), param(value)});
}

// --- organizations

std::int64_t PgStore::insert_org(const Org& org) {
    return m_c
        ->query("INSERT INTO orgs(mpn_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                {param(org.mpn_id), param(org.name), param(org.created_at)})
        .row(0)
        .int64(0);
}

std::optional<Org> PgStore::find_org_by_mpn(std::string_view mpn_id) {
    return first_row(*m_c, "SELECT id, mpn_id, name, created_at FROM orgs WHERE mpn_id = $1", {param(mpn_id)},
                     read_org);
}

std::optional<Org> PgStore::find_org(std::int64_t id) {
    return first_row(*m_c, "SELECT id, mpn_id, name, created_at FROM orgs WHERE id = $1", {param(id)}, read_org);
}

std::vector<Org> PgStore::list_orgs() {
    const auto r = m_c->query("SELECT id, mpn_id, name, created_at FROM orgs ORDER BY mpn_id");
    std::vector<Org> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read_org(r.row(i)));
    }
    return out;
}

std::int64_t PgStore::count_users_of_org(std::int64_t org_id) {
    return m_c
        ->query("SELECT coalesce(sum(n), 0)::bigint FROM org_user_counts WHERE org_id = $1 AND status <> 'deleted'",
                {param(org_id)})
        .row(0)
        .int64(0);
}

// --- users and sessions

void PgStore::insert_users(const std::vector<User>& users) {
    // The columns of user_params(); one COPY fires the counting trigger once. (A long import of
    // single INSERTs would update one count row per user in one transaction, each update walking
    // the row's growing chain of versions: quadratic.)
    static const CopyTable columns = copy_table_of("users", USER_PARAM_COLUMNS);
    if (users.empty()) {
        return;
    }
    CopySink sink(*m_c, columns);
    for (const User& u : users) {
        sink.add(user_params(u));
    }
    sink.finish();
}

std::int64_t PgStore::insert_user(const User& user) {
    return m_c
        ->query("INSERT INTO users(" USER_PARAM_COLUMNS
                ") "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                user_params(user))
        .row(0)
        .int64(0);
}

void PgStore::update_user(const User& user) {
    auto params = user_params(user);
    params.push_back(param(user.id));
    m_c->query("UPDATE users SET (" USER_PARAM_COLUMNS
               ") = ROW($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
               "WHERE id = $14",
               params);
}

std::vector<std::optional<PurgeSubject>> PgStore::find_purge_subjects(const std::vector<std::string>& emails) {
    static const std::string sql = PURGE_SUBJECT("text") "lower(u.email) = lower(t.k) "
        "LEFT JOIN links l ON l.user_id = u.id LEFT JOIN university_links ul ON ul.user_id = u.id";
    return purge_subjects(*m_c, sql, text_array(emails), emails.size());
}

std::vector<std::optional<PurgeSubject>> PgStore::find_purge_subjects_by_id(const std::vector<std::int64_t>& ids) {
    static const std::string sql = PURGE_SUBJECT("bigint") "u.id = t.k "
        "LEFT JOIN links l ON l.user_id = u.id LEFT JOIN university_links ul ON ul.user_id = u.id";
    return purge_subjects(*m_c, sql, id_array(ids), ids.size());
}

#undef PURGE_SUBJECT

void PgStore::fill_purge_plan(const std::vector<PurgeSubject>& users) {
    // Kept across transactions (stage_purge fills it before the write transaction): purge_users
    // empties it at its end, and a rollback that puts rows back is undone by the next fill.
    m_c->exec(
        "CREATE TEMP TABLE IF NOT EXISTS purge_plan (id bigint PRIMARY KEY, email text NOT NULL, org_id bigint, "
        "role text NOT NULL, status text NOT NULL, mcid bigint, university boolean NOT NULL)");
    m_c->exec("DELETE FROM purge_plan");
    {
        static const CopyTable table = copy_table_of("purge_plan", "#id email #org_id role status #mcid university");
        CopySink sink(*m_c, table);
        const auto text = [](const std::optional<std::int64_t>& v) {
            return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
        };
        for (const PurgeSubject& u : users) {
            sink.add({std::to_string(u.user_id), u.email, text(u.org_id), std::string(to_string(u.role)),
                      std::string(to_string(u.status)), text(u.mcid), std::string(u.university ? "t" : "f")});
        }
        sink.finish();
    }
    // A temporary table has no statistics until analyzed, and the planner would take 100,000 ids
    // for a few thousand (at SCALE 1.0, deleting the purged users' links took 0.19 s without this
    // and 0.08 s with it).
    m_c->exec("ANALYZE purge_plan");
}

void PgStore::stage_purge(const std::vector<PurgeSubject>& users) {
    // Its own transaction, without the advisory lock. Writing the temporary table takes it one
    // transaction id (pg_snapshot_xmax moves by one), which change_stamp then leaves out: a
    // change by anyone else moves xmax further.
    const bool own = transaction_depth == 0;  // (inside another transaction, its id is not ours to leave out)
    NestedTransaction tx(
        transaction_depth, [this](const char* sql) { m_c->exec(sql); }, "BEGIN ISOLATION LEVEL READ COMMITTED");
    fill_purge_plan(users);
    const bool took_xid = !m_c->query("SELECT txid_current_if_assigned()").row(0).is_null(0);
    tx.commit();
    m_staging_xids += own && took_xid ? 1 : 0;
}

bool PgStore::end_access(std::int64_t links, std::int64_t universities) {
    // Exactly the links that were read go: as many, and none other than the one read.
    const auto gone_as_read = [](const pg::Result& r, std::int64_t read) {
        return r.row(0).int64(0) == read && r.row(0).int64(1) == 0;
    };
    if (!gone_as_read(m_c->query("WITH gone AS (DELETE FROM links WHERE user_id IN (SELECT id FROM purge_plan) "
                                 "RETURNING user_id, mcid) SELECT count(*), count(*) FILTER (WHERE p.mcid IS "
                                 "DISTINCT FROM g.mcid) FROM gone g JOIN purge_plan p ON p.id = g.user_id"),
                      links) ||
        !gone_as_read(m_c->query("WITH gone AS (DELETE FROM university_links WHERE user_id IN (SELECT id FROM "
                                 "purge_plan) RETURNING user_id) SELECT count(*), count(*) FILTER (WHERE NOT "
                                 "p.university) FROM gone g JOIN purge_plan p ON p.id = g.user_id"),
                      universities)) {
        return false;
    }
    m_c->exec("DELETE FROM sessions WHERE user_id IN (SELECT id FROM purge_plan)");
    return true;
}

bool PgStore::mark_purged(const std::vector<PurgeSubject>& users, Instant at) {
    std::int64_t links = 0;
    std::int64_t universities = 0;
    for (const PurgeSubject& u : users) {
        links += u.mcid ? 1 : 0;
        universities += u.university ? 1 : 0;
    }
    if (!end_access(links, universities)) {
        return false;
    }
    // Each account is updated only if it still has the email, organization, role and status it
    // was read with. The statement trigger that moves org_user_counts stands aside for this
    // UPDATE (schema 3: its join of the old and new rows took 0.65 s for 100,000 users);
    // purge_users moves them once per (organization, status).
    m_c->exec("SELECT set_config('mcid.user_counts_moved', 'on', true)");
    const pg::Result marked = m_c->query(
        "UPDATE users u SET status = 'deleted', deleted_at = $1, invite_code_hash = NULL, invite_expires_at = NULL "
        "FROM purge_plan p WHERE u.id = p.id AND u.email = p.email AND u.org_id IS NOT DISTINCT FROM p.org_id "
        "AND u.role = p.role AND u.status = p.status",
        {param(at)});
    m_c->exec("SELECT set_config('mcid.user_counts_moved', '', true)");
    return marked.affected() == static_cast<std::int64_t>(users.size());
}

std::unique_ptr<Transaction> PgStore::begin_write_marking_purged(const std::vector<PurgeSubject>& users, Instant at) {
    // The writes take row locks on what they delete and update, and wait (lock_timeout, as for
    // the write lock) only for a writer holding one of those rows. Their own time is work, not
    // waiting: the wait for the write lock after them gets the budget that was left before them.
    const auto started = std::chrono::steady_clock::now();
    const std::string begin = fmt::format("BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '{}ms'",
                                          std::max(1LL, write_wait_ms()));
    auto tx = std::make_unique<NestedTransaction>(
        transaction_depth, [this](const char* sql) { m_c->exec(sql); }, begin.c_str());
    if (!mark_purged(users, at)) {
        return nullptr;  // rolled back
    }
    if (m_busy_deadline) {
        *m_busy_deadline += std::chrono::steady_clock::now() - started;
    }
    m_c->exec(take_write_lock_sql(write_wait_ms()));
    return tx;
}

bool PgStore::purge_users(const std::vector<PurgeSubject>& users, Instant at, CheckAsRead, Staged staged) {
    // Checked always: the checks ride on statements that run anyway, as aggregates on the server.
    if (users.empty()) {
        return true;
    }
    // The accounts as the caller read them, which each write below checks against what holds.
    if (staged == Staged::no) {
        fill_purge_plan(users);
    }
    if (staged == Staged::marked) {
        // Marked before the write lock, their links and sessions ended: what another writer
        // began for one of them since (a link, a session) is ended now. A link means the batch
        // would report it wrong (false: planned again under the lock); a session just goes.
        if (!end_access(0, 0)) {
            return false;
        }
    } else if (!mark_purged(users, at)) {
        return false;
    }
    // org_user_counts moves once per (organization, status), here, under the write lock (other
    // writers move these rows too): the statement trigger stood aside for mark_purged.
    m_c->exec(
        "WITH moved AS (SELECT org_id, status, count(*) AS n FROM purge_plan WHERE org_id IS NOT NULL "
        "GROUP BY org_id, status), "
        "fewer AS (UPDATE org_user_counts c SET n = c.n - m.n FROM moved m "
        "WHERE c.org_id = m.org_id AND c.status = m.status) "
        "INSERT INTO org_user_counts(org_id, status, n) SELECT org_id, 'deleted', sum(n) FROM moved GROUP BY org_id "
        "ORDER BY org_id ON CONFLICT (org_id, status) DO UPDATE SET n = org_user_counts.n + excluded.n");
    m_c->exec("DELETE FROM purge_plan");
    return true;
}

std::optional<User> PgStore::find_user_by_email(std::string_view email) {
    static const std::string sql =
        std::string("SELECT ") + k_user_columns + " FROM users WHERE lower(email) = lower($1)";
    return first_row(*m_c, sql, {param(email)}, [](const Row& r) { return read_user(r); });
}

std::vector<std::int64_t> PgStore::users_due_for_erasure(Instant deleted_before, std::size_t limit) {
    const auto r =
        m_c->query("SELECT id FROM users WHERE status = 'deleted' AND erased_at IS NULL AND deleted_at <= $1 LIMIT $2",
                   {param(deleted_before), param(static_cast<std::int64_t>(limit))});
    std::vector<std::int64_t> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(r.row(i).int64(0));
    }
    return out;
}

void PgStore::erase_user(std::int64_t user_id, std::string_view pseudonym, Instant at) {
    m_c->query(
        "UPDATE users SET email = $1, name = '', password_hash = NULL, invite_code_hash = NULL, "
        "invite_expires_at = NULL, erased_at = $2 WHERE id = $3",
        {param(pseudonym), param(at), param(user_id)});
    delete_sessions_of(user_id);
}

std::optional<User> PgStore::find_user(std::int64_t id) {
    static const std::string sql = std::string("SELECT ") + k_user_columns + " FROM users WHERE id = $1";
    return first_row(*m_c, sql, {param(id)}, [](const Row& r) { return read_user(r); });
}

bool PgStore::any_operator() {
    return m_c->query("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'operator')").row(0).boolean(0);
}

PgQuery pg_users_query(const UserFilter& filter) {
    // One statement per filter shape, parameters numbered in order.
    PgQuery q{std::string("SELECT ") + k_user_columns + " FROM users WHERE role <> 'operator'", {}};
    if (filter.org_id) {
        q.params.push_back(param(*filter.org_id));
        q.sql += fmt::format(" AND org_id = ${}", q.params.size());
    }
    if (filter.status) {
        q.params.push_back(param(to_string(*filter.status)));
        q.sql += fmt::format(" AND status = ${}", q.params.size());
    }
    if (filter.role) {
        q.params.push_back(param(to_string(*filter.role)));
        q.sql += fmt::format(" AND role = ${}", q.params.size());
    }
    q.sql += filter.org_id ? " ORDER BY email" : " ORDER BY org_id, email";
    return q;
}

void PgStore::for_each_user(const UserFilter& filter, const std::function<void(const User&)>& fn) {
    const PgQuery q = pg_users_query(filter);
    each(q.sql, q.params, [&](const Row& r) { fn(read_user(r)); });
}

std::int64_t PgStore::count_active_global_admins(std::int64_t org_id) {
    return m_c
        ->query("SELECT count(*) FROM users WHERE org_id = $1 AND status = 'active' AND role = 'global-admin'",
                {param(org_id)})
        .row(0)
        .int64(0);
}

void PgStore::insert_session(std::string_view token_hash, std::int64_t user_id, Instant created, Instant expires) {
    m_c->query("INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
               {param(token_hash), param(user_id), param(created), param(expires)});
}

std::optional<Session> PgStore::find_session(std::string_view token_hash) {
    return first_row(*m_c, "SELECT user_id, expires_at FROM sessions WHERE token_hash = $1", {param(token_hash)},
                     [](const Row& row) {
                         return Session{row.int64(0), row.int64(1)};
                     });
}

void PgStore::delete_session(std::string_view token_hash) {
    m_c->query("DELETE FROM sessions WHERE token_hash = $1", {param(token_hash)});
}

void PgStore::delete_sessions_of(std::int64_t user_id) {
    m_c->query("DELETE FROM sessions WHERE user_id = $1", {param(user_id)});
}

Attempts PgStore::find_throttle(std::string_view subject) {
    return first_row(*m_c, "SELECT failed, locked_until FROM signin_throttle WHERE subject = $1", {param(subject)},
                     [](const Row& row) {
                         return Attempts{static_cast<int>(row.int64(0)), row.int64(1)};
                     })
        .value_or(Attempts{});
}

void PgStore::save_throttle(std::string_view subject, const Attempts& a) {
    if (a.failed == 0 && a.locked_until == 0) {
        m_c->query("DELETE FROM signin_throttle WHERE subject = $1", {param(subject)});
        return;
    }
    m_c->query(
        "INSERT INTO signin_throttle(subject, failed, locked_until) VALUES ($1, $2, $3) "
        "ON CONFLICT (subject) DO UPDATE SET failed = excluded.failed, locked_until = excluded.locked_until",
        {param(subject), param(std::int64_t{a.failed}), param(a.locked_until)});
}

// --- registry

std::int64_t PgStore::upsert_account(AccountKind kind, const ExternalAccount& a) {
    if (is_profile(kind)) {
        return m_c
            ->query(
                "INSERT INTO profiles(mcid, login, name, password_hash) VALUES ($1, $2, $3, NULLIF($4::text, '')) "
                "ON CONFLICT (mcid) DO UPDATE SET login = excluded.login, name = excluded.name, "
                "password_hash = coalesce(excluded.password_hash, profiles.password_hash) RETURNING mcid",
                {param(a.id), param(a.login), param(a.name), param(a.password_hash)})
            .row(0)
            .int64(0);
    }
    return m_c
        ->query(
            "INSERT INTO university_accounts(login, name, password_hash) VALUES ($1, $2, NULLIF($3::text, '')) "
            "ON CONFLICT ((lower(login))) DO UPDATE SET name = excluded.name, "
            "password_hash = coalesce(excluded.password_hash, university_accounts.password_hash) RETURNING id",
            {param(a.login), param(a.name), param(a.password_hash)})
        .row(0)
        .int64(0);
}

std::optional<ExternalAccount> PgStore::find_account(AccountKind kind, std::int64_t id) {
    return first_row(
        *m_c,
        is_profile(kind)
            ? "SELECT mcid, login, name, password_hash, failed_logins, locked_until FROM profiles "
              "WHERE mcid = $1"
            : "SELECT id, login, name, password_hash, failed_logins, locked_until FROM university_accounts "
              "WHERE id = $1",
        {param(id)}, read_account);
}

std::optional<ExternalAccount> PgStore::find_account_by_login(AccountKind kind, std::string_view login) {
    return first_row(
        *m_c,
        is_profile(kind)
            ? "SELECT mcid, login, name, password_hash, failed_logins, locked_until FROM profiles "
              "WHERE lower(login) = lower($1)"
            : "SELECT id, login, name, password_hash, failed_logins, locked_until FROM university_accounts "
              "WHERE lower(login) = lower($1)",
        {param(login)}, read_account);
}

void PgStore::update_account_lockout(AccountKind kind, std::int64_t id, int failed, Instant locked_until) {
    m_c->query(is_profile(kind) ? "UPDATE profiles SET failed_logins = $1, locked_until = $2 WHERE mcid = $3"
                                : "UPDATE university_accounts SET failed_logins = $1, locked_until = $2 WHERE id = $3",
               {param(std::int64_t{failed}), param(locked_until), param(id)});
}

bool PgStore::credential_exists(std::int64_t mcid, std::string_view code) {
    return m_c->query("SELECT 1 FROM credentials WHERE mcid = $1 AND code = $2", {param(mcid), param(code)}).rows() > 0;
}

void PgStore::upsert_credential(const Credential& c) {
    m_c->query(
        "INSERT INTO credentials(mcid, code, title, type, passed_on, expires_on) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (mcid, code) DO UPDATE SET title = excluded.title, type = excluded.type, "
        "passed_on = excluded.passed_on, expires_on = excluded.expires_on",
        {param(c.mcid), param(c.code), param(c.title), param(to_string(c.type)), date_param(c.passed_on),
         date_param(c.expires_on)});
}

namespace {

// Stages `rows` (ord, then the columns of `columns`) in the temporary table `staging`, made on
// first use and emptied at commit, and runs `merge`, which reads it. The staging table's ord
// is the row's place in the block: merges keep the last row of a key (credentials: DISTINCT ON
// ... ord DESC; accounts: LAST_OF_EACH_KEY below) and write them in the order of each key's last
// row, as single upserts would; a row equal to the stored one
// is left alone (a daily feed repeats most rows: no new row version, no index update).
void stage_and_merge(pg::Connection& c, const std::string& staging, const std::string& columns,
                     const std::function<void(RowSink&)>& rows, const std::string& merge) {
    const CopyTable table = copy_table_of(staging, "#ord " + columns);
    std::string definition;
    for (const CopyColumn& column : table.columns) {
        definition +=
            fmt::format("{}{} {}", definition.empty() ? "" : ", ", column.name, column.integer ? "bigint" : "text");
    }
    c.exec(fmt::format("CREATE TEMPORARY TABLE IF NOT EXISTS {} ({}) ON COMMIT DELETE ROWS", staging, definition));
    {
        CopySink sink(c, table);
        rows(sink);
        sink.finish();
    }
    c.exec(merge);
    c.exec("TRUNCATE " + staging);  // the next block of the same transaction starts empty
}

// Before the rows of a bulk load (db copy, a first credentials import): drops the indexes, keys
// and foreign keys of the tables named, and returns the statements that build them again, in the
// order they need (indexes, then primary and unique keys, then the foreign keys that refer to
// them). Each is then built once from all the rows, as pg_dump's output does, rather than kept
// up to date row by row. Checks, triggers and grants stay as they are.
std::vector<std::string> defer_indexes(pg::Connection& c, const std::vector<std::string>& names) {
    const std::string tables = text_array(names);
    const std::string ours = "c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])";
    std::vector<std::string> drop;
    std::vector<std::string> build;
    const auto constraints = [&](const char* types) {
        const auto found = c.query_once(fmt::format("SELECT quote_ident(c.relname), quote_ident(k.conname), "
                                                    "pg_get_constraintdef(k.oid) "
                                                    "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
                                                    "WHERE k.contype = ANY('{{{}}}') AND {} ORDER BY k.oid",
                                                    types, ours),
                                        {param(tables)});
        std::vector<std::string> adds;
        for (int i = 0; i < found.rows(); ++i) {
            const auto row = found.row(i);
            drop.push_back(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", row.text(0), row.text(1)));
            adds.push_back(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", row.text(0), row.text(1), row.text(2)));
        }
        return adds;
    };
    const auto foreign_keys = constraints("f");
    const auto keys = constraints("p,u");
    const std::string not_a_key =
        "NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u'))";
    const auto indexes = c.query_once(
        "SELECT quote_ident(x.relname), pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid "
        "WHERE " +
            ours + " AND " + not_a_key + " ORDER BY i.indexrelid",
        {param(tables)});
    for (int i = 0; i < indexes.rows(); ++i) {
        drop.push_back(fmt::format("DROP INDEX {}", indexes.row(i).text(0)));
        build.emplace_back(indexes.row(i).text(1));
    }
    build.insert(build.end(), keys.begin(), keys.end());
    build.insert(build.end(), foreign_keys.begin(), foreign_keys.end());
    for (const std::string& sql : drop) {
        c.exec(sql);
    }
    return build;
}

}  // namespace

// An account's last login and name in the block, and its last password hash that is not empty
// (an empty one keeps the hash before it, as single upserts do), one row per key in the order
// of each key's last row.
#define LAST_OF_EACH_KEY(staging, key)                                                                       \
    "(array_agg(login ORDER BY ord DESC))[1], (array_agg(name ORDER BY ord DESC))[1], "                      \
    "(array_agg(password_hash ORDER BY ord DESC) FILTER (WHERE password_hash IS NOT NULL))[1] FROM " staging \
    " GROUP BY " key " ORDER BY max(ord) "

void PgStore::upsert_accounts(AccountKind kind, const std::vector<ExternalAccount>& accounts) {
    if (accounts.size() < 2) {
        Store::upsert_accounts(kind, accounts);
        return;
    }
    const auto rows = [&](RowSink& sink) {
        std::int64_t ord = 0;
        for (const ExternalAccount& a : accounts) {
            sink.add({param(ord++), param(a.id), param(a.login), param(a.name), text_or_null(a.password_hash)});
        }
    };
    if (is_profile(kind)) {
        stage_and_merge(*m_c, "import_profiles", "#mcid login name password_hash", rows,
                        "INSERT INTO profiles(mcid, login, name, password_hash) "
                        "SELECT mcid, " LAST_OF_EACH_KEY("import_profiles", "mcid") 
                        "ON CONFLICT (mcid) DO UPDATE SET login = excluded.login, name = excluded.name, "
                        "password_hash = coalesce(excluded.password_hash, profiles.password_hash) "
                        "WHERE (profiles.login, profiles.name, profiles.password_hash) IS DISTINCT FROM "
                        "(excluded.login, excluded.name, coalesce(excluded.password_hash, profiles.password_hash))");
        return;
    }
    stage_and_merge(*m_c, "import_university_accounts", "#id login name password_hash", rows,
                    "INSERT INTO university_accounts(login, name, password_hash) "
                    "SELECT " LAST_OF_EACH_KEY("import_university_accounts", "lower(login)") 
                    "ON CONFLICT ((lower(login))) DO UPDATE SET name = excluded.name, "
                    "password_hash = coalesce(excluded.password_hash, university_accounts.password_hash) "
                    "WHERE (university_accounts.name, university_accounts.password_hash) IS DISTINCT FROM "
                    "(excluded.name, coalesce(excluded.password_hash, university_accounts.password_hash))");
}

#undef LAST_OF_EACH_KEY

std::vector<std::int64_t> PgStore::missing_profiles(const std::vector<std::int64_t>& mcids) {
    if (mcids.empty()) {
        return {};
    }
    const auto r = m_c->query(
        "SELECT DISTINCT t.mcid FROM unnest($1::bigint[]) AS t(mcid) "
        "WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.mcid = t.mcid)",
        {param(id_array(mcids))});
    std::vector<std::int64_t> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(r.row(i).int64(0));
    }
    return out;
}

void PgStore::upsert_credentials(const std::vector<Credential>& credentials) {
    if (credentials.size() < 2) {
        Store::upsert_credentials(credentials);
        return;
    }
    stage_and_merge(
        *m_c, "import_credentials", "#mcid code title type passed_on expires_on",
        [&](RowSink& sink) {
            std::int64_t ord = 0;
            for (const Credential& c : credentials) {
                sink.add({param(ord++), param(c.mcid), param(c.code), param(c.title), param(to_string(c.type)),
                          date_param(c.passed_on), date_param(c.expires_on)});
            }
        },
        "INSERT INTO credentials(mcid, code, title, type, passed_on, expires_on) "
        "SELECT mcid, code, title, type, passed_on, expires_on FROM (SELECT DISTINCT ON (mcid, code) * "
        "FROM import_credentials ORDER BY mcid, code, ord DESC) last ORDER BY ord "
        "ON CONFLICT (mcid, code) DO UPDATE SET title = excluded.title, type = excluded.type, "
        "passed_on = excluded.passed_on, expires_on = excluded.expires_on "
        "WHERE (credentials.title, credentials.type, credentials.passed_on, credentials.expires_on) IS DISTINCT FROM "
        "(excluded.title, excluded.type, excluded.passed_on, excluded.expires_on)");
}

namespace {

// The load begun by PgStore::begin_credentials_load: the rows go by one COPY into the table with
// its keys dropped, which are built again from all of them at the end.
class PgCredentialsLoad final : public CredentialsLoad {
public:
    PgCredentialsLoad(pg::Connection& c, std::unique_ptr<Transaction> tx, std::vector<std::string> rebuild,
                      std::string take_write_lock)
        : m_c(c), m_tx(std::move(tx)), m_rebuild(std::move(rebuild)), m_take_write_lock(std::move(take_write_lock)) {}

    // Each row straight into the COPY text, without a row of strings between (5M rows: a tenth of
    // the client's time went to making and freeing those).
    void add(const Credential& c) override {
        if (!m_sink) {  // on the first row: the caller may query the store until then
            m_sink.emplace(m_c, copy_table_of("credentials", "#mcid code title type passed_on expires_on"));
        }
        std::string& text = m_sink->text();
        fmt::format_to(std::back_inserter(text), "{}\t", c.mcid);
        pg::append_copy_text(text, c.code);
        text += '\t';
        pg::append_copy_text(text, c.title);
        text += '\t';
        text += to_string(c.type);
        for (const auto& date : {c.passed_on, c.expires_on}) {
            text += '\t';
            text += date ? date->str() : "\\N";
        }
        m_sink->end_row();
    }

    bool finish() override {
        if (m_sink) {
            m_sink->finish();
        }
        try {
            for (const std::string& sql : m_rebuild) {
                m_c.exec(sql);
            }
        } catch (const pg::ServerError& e) {
            if (e.sqlstate() == "23505" || e.sqlstate() == "23503") {
                return false;  // a key twice, or an MCID with no profile: dropped, rolled back
            }
            throw;
        }
        m_c.exec(m_take_write_lock);
        return true;
    }

    void commit() override { m_tx->commit(); }

private:
    pg::Connection& m_c;
    std::unique_ptr<Transaction> m_tx;
    std::vector<std::string> m_rebuild;
    std::string m_take_write_lock;
    std::optional<CopySink> m_sink;
};

}  // namespace

// A first credentials import is one load with the keys built after the rows (5M rows: about a
// fifth of the time of upserts in blocks, whose cost is the server keeping the primary key, the
// code index and the foreign key to profiles up to date row by row; docs/performance.md section
// 8). It applies when:
// - this role may alter the table (it owns credentials, or has the rights of its owner) and
//   refer to profiles;
// - both tables are free right now: their locks (ACCESS EXCLUSIVE, which dropping the foreign
//   key takes on profiles anyway) are taken with NOWAIT, and held to the end, so no one reads
//   half a load, and no link (which reads profiles) can be made meanwhile;
// - holding them, credentials is empty and nothing is linked, so no competency status changes
//   (an import in blocks refreshes the status of the linked MCIDs it touches).
// Otherwise nothing is changed and the import runs in blocks, as it does on every later import.
// The store's write lock is taken only at the end, for the audit row, so other admins' writes
// do not queue behind the load.
std::unique_ptr<CredentialsLoad> PgStore::begin_credentials_load() {
    if (transaction_depth != 0) {
        return nullptr;  // a load is a transaction of its own
    }
    auto tx = std::make_unique<NestedTransaction>(
        transaction_depth, [this](const char* sql) { m_c->exec(sql); }, "BEGIN ISOLATION LEVEL READ COMMITTED");
    const bool may_alter =
        m_c->query(
               "SELECT pg_has_role(relowner, 'USAGE') AND has_table_privilege('profiles', 'REFERENCES') "
               "FROM pg_class WHERE oid = 'credentials'::regclass")
            .row(0)
            .boolean(0);
    if (!may_alter) {
        return nullptr;
    }
    try {
        m_c->exec("LOCK TABLE credentials, profiles IN ACCESS EXCLUSIVE MODE NOWAIT");
    } catch (const pg::ServerError& e) {
        if (e.sqlstate() == "55P03") {
            return nullptr;  // in use: the import in blocks waits its turn as any write does
        }
        throw;
    }
    if (!m_c->query("SELECT NOT EXISTS (SELECT 1 FROM credentials) AND NOT EXISTS (SELECT 1 FROM links)")
             .row(0)
             .boolean(0)) {
        return nullptr;
    }
    std::vector<std::string> rebuild = defer_indexes(*m_c, {"credentials"});
    return std::make_unique<PgCredentialsLoad>(*m_c, std::move(tx), std::move(rebuild),
                                               take_write_lock_sql(write_wait_ms()));
}

bool PgStore::assessment_exists(std::int64_t account_id, std::string_view title) {
    return m_c->query("SELECT 1 FROM assessments WHERE account_id = $1 AND title = $2",
                      {param(account_id), param(title)})
               .rows() > 0;
}

void PgStore::upsert_assessment(const Assessment& a) {
    m_c->query(
        "INSERT INTO assessments(account_id, title, code, passed_on) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (account_id, title) DO UPDATE SET code = excluded.code, passed_on = excluded.passed_on",
        {param(a.account_id), param(a.title), param(a.code), date_param(a.passed_on)});
}

std::vector<Credential> PgStore::credentials_of(std::int64_t mcid) {
    const auto r = m_c->query(
        "SELECT mcid, code, title, type, passed_on, expires_on FROM credentials WHERE mcid = $1 ORDER BY code",
        {param(mcid)});
    std::vector<Credential> out;
    for (int i = 0; i < r.rows(); ++i) {
        const Row row = r.row(i);
        out.push_back(Credential{row.int64(0), std::string(row.text(1)), std::string(row.text(2)),
                                 parse_credential_type(std::string(row.text(3))), opt_date(row, 4, "passed_on"),
                                 opt_date(row, 5, "expires_on")});
    }
    return out;
}

std::vector<Assessment> PgStore::assessments_of(std::int64_t account_id) {
    const auto r =
        m_c->query("SELECT account_id, title, code, passed_on FROM assessments WHERE account_id = $1 ORDER BY title",
                   {param(account_id)});
    std::vector<Assessment> out;
    for (int i = 0; i < r.rows(); ++i) {
        const Row row = r.row(i);
        out.push_back(Assessment{row.int64(0), std::string(row.text(1)), std::string(row.text(2)),
                                 opt_date(row, 3, "passed_on")});
    }
    return out;
}

// --- links and associations

std::optional<Link> PgStore::find_link(AccountKind kind, std::int64_t account_id) {
    return first_row(*m_c,
                     is_profile(kind) ? "SELECT mcid, user_id, org_id, linked_at FROM links WHERE mcid = $1"
                                      : "SELECT account_id, user_id, org_id, associated_at FROM "
                                        "university_links WHERE account_id = $1",
                     {param(account_id)}, read_link);
}

std::optional<Link> PgStore::find_link_of_user(AccountKind kind, std::int64_t user_id) {
    return first_row(*m_c,
                     is_profile(kind) ? "SELECT mcid, user_id, org_id, linked_at FROM links WHERE user_id = $1"
                                      : "SELECT account_id, user_id, org_id, associated_at FROM "
                                        "university_links WHERE user_id = $1",
                     {param(user_id)}, read_link);
}

void PgStore::insert_link(AccountKind kind, const Link& link) {
    m_c->query(is_profile(kind)
                   ? "INSERT INTO links(mcid, user_id, org_id, linked_at) VALUES ($1, $2, $3, $4)"
                   : "INSERT INTO university_links(account_id, user_id, org_id, associated_at) VALUES ($1, $2, $3, $4)",
               {param(link.account_id), param(link.user_id), param(link.org_id), param(link.linked_at)});
}

void PgStore::delete_link(AccountKind kind, std::int64_t account_id) {
    m_c->query(
        is_profile(kind) ? "DELETE FROM links WHERE mcid = $1" : "DELETE FROM university_links WHERE account_id = $1",
        {param(account_id)});
}

void PgStore::insert_association(AccountKind kind, std::int64_t account_id, std::int64_t user_id, Instant at) {
    m_c->query("INSERT INTO associations(kind, subject, user_id, at) VALUES ($1, $2, $3, $4)",
               {param(to_string(kind)), param(account_id), param(user_id), param(at)});
}

std::vector<Instant> PgStore::associations_since(AccountKind kind, std::int64_t account_id, Instant since) {
    const auto r = m_c->query("SELECT at FROM associations WHERE kind = $1 AND subject = $2 AND at > $3 ORDER BY at",
                              {param(to_string(kind)), param(account_id), param(since)});
    std::vector<Instant> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(r.row(i).int64(0));
    }
    return out;
}

std::optional<std::int64_t> PgStore::last_associated_account(AccountKind kind, std::int64_t user_id) {
    return first_row(
        *m_c, "SELECT subject FROM associations WHERE user_id = $1 AND kind = $2 ORDER BY at DESC, id DESC LIMIT 1",
        {param(user_id), param(to_string(kind))}, first_int64);
}

std::optional<std::int64_t> PgStore::last_association_user(AccountKind kind, std::int64_t account_id) {
    return first_row(
        *m_c, "SELECT user_id FROM associations WHERE kind = $1 AND subject = $2 ORDER BY at DESC, id DESC LIMIT 1",
        {param(to_string(kind)), param(account_id)}, first_int64);
}

// --- competencies

void PgStore::replace_competency(const Competency& c) {
    m_c->query("DELETE FROM competencies WHERE lower(name) = lower($1)", {param(c.name)});
    m_c->query("INSERT INTO competencies(name, individuals) VALUES ($1, $2)", {param(c.name), param(c.individuals)});
    for (const auto& code : c.codes) {
        m_c->query("INSERT INTO competency_codes(competency, code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                   {param(c.name), param(code)});
    }
}

std::vector<Competency> PgStore::list_competencies() {
    // SQLite orders the NOCASE names case-insensitively: so here.
    std::vector<Competency> out;
    const auto r = m_c->query("SELECT name, individuals FROM competencies ORDER BY lower(name), name");
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(Competency{std::string(r.row(i).text(0)), {}, r.row(i).int64(1)});
    }
    const auto codes = m_c->query("SELECT competency, code FROM competency_codes ORDER BY competency, code");
    for (int i = 0; i < codes.rows(); ++i) {
        const std::string_view name = codes.row(i).text(0);
        auto it = std::find_if(out.begin(), out.end(), [&](const Competency& c) { return c.name == name; });
        if (it != out.end()) {
            it->codes.emplace_back(codes.row(i).text(1));
        }
    }
    return out;
}

// --- reports

void PgStore::for_each_skill_source(std::optional<std::int64_t> org_id,
                                    const std::function<void(const SkillSourceRow&)>& fn) {
    const std::string learning =
        "SELECT o.mpn_id, o.name, u.email, u.name, l.mcid, '', c.type, c.code, c.title, c.passed_on, c.expires_on, "
        "l.linked_at FROM links l JOIN orgs o ON o.id = l.org_id JOIN users u ON u.id = l.user_id "
        "JOIN credentials c ON c.mcid = l.mcid";
    const std::string university =
        "SELECT o.mpn_id, o.name, u.email, u.name, ul.account_id, ua.login, 'assessment', a.code, a.title, "
        "a.passed_on, NULL, ul.associated_at FROM university_links ul JOIN orgs o ON o.id = ul.org_id "
        "JOIN users u ON u.id = ul.user_id JOIN university_accounts ua ON ua.id = ul.account_id "
        "JOIN assessments a ON a.account_id = ul.account_id";
    std::vector<Param> params;
    if (org_id) {
        params.push_back(param(*org_id));
    }
    // The SQLite store's order (its tables' keys), which docs/cli-decisions.md promises: a plan
    // here without ORDER BY streams in whatever order its joins make.
    auto snapshot = begin_read();  // both parts from one snapshot
    each((org_id ? learning + " WHERE l.org_id = $1" : learning) + " ORDER BY l.mcid, c.code", params,
         [&](const Row& r) { fn(read_skill(r, AccountKind::profile)); });
    each((org_id ? university + " WHERE ul.org_id = $1" : university) + " ORDER BY ul.account_id, a.title", params,
         [&](const Row& r) { fn(read_skill(r, AccountKind::university)); });
    snapshot->commit();
}

void PgStore::for_each_user_report_row(std::int64_t org_id, const std::function<void(const UserReportRow&)>& fn) {
    each(
        "SELECT u.id, u.email, u.name, u.role, u.org_id, u.status, u.password_hash, u.invite_code_hash, "
        "u.invited_at, u.invite_expires_at, u.accepted_at, u.deleted_at, u.failed_logins, u.locked_until, "
        "l.mcid, l.linked_at, ua.login, ul.associated_at FROM users u "
        "LEFT JOIN links l ON l.user_id = u.id LEFT JOIN university_links ul ON ul.user_id = u.id "
        "LEFT JOIN university_accounts ua ON ua.id = ul.account_id "
        "WHERE u.org_id = $1 AND u.status <> 'deleted' ORDER BY u.email",
        {param(org_id)}, [&](const Row& r) {
            const User user = read_user(r);
            UserReportRow row;
            row.user = &user;
            row.mcid = r.opt_int64(14);
            row.learning_linked_at = r.opt_int64(15);
            row.university_login = r.opt_text(16);
            row.university_associated_at = r.opt_int64(17);
            fn(row);
        });
}

void PgStore::for_each_holding(std::int64_t org_id, const std::function<void(const HoldingRow&)>& fn) {
    static const std::string sql = holdings("l.org_id = $1", "ul.org_id = $1");
    each(sql, {param(org_id)}, [&](const Row& r) { fn(read_holding(r)); });
}

void PgStore::for_each_holding_of_user(std::int64_t user_id, const std::function<void(const HoldingRow&)>& fn) {
    static const std::string sql = holdings("l.user_id = $1", "ul.user_id = $1");
    each(sql, {param(user_id)}, [&](const Row& r) { fn(read_holding(r)); });
}

void PgStore::for_each_holding_by_user(const std::string& competency,
                                       const std::function<void(const HoldingRow&)>& fn) {
    each(
        "SELECT l.user_id, l.org_id, c.code, c.passed_on, c.expires_on, l.linked_at FROM credentials c "
        "JOIN links l ON l.mcid = c.mcid WHERE c.code <> '' AND c.code IN "
        "(SELECT code FROM competency_codes WHERE lower(competency) = lower($1)) "
        "UNION ALL "
        "SELECT ul.user_id, ul.org_id, a.code, a.passed_on, NULL, ul.associated_at FROM assessments a "
        "JOIN university_links ul ON ul.account_id = a.account_id WHERE a.code <> '' AND a.code IN "
        "(SELECT code FROM competency_codes WHERE lower(competency) = lower($1)) ORDER BY 1",
        {param(competency)}, [&](const Row& r) { fn(read_holding(r)); });
}

void PgStore::for_each_holding_of_users(std::int64_t first, std::int64_t last,
                                        const std::function<void(const HoldingRow&)>& fn) {
    static const std::string sql =
        holdings("l.user_id BETWEEN $1 AND $2", "ul.user_id BETWEEN $1 AND $2") + " ORDER BY 1";
    each(sql, {param(first), param(last)}, [&](const Row& r) { fn(read_holding(r)); });
}

std::int64_t PgStore::last_user_id() {
    return m_c->query("SELECT coalesce(max(id), 0) FROM users").row(0).int64(0);
}

// --- competency status

void PgStore::replace_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                         const std::vector<CompetencyPeriod>& periods) {
    std::vector<std::pair<CompetencyPeriod, std::int64_t>> old;  // period, organization
    {
        const auto r = m_c->query(
            "SELECT competency, starts_at, ends_at, org_id FROM competency_periods "
            "WHERE user_id = $1",
            {param(user_id)});
        for (int i = 0; i < r.rows(); ++i) {
            old.emplace_back(CompetencyPeriod{std::string(r.row(i).text(0)), r.row(i).int64(1), r.row(i).int64(2)},
                             r.row(i).int64(3));
        }
    }
    if (same_periods(old, periods, org_id)) {
        return;  // nothing changed (the common case in a registry import)
    }
    if (!old.empty()) {
        drop_periods("user_id = $1", {param(user_id)});
    }
    add_competency_periods(user_id, org_id, periods);
}

void PgStore::add_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                     const std::vector<CompetencyPeriod>& periods) {
    for (const auto& p : periods) {
        m_c->query(
            "INSERT INTO competency_periods(user_id, competency, org_id, starts_at, ends_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            {param(user_id), param(p.competency), param(org_id), param(p.starts_at), param(p.ends_at)});
        m_c->query(
            "INSERT INTO competency_ends(org_id, competency, ends_at, periods) VALUES ($1, $2, $3, 1) "
            "ON CONFLICT (org_id, competency, ends_at) DO UPDATE SET periods = competency_ends.periods + 1",
            {param(org_id), param(p.competency), param(p.ends_at)});
    }
}

void PgStore::clear_competency_periods(const std::string& competency) {
    m_c->query("DELETE FROM competency_periods WHERE lower(competency) = lower($1)", {param(competency)});
    m_c->query("DELETE FROM competency_ends WHERE lower(competency) = lower($1)", {param(competency)});
}

std::vector<std::int64_t> PgStore::users_with_competency_periods(const std::string& competency, std::int64_t first,
                                                                 std::int64_t last) {
    const auto r = m_c->query(
        "SELECT DISTINCT user_id FROM competency_periods WHERE user_id BETWEEN $2 AND $3 "
        "AND lower(competency) = lower($1) ORDER BY user_id",
        {param(competency), param(first), param(last)});
    std::vector<std::int64_t> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(r.row(i).int64(0));
    }
    return out;
}

void PgStore::clear_competency_periods_of_users(std::int64_t first, std::int64_t last) {
    drop_periods_in_bulk("user_id BETWEEN $1 AND $2", {param(first), param(last)});
}

void PgStore::clear_competency_periods_of(const std::vector<std::int64_t>& user_ids) {
    if (!user_ids.empty()) {
        drop_periods_in_bulk("user_id = ANY($1::bigint[])", {param(id_array(user_ids))});
    }
}

void PgStore::recount_competency_ends(std::int64_t org_id) {
    m_c->query("DELETE FROM competency_ends WHERE org_id = $1", {param(org_id)});
    m_c->query(
        "INSERT INTO competency_ends(org_id, competency, ends_at, periods) "
        "SELECT org_id, competency, ends_at, count(*) FROM competency_periods WHERE org_id = $1 "
        "GROUP BY org_id, competency, ends_at",
        {param(org_id)});
}

void PgStore::drop_periods(const std::string& users, const std::vector<Param>& params) {
    // One statement: the periods go, and each end instant's count drops by as many (its row
    // goes when none are left; a drifted count, db check's finding, is dropped, not made negative).
    m_c->query("WITH gone AS (DELETE FROM competency_periods WHERE " + users +
                   " RETURNING org_id, competency, ends_at), "
                   "counted AS (SELECT org_id, competency, ends_at, count(*) AS n FROM gone "
                   "GROUP BY org_id, competency, ends_at), "
                   "dropped AS (DELETE FROM competency_ends e USING counted c WHERE e.org_id = c.org_id "
                   "AND e.competency = c.competency AND e.ends_at = c.ends_at AND e.periods <= c.n RETURNING 1) "
                   "UPDATE competency_ends e SET periods = e.periods - c.n FROM counted c WHERE e.org_id = c.org_id "
                   "AND e.competency = c.competency AND e.ends_at = c.ends_at AND e.periods > c.n",
               params);
}

void PgStore::drop_periods_in_bulk(const std::string& users, const std::vector<Param>& params) {
    // In one statement (drop_periods) the planner guesses a tenth of the deleted periods for their
    // end instants, and joins that guess to all of competency_ends by hashing it, twice: 0.8 s of
    // a 100,000-target purge at SCALE 1.0 where the key's index takes milliseconds.
    m_c->exec(
        "CREATE TEMP TABLE IF NOT EXISTS periods_gone (org_id bigint, competency text, ends_at bigint, n bigint) "
        "ON COMMIT DELETE ROWS");  // empty: emptied at the end of each use, as purge_plan
    m_c->query("WITH gone AS (DELETE FROM competency_periods WHERE " + users +
                   " RETURNING org_id, competency, ends_at) INSERT INTO periods_gone "
                   "SELECT org_id, competency, ends_at, count(*) FROM gone GROUP BY org_id, competency, ends_at",
               params);
    m_c->exec("ANALYZE periods_gone");
    // As drop_periods: a row goes when none of its periods are left (or fewer than counted, a
    // drift db check reports), else its count drops.
    m_c->exec(
        "DELETE FROM competency_ends e USING periods_gone c WHERE e.org_id = c.org_id AND e.competency = c.competency "
        "AND e.ends_at = c.ends_at AND e.periods <= c.n");
    m_c->exec(
        "UPDATE competency_ends e SET periods = e.periods - c.n FROM periods_gone c WHERE e.org_id = c.org_id "
        "AND e.competency = c.competency AND e.ends_at = c.ends_at");
    m_c->exec("DELETE FROM periods_gone");
}

// Qualified individuals per competency at `at`: the periods that end after it, less those that
// start after it. The organization's end rows are summed once, grouped by competency (one range
// of competency_ends' key); the periods that start later are counted per competency from
// competency_periods_by_start alone (schema 2 carries the name in it, so no table rows are read).
PgQuery pg_count_qualified_query(std::int64_t org_id, Instant at) {
    return {
        "SELECT k.name, coalesce(e.periods, 0)::bigint "
        "- (SELECT count(*) FROM competency_periods p WHERE p.org_id = $1 AND lower(p.competency) = lower(k.name) "
        "AND p.starts_at > $2) "
        "FROM competencies k LEFT JOIN (SELECT lower(competency) AS competency, sum(periods) AS periods "
        "FROM competency_ends WHERE org_id = $1 AND ends_at > $2 GROUP BY 1) e ON e.competency = lower(k.name) "
        "ORDER BY lower(k.name), k.name",
        {param(org_id), param(at)}};
}

std::vector<std::pair<std::string, std::int64_t>> PgStore::count_qualified(std::int64_t org_id, Instant at) {
    const PgQuery q = pg_count_qualified_query(org_id, at);
    const auto r = m_c->query(q.sql, q.params);
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.emplace_back(std::string(r.row(i).text(0)), r.row(i).int64(1));
    }
    return out;
}

bool PgStore::competency_periods_stale() {
    return m_c->query("SELECT 1 FROM derived_stale WHERE " MCID_STALE_MARKS " LIMIT 1").rows() > 0;
}

#define MCID_ENDS_MISMATCHES                                                                            \
    "WITH counted AS (SELECT org_id, competency, ends_at, count(*) AS periods FROM competency_periods " \
    "GROUP BY org_id, competency, ends_at), "                                                           \
    "mismatched AS ((SELECT * FROM counted EXCEPT SELECT * FROM competency_ends) "                      \
    "UNION ALL (SELECT * FROM competency_ends EXCEPT SELECT * FROM counted)) "

std::int64_t PgStore::competency_ends_mismatches() {
    return m_c->query(MCID_ENDS_MISMATCHES "SELECT count(*) FROM mismatched").row(0).int64(0);
}

std::vector<std::int64_t> PgStore::orgs_with_competency_ends_mismatches() {
    const auto r = m_c->query(MCID_ENDS_MISMATCHES "SELECT DISTINCT org_id FROM mismatched ORDER BY org_id");
    std::vector<std::int64_t> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(r.row(i).int64(0));
    }
    return out;
}

#undef MCID_ENDS_MISMATCHES

std::int64_t PgStore::org_user_count_mismatches() {
    return m_c
        ->query(
            "SELECT count(*) FROM (SELECT org_id, status, sum(c) AS s FROM ("
            "SELECT org_id, status, count(*) AS c FROM users WHERE org_id IS NOT NULL GROUP BY org_id, status "
            "UNION ALL SELECT org_id, status, -n FROM org_user_counts) AS both_counts "
            "GROUP BY org_id, status HAVING sum(c) <> 0) AS mismatched")
        .row(0)
        .int64(0);
}

void PgStore::recount_org_users() {
    m_c->exec("DELETE FROM org_user_counts");
    m_c->exec(
        "INSERT INTO org_user_counts(org_id, status, n) SELECT org_id, status, count(*) FROM users "
        "WHERE org_id IS NOT NULL GROUP BY org_id, status");
}

std::vector<std::string> PgStore::competency_periods_stale_jobs() {
    const auto r = m_c->query("SELECT name FROM derived_stale WHERE " MCID_STALE_MARKS " ORDER BY name");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(stale_mark_job(std::string(r.row(i).text(0))));
    }
    return out;
}

void PgStore::mark_competency_periods_stale(const std::string& job) {
    m_c->query("INSERT INTO derived_stale(name) VALUES ($1) ON CONFLICT DO NOTHING", {param(stale_mark_name(job))});
}

void PgStore::clear_competency_periods_stale(const std::string& job) {
    m_c->query("DELETE FROM derived_stale WHERE name = $1", {param(stale_mark_name(job))});
}

// --- audit

std::optional<AuditHead> PgStore::audit_head() {
    // Positions are taken under the write lock (begin_write), so the last row is the head.
    return first_row(*m_c, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", {}, [](const Row& row) {
        return AuditHead{row.int64(0), std::string(row.text(1))};
    });
}

void PgStore::insert_audit(const std::vector<AuditRecord>& records) {
    if (records.size() == 1) {  // one command's row: one prepared INSERT
        const AuditRecord& a = records.front();
        m_c->query(
            "INSERT INTO audit(id, at, actor, org_id, action, target, outcome, detail, batch, prev_hash, hash) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            {param(a.id), param(a.at), param(a.actor), param(a.org_id), param(a.action), param(a.target),
             param(a.outcome), param(a.detail), param(a.batch), param(a.prev_hash), param(a.hash)});
        return;
    }
    // A batch's rows: one COPY rather than a round trip each.
    CopySink sink(*m_c, copy_table("audit"));
    for (const AuditRecord& a : records) {
        sink.add({param(a.id), param(a.at), param(a.actor), param(a.org_id), param(a.action), param(a.target),
                  param(a.outcome), param(a.detail), param(a.batch), param(a.prev_hash), param(a.hash), Param{}});
    }
    sink.finish();
}

void PgStore::seal_audit(const AuditRecord& a) {
    m_c->query("UPDATE audit SET actor = $1, target = $2, detail = $3, sealed = $4 WHERE id = $5",
               {param(a.actor), param(a.target), param(a.detail), param(a.sealed), param(a.id)});
}

void PgStore::for_each_audit_from(std::int64_t first_id, const std::function<void(const AuditRecord&)>& fn) {
    each("SELECT " AUDIT_COLUMNS " FROM audit WHERE id >= $1 ORDER BY id", {param(first_id)},
         [&](const Row& r) { fn(read_audit(r)); });
}

PgQuery pg_audit_query(const AuditFilter& f) {
    PgQuery q{"SELECT " AUDIT_COLUMNS " FROM audit WHERE true", {}};
    const auto add = [&](const char* condition, Param value) {
        q.params.push_back(std::move(value));
        q.sql += fmt::format(fmt::runtime(condition), q.params.size());
    };
    if (f.org_id) {
        add(" AND org_id = ${}", param(*f.org_id));
    }
    if (f.since) {
        add(" AND at >= ${}", param(*f.since));
    }
    if (f.actor) {
        add(" AND lower(actor) = lower(${})", param(*f.actor));
    }
    if (f.action) {
        add(" AND action = ${}", param(*f.action));
    }
    if (f.until) {
        add(" AND at < ${}", param(*f.until));
    }
    q.sql += " ORDER BY id";
    return q;
}

void PgStore::for_each_audit(const AuditFilter& f, const std::function<void(const AuditRecord&)>& fn) {
    const PgQuery q = pg_audit_query(f);
    each(q.sql, q.params, [&](const Row& r) { fn(read_audit(r)); });
}

#undef AUDIT_COLUMNS
#undef USER_PARAM_COLUMNS

// --- maintenance

std::vector<std::string> PgStore::check_integrity() {
    // The server keeps its own pages and indexes sound; what can drift is a constraint that is
    // not validated (added NOT VALID by hand) or a trigger of the schema switched off.
    std::vector<std::string> findings;
    const auto constraints = m_c->query(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE NOT convalidated "
        "AND connamespace = 'public'::regnamespace ORDER BY 1, 2");
    for (int i = 0; i < constraints.rows(); ++i) {
        findings.push_back(fmt::format("constraint {} of table {} is not validated", constraints.row(i).text(1),
                                       constraints.row(i).text(0)));
    }
    const auto triggers = m_c->query(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D' "
        "ORDER BY 1, 2");
    for (int i = 0; i < triggers.rows(); ++i) {
        findings.push_back(
            fmt::format("trigger {} of table {} is disabled", triggers.row(i).text(1), triggers.row(i).text(0)));
    }
    return findings;
}

// --- copy (copy.hpp)

void PgStore::read_table(const CopyTable& table, const std::function<void(const CopyRow&)>& fn) {
    CopyRow row(table.columns.size());
    auto snapshot = begin_read();  // nested (nothing begun) inside a transaction
    m_c->stream(fmt::format("SELECT {} FROM {}", table.column_list(), table.name), {}, [&](const Row& r) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            row[i] = r.opt_text(static_cast<int>(i));
        }
        fn(row);
    });
    snapshot->commit();
}

std::unique_ptr<RowSink> PgStore::write_table(const CopyTable& table) {
    return std::make_unique<CopySink>(*m_c, table);
}

void PgStore::copy_finished() {
    for (const CopyTable& t : copy_tables()) {
        if (t.identity) {
            m_c->query_once(
                fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), coalesce(max(id), 0) + 1, "
                            "false) FROM {0}",
                            t.name));
        }
    }
}

}  // namespace mcid::store

namespace mcid {
namespace {

}  // namespace

void copy_to_server_store(Store& from, const std::string& uri,
                          const std::function<std::optional<std::string>(Store&)>& check) {
    auto connection = std::make_unique<store::pg::Connection>(uri);
    const std::string name = store::pg::display_name(uri);
    connection->exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    store::pg::migrate_in_transaction(*connection, OpenMode::create, name, store::pg::Existing::refuse);
    std::vector<std::string> copied;
    for (const store::CopyTable& t : store::copy_tables()) {
        copied.push_back(t.name);  // not org_user_counts, whose key the triggers' ON CONFLICT needs
    }
    const std::vector<std::string> rebuild = store::defer_indexes(*connection, copied);
    store::PgStore to(std::move(connection), name);
    to.transaction_depth = 1;  // what follows joins the transaction begun above
    {
        auto snapshot = from.begin_read();
        store::copy_rows(from, to);
        snapshot->commit();
    }
    for (const std::string& sql : rebuild) {
        to.connection().exec(sql);
    }
    if (const auto problem = check(to)) {
        throw StoreError(fmt::format("the copy failed its check: {}; {} was left without a store", *problem, name));
    }
    to.connection().exec("COMMIT");
    // Leaving without COMMIT (an exception, Ctrl-C, a crash) closes the connection: the server
    // rolls everything back, the schema included.
}

std::unique_ptr<Store> open_pg_store(const std::string& uri, OpenMode mode) {
    auto connection = std::make_unique<store::pg::Connection>(uri);
    const std::string name = store::pg::display_name(uri);
    store::pg::migrate(*connection, mode, name);
    return std::make_unique<store::PgStore>(std::move(connection), name);
}

}  // namespace mcid

namespace mcid::store {

void PgStore::backup_to(const std::filesystem::path& destination) {
    // A SQLite store file with every row: the schema of the file's own migrations, filled from
    // one snapshot of the server.
    const auto file = open_sqlite_store(destination.string(), OpenMode::create);
    auto snapshot = begin_read();
    auto write = file->begin_write();
    copy_rows(*this, *file);
    write->commit();
    snapshot->commit();
}

}  // namespace mcid::store
