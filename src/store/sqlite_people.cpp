// Config, organizations, users and sessions on SQLite.
#include "store/sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <tuple>
#include <unordered_map>

namespace mcid::store {

std::optional<std::int64_t> optional_int(const SQLite::Column& column) {
    if (column.isNull()) {
        return std::nullopt;
    }
    return column.getInt64();
}

std::optional<Date> optional_date(const SQLite::Column& column) {
    if (column.isNull() || column.getString().empty()) {
        return std::nullopt;
    }
    return Date::parse(column.getString(), column.getName());
}

void bind_optional(SQLite::Statement& statement, int index, const std::optional<std::int64_t>& value) {
    if (value) {
        statement.bind(index, *value);
    } else {
        statement.bind(index);
    }
}

void bind_optional(SQLite::Statement& statement, int index, const std::optional<Date>& value) {
    if (value) {
        statement.bind(index, value->str());
    } else {
        statement.bind(index);
    }
}

namespace {

// parse_role() takes what a user may type, where "operator" is not a role to give.
Role stored_role(const std::string& role) {
    return role == "operator" ? Role::operator_ : parse_role(role);
}

}  // namespace

User read_user(SQLite::Statement& q, int first) {
    User u;
    u.id = q.getColumn(first + 0).getInt64();
    u.email = q.getColumn(first + 1).getString();
    u.name = q.getColumn(first + 2).getString();
    u.role = stored_role(q.getColumn(first + 3).getString());
    u.org_id = optional_int(q.getColumn(first + 4));
    u.status = parse_status(q.getColumn(first + 5).getString());
    u.password_hash = q.getColumn(first + 6).getString();
    u.invite_code_hash = q.getColumn(first + 7).getString();
    u.invited_at = q.getColumn(first + 8).getInt64();
    u.invite_expires_at = optional_int(q.getColumn(first + 9));
    u.accepted_at = optional_int(q.getColumn(first + 10));
    u.deleted_at = optional_int(q.getColumn(first + 11));
    u.failed_logins = q.getColumn(first + 12).getInt();
    u.locked_until = q.getColumn(first + 13).getInt64();
    return u;
}

namespace {

Org read_org(SQLite::Statement& q) {
    return Org{q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
               q.getColumn(3).getInt64()};
}

void bind_text_or_null(SQLite::Statement& q, int index, const std::string& value) {
    if (value.empty()) {
        q.bind(index);
    } else {
        q.bind(index, value);
    }
}

void bind_user(SQLite::Statement& q, const User& u) {
    q.bind(1, u.email);
    q.bind(2, u.name);
    q.bind(3, std::string(to_string(u.role)));
    bind_optional(q, 4, u.org_id);
    q.bind(5, std::string(to_string(u.status)));
    bind_text_or_null(q, 6, u.password_hash);
    bind_text_or_null(q, 7, u.invite_code_hash);
    q.bind(8, u.invited_at);
    bind_optional(q, 9, u.invite_expires_at);
    bind_optional(q, 10, u.accepted_at);
    bind_optional(q, 11, u.deleted_at);
    q.bind(12, u.failed_logins);
    q.bind(13, u.locked_until);
}

}  // namespace

std::optional<std::string> SqliteStore::config_get(std::string_view key) {
    auto q = stmt("SELECT value FROM config WHERE key = ?");
    q->bind(1, std::string(key));
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return q->getColumn(0).getString();
}

std::map<std::string, std::string, std::less<>> SqliteStore::config_all() {
    std::map<std::string, std::string, std::less<>> out;
    auto q = stmt("SELECT key, value FROM config");
    while (q->executeStep()) {
        out.emplace(q->getColumn(0).getString(), q->getColumn(1).getString());
    }
    return out;
}

void SqliteStore::config_set(std::string_view key, std::string_view value) {
    auto q = stmt("INSERT INTO config(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q->bind(1, std::string(key));
    q->bind(2, std::string(value));
    q->exec();
}

std::int64_t SqliteStore::insert_org(const Org& org) {
    auto q = stmt("INSERT INTO orgs(mpn_id, name, created_at) VALUES (?, ?, ?)");
    q->bind(1, org.mpn_id);
    q->bind(2, org.name);
    q->bind(3, org.created_at);
    q->exec();
    return m_db->getLastInsertRowid();
}

std::optional<Org> SqliteStore::find_org_by_mpn(std::string_view mpn_id) {
    auto q = stmt("SELECT id, mpn_id, name, created_at FROM orgs WHERE mpn_id = ?");
    q->bind(1, std::string(mpn_id));
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_org(*q);
}

std::optional<Org> SqliteStore::find_org(std::int64_t id) {
    auto q = stmt("SELECT id, mpn_id, name, created_at FROM orgs WHERE id = ?");
    q->bind(1, id);
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_org(*q);
}

std::vector<Org> SqliteStore::list_orgs() {
    auto q = stmt("SELECT id, mpn_id, name, created_at FROM orgs ORDER BY mpn_id");
    std::vector<Org> orgs;
    while (q->executeStep()) {
        orgs.push_back(read_org(*q));
    }
    return orgs;
}

std::int64_t SqliteStore::count_users_of_org(std::int64_t org_id) {
    auto q = stmt("SELECT coalesce(sum(n), 0) FROM org_user_counts WHERE org_id = ? AND status <> 'deleted'");
    q->bind(1, org_id);
    q->executeStep();
    return q->getColumn(0).getInt64();
}

void SqliteStore::insert_users(const std::vector<User>& users) {
    for (const User& u : users) {  // prepared once: a loop is as fast as SQLite goes
        insert_user(u);
    }
}

std::int64_t SqliteStore::insert_user(const User& user) {
    auto q = stmt(
        "INSERT INTO users(email, name, role, org_id, status, password_hash, invite_code_hash, invited_at, "
        "invite_expires_at, accepted_at, deleted_at, failed_logins, locked_until) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    bind_user(*q, user);
    q->exec();
    return m_db->getLastInsertRowid();
}

void SqliteStore::update_user(const User& user) {
    auto q = stmt(
        "UPDATE users SET email = ?, name = ?, role = ?, org_id = ?, status = ?, password_hash = ?, "
        "invite_code_hash = ?, invited_at = ?, invite_expires_at = ?, accepted_at = ?, deleted_at = ?, "
        "failed_logins = ?, locked_until = ? WHERE id = ?");
    bind_user(*q, user);
    q->bind(14, user.id);
    q->exec();
}

namespace {

// Looks up each key in `keys` (in sorted order: neighbouring lookups share pages, 2x faster for
// 100,000) with `q`, whose one parameter is the key, and reads its PurgeSubject.
template <typename Key>
std::vector<std::optional<PurgeSubject>> purge_subjects(SQLite::Statement& q, const std::vector<Key>& keys) {
    std::vector<std::size_t> order(keys.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    std::vector<std::optional<PurgeSubject>> out(keys.size());
    for (const std::size_t i : order) {
        q.bind(1, keys[i]);
        if (q.executeStep()) {
            PurgeSubject s;
            s.user_id = q.getColumn(0).getInt64();
            s.email = q.getColumn(1).getString();
            s.org_id = optional_int(q.getColumn(2));
            s.role = stored_role(q.getColumn(3).getString());
            s.status = parse_status(q.getColumn(4).getString());
            s.deleted_at = optional_int(q.getColumn(5));
            s.mcid = optional_int(q.getColumn(6));
            s.university = q.getColumn(7).getInt() != 0;
            out[i] = std::move(s);
        }
        q.reset();
    }
    return out;
}

#define PURGE_SUBJECT                                                               \
    "SELECT u.id, u.email, u.org_id, u.role, u.status, u.deleted_at, l.mcid, "      \
    "ul.account_id IS NOT NULL FROM users u LEFT JOIN links l ON l.user_id = u.id " \
    "LEFT JOIN university_links ul ON ul.user_id = u.id WHERE "

}  // namespace

std::vector<std::optional<PurgeSubject>> SqliteStore::find_purge_subjects(const std::vector<std::string>& emails) {
    auto q = stmt(PURGE_SUBJECT "u.email = ?");
    return purge_subjects(*q, emails);
}

std::vector<std::optional<PurgeSubject>> SqliteStore::find_purge_subjects_by_id(const std::vector<std::int64_t>& ids) {
    auto q = stmt(PURGE_SUBJECT "u.id = ?");
    return purge_subjects(*q, ids);
}

#undef PURGE_SUBJECT

void SqliteStore::fill_purge_plan(const std::vector<PurgeSubject>& users) {
    m_db->exec(
        "CREATE TEMP TABLE IF NOT EXISTS purge_plan(id INTEGER PRIMARY KEY, email TEXT NOT NULL, org_id INTEGER, "
        "role TEXT NOT NULL); DELETE FROM temp.purge_plan");
    auto add = stmt("INSERT INTO temp.purge_plan(id, email, org_id, role) VALUES (?, ?, ?, ?)");
    for (const PurgeSubject& u : users) {
        add->bind(1, u.user_id);
        add->bindNoCopy(2, u.email);
        bind_optional(*add, 3, u.org_id);
        add->bind(4, std::string(to_string(u.role)));
        add->exec();
        add->reset();
    }
    add->clearBindings();
}

void SqliteStore::stage_purge(const std::vector<PurgeSubject>& users) {
    // A deferred transaction that writes only the connection's temporary table takes no lock on
    // the store: other writers go on.
    const std::int64_t before = m_db->getTotalChanges();
    auto tx = begin_read();
    fill_purge_plan(users);
    tx->commit();
    m_staged_changes += m_db->getTotalChanges() - before;
}

const char* const k_purge_mark_deleted =
    "UPDATE users SET status = 'deleted', deleted_at = ?, invite_code_hash = NULL, invite_expires_at = NULL "
    "WHERE id IN (SELECT id FROM temp.purge_plan) AND status <> 'deleted' AND EXISTS (SELECT 1 FROM "
    "temp.purge_plan p WHERE p.id = users.id AND users.email = p.email COLLATE BINARY "
    "AND users.org_id IS p.org_id AND users.role = p.role)";

bool SqliteStore::purge_users(const std::vector<PurgeSubject>& users, Instant at, CheckAsRead check, Staged staged) {
    if (users.empty()) {
        return true;
    }
    if (staged == Staged::no) {
        fill_purge_plan(users);
    }
    const bool checked = check == CheckAsRead::yes;
    // The accounts with a link or a Partner University link, by id, as the caller read them.
    std::unordered_map<std::int64_t, const PurgeSubject*> linked;
    std::size_t links = 0;
    std::size_t universities = 0;
    if (checked) {
        for (const PurgeSubject& u : users) {
            links += u.mcid ? 1 : 0;
            universities += u.university ? 1 : 0;
            if (u.mcid || u.university) {
                linked.emplace(u.user_id, &u);
            }
        }
    }
    const auto subject = [&](SQLite::Statement& q) -> const PurgeSubject* {
        const auto it = linked.find(q.getColumn(0).getInt64());
        return it == linked.end() ? nullptr : it->second;
    };
    // Runs a deletion. Checked, it returns its rows (RETURNING `columns`): there must be
    // `expected` of them, each as read (`as_read`).
    const auto remove = [&](std::string sql, const char* columns, std::size_t expected,
                            const std::function<bool(SQLite::Statement&)>& as_read) {
        if (!checked) {
            m_db->exec(sql);
            return true;
        }
        SQLite::Statement q(*m_db, sql + " RETURNING " + columns);
        std::size_t n = 0;
        while (q.executeStep()) {
            if (++n > expected || !as_read(q)) {
                return false;
            }
        }
        return n == expected;
    };
    // Exactly the links that were read go: as many, each the one read.
    if (!remove("DELETE FROM links WHERE user_id IN (SELECT id FROM temp.purge_plan)", "user_id, mcid", links,
                [&](SQLite::Statement& q) {
                    const PurgeSubject* u = subject(q);
                    return u && u->mcid == q.getColumn(1).getInt64();
                }) ||
        !remove("DELETE FROM university_links WHERE user_id IN (SELECT id FROM temp.purge_plan)", "user_id",
                universities, [&](SQLite::Statement& q) {
                    const PurgeSubject* u = subject(q);
                    return u && u->university;
                })) {
        return false;
    }
    m_db->exec("DELETE FROM sessions WHERE user_id IN (SELECT id FROM temp.purge_plan)");
    // org_user_counts moves once per (organization, old status), not per user: the per-row
    // trigger stands aside while count_deferral holds its row (schema 5), inside this
    // transaction only. Users already deleted keep their count.
    m_db->exec(
        "CREATE TEMP TABLE IF NOT EXISTS purge_counts(org_id INTEGER, status TEXT, c INTEGER);"
        "DELETE FROM temp.purge_counts;"
        "INSERT INTO temp.purge_counts SELECT org_id, status, count(*) FROM users "
        "WHERE id IN (SELECT id FROM temp.purge_plan) AND status <> 'deleted' AND org_id IS NOT NULL "
        "GROUP BY org_id, status;"
        "INSERT INTO count_deferral(only) VALUES (1)");
    // Only these columns: an UPDATE that names email rewrites its unique index entry too. Every
    // account must still be undeleted, with the email (exactly), organization and role it was
    // read with (an invitation's address may change; the counts above follow an invitation
    // accepted since): compared here, in the statement, whether or not others committed. (As
    // UPDATE ... FROM purge_plan, SQLite scans every user: 0.65 s instead of 0.45 s at SCALE 1.0.)
    {
        auto q = stmt(k_purge_mark_deleted);
        q->bind(1, at);
        if (q->exec() != static_cast<int>(users.size())) {
            return false;
        }
    }
    m_db->exec(
        "DELETE FROM count_deferral;"
        "UPDATE org_user_counts SET n = n - p.c FROM temp.purge_counts AS p "
        "WHERE org_user_counts.org_id = p.org_id AND org_user_counts.status = p.status;"
        "INSERT INTO org_user_counts(org_id, status, n) SELECT org_id, 'deleted', sum(c) FROM temp.purge_counts "
        "WHERE true GROUP BY org_id ON CONFLICT(org_id, status) DO UPDATE SET n = n + excluded.n;"
        "DELETE FROM temp.purge_counts;"
        "DELETE FROM temp.purge_plan");
    return true;
}

std::vector<std::int64_t> SqliteStore::users_due_for_erasure(Instant deleted_before, std::size_t limit) {
    auto q = stmt("SELECT id FROM users WHERE status = 'deleted' AND erased_at IS NULL AND deleted_at <= ? LIMIT ?");
    q->bind(1, deleted_before);
    q->bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> out;
    while (q->executeStep()) {
        out.push_back(q->getColumn(0).getInt64());
    }
    return out;
}

void SqliteStore::erase_user(std::int64_t user_id, std::string_view pseudonym, Instant at) {
    {
        auto q = stmt("UPDATE users SET email = ?, name = '', password_hash = NULL, invite_code_hash = NULL, "
                      "invite_expires_at = NULL, erased_at = ? WHERE id = ?");
        q->bind(1, std::string(pseudonym));
        q->bind(2, at);
        q->bind(3, user_id);
        q->exec();
    }
    delete_sessions_of(user_id);
}

std::optional<User> SqliteStore::find_user_by_email(std::string_view email) {
    static const std::string sql = std::string("SELECT ") + k_user_columns + " FROM users WHERE email = ?";
    auto q = stmt(sql.c_str());
    q->bind(1, std::string(email));
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_user(*q);
}

std::optional<User> SqliteStore::find_user(std::int64_t id) {
    static const std::string sql = std::string("SELECT ") + k_user_columns + " FROM users WHERE id = ?";
    auto q = stmt(sql.c_str());
    q->bind(1, id);
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_user(*q);
}

bool SqliteStore::any_operator() {
    auto q = stmt("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'operator')");
    q->executeStep();
    return q->getColumn(0).getInt() != 0;
}

std::int64_t SqliteStore::org_user_count_mismatches() {
    auto q = stmt(
        "SELECT count(*) FROM (SELECT org_id, status, sum(c) AS s FROM ("
        "SELECT org_id, status, count(*) AS c FROM users WHERE org_id IS NOT NULL GROUP BY org_id, status "
        "UNION ALL SELECT org_id, status, -n FROM org_user_counts) GROUP BY org_id, status HAVING s <> 0)");
    q->executeStep();
    return q->getColumn(0).getInt64();
}

void SqliteStore::recount_org_users() {
    m_db->exec("DELETE FROM org_user_counts");
    m_db->exec("INSERT INTO org_user_counts(org_id, status, n) SELECT org_id, status, count(*) FROM users "
               "WHERE org_id IS NOT NULL GROUP BY org_id, status");
}

const std::string& users_query(const UserFilter& filter) {
    // One statement per filter shape: an "?1 IS NULL OR" filter would hide the index from SQLite.
    static const std::array<std::string, 8> k_queries = [] {
        std::array<std::string, 8> out;
        for (int shape = 0; shape < 8; ++shape) {
            std::string sql = std::string("SELECT ") + k_user_columns + " FROM users WHERE role <> 'operator'";
            if (shape & 1) sql += " AND org_id = ?1";
            if (shape & 2) sql += " AND status = ?2";
            if (shape & 4) sql += " AND role = ?3";
            sql += (shape & 1) ? " ORDER BY email" : " ORDER BY org_id, email";
            out[static_cast<std::size_t>(shape)] = sql;
        }
        return out;
    }();
    return k_queries[(filter.org_id ? 1 : 0) | (filter.status ? 2 : 0) | (filter.role ? 4 : 0)];
}

void SqliteStore::for_each_user(const UserFilter& filter, const std::function<void(const User&)>& fn) {
    auto q = stmt(users_query(filter).c_str());
    if (filter.org_id) {
        q->bind(1, *filter.org_id);
    }
    if (filter.status) {
        q->bind(2, std::string(to_string(*filter.status)));
    }
    if (filter.role) {
        q->bind(3, std::string(to_string(*filter.role)));
    }
    while (q->executeStep()) {
        fn(read_user(*q));
    }
}

std::int64_t SqliteStore::count_active_global_admins(std::int64_t org_id) {
    auto q = stmt("SELECT count(*) FROM users WHERE org_id = ? AND status = 'active' AND role = 'global-admin'");
    q->bind(1, org_id);
    q->executeStep();
    return q->getColumn(0).getInt64();
}

void SqliteStore::insert_session(std::string_view token_hash, std::int64_t user_id, Instant created,
                                 Instant expires) {
    auto q = stmt("INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
    q->bind(1, std::string(token_hash));
    q->bind(2, user_id);
    q->bind(3, created);
    q->bind(4, expires);
    q->exec();
}

std::optional<Session> SqliteStore::find_session(std::string_view token_hash) {
    auto q = stmt("SELECT user_id, expires_at FROM sessions WHERE token_hash = ?");
    q->bind(1, std::string(token_hash));
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return Session{q->getColumn(0).getInt64(), q->getColumn(1).getInt64()};
}

void SqliteStore::delete_session(std::string_view token_hash) {
    auto q = stmt("DELETE FROM sessions WHERE token_hash = ?");
    q->bind(1, std::string(token_hash));
    q->exec();
}

void SqliteStore::delete_sessions_of(std::int64_t user_id) {
    auto q = stmt("DELETE FROM sessions WHERE user_id = ?");
    q->bind(1, user_id);
    q->exec();
}

Attempts SqliteStore::find_throttle(std::string_view subject) {
    auto q = stmt("SELECT failed, locked_until FROM signin_throttle WHERE subject = ?");
    q->bind(1, std::string(subject));
    if (!q->executeStep()) {
        return {};
    }
    return Attempts{q->getColumn(0).getInt(), q->getColumn(1).getInt64()};
}

void SqliteStore::save_throttle(std::string_view subject, const Attempts& a) {
    if (a.failed == 0 && a.locked_until == 0) {
        auto q = stmt("DELETE FROM signin_throttle WHERE subject = ?");
        q->bind(1, std::string(subject));
        q->exec();
        return;
    }
    auto q = stmt(
        "INSERT INTO signin_throttle(subject, failed, locked_until) VALUES (?, ?, ?) "
        "ON CONFLICT(subject) DO UPDATE SET failed = excluded.failed, locked_until = excluded.locked_until");
    q->bind(1, std::string(subject));
    q->bind(2, a.failed);
    q->bind(3, a.locked_until);
    q->exec();
}

}  // namespace mcid::store
