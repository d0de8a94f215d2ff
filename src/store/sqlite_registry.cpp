// The registry (profiles, credentials, Partner University), links, associations and
// competencies on SQLite. Statements are chosen per account kind, each prepared once.
#include "store/sqlite_store.hpp"

#include <algorithm>

namespace mcid::store {
namespace {

bool is_profile(AccountKind kind) { return kind == AccountKind::profile; }

ExternalAccount read_account(SQLite::Statement& q) {
    ExternalAccount a;
    a.id = q.getColumn(0).getInt64();
    a.login = q.getColumn(1).getString();
    a.name = q.getColumn(2).getString();
    a.password_hash = q.getColumn(3).getString();
    a.failed_logins = q.getColumn(4).getInt();
    a.locked_until = q.getColumn(5).getInt64();
    return a;
}

Link read_link(SQLite::Statement& q) {
    return Link{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                q.getColumn(3).getInt64()};
}

}  // namespace

std::int64_t SqliteStore::upsert_account(AccountKind kind, const ExternalAccount& a) {
    auto q = stmt(is_profile(kind)
                      ? "INSERT INTO profiles(mcid, login, name, password_hash) VALUES (?1, ?2, ?3, NULLIF(?4, '')) "
                        "ON CONFLICT(mcid) DO UPDATE SET login = excluded.login, name = excluded.name, "
                        "password_hash = coalesce(excluded.password_hash, password_hash) RETURNING mcid"
                      : "INSERT INTO university_accounts(login, name, password_hash) VALUES (?2, ?3, NULLIF(?4, '')) "
                        "ON CONFLICT(login) DO UPDATE SET name = excluded.name, "
                        "password_hash = coalesce(excluded.password_hash, password_hash) RETURNING id");
    if (is_profile(kind)) {
        q->bind(1, a.id);
    }
    q->bind(2, a.login);
    q->bind(3, a.name);
    q->bind(4, a.password_hash);
    q->executeStep();
    return q->getColumn(0).getInt64();
}

std::optional<ExternalAccount> SqliteStore::find_account(AccountKind kind, std::int64_t id) {
    auto q = stmt(is_profile(kind)
                      ? "SELECT mcid, login, name, password_hash, failed_logins, locked_until FROM profiles WHERE mcid = ?"
                      : "SELECT id, login, name, password_hash, failed_logins, locked_until FROM university_accounts "
                        "WHERE id = ?");
    q->bind(1, id);
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_account(*q);
}

std::optional<ExternalAccount> SqliteStore::find_account_by_login(AccountKind kind, std::string_view login) {
    auto q = stmt(is_profile(kind)
                      ? "SELECT mcid, login, name, password_hash, failed_logins, locked_until FROM profiles WHERE login = ?"
                      : "SELECT id, login, name, password_hash, failed_logins, locked_until FROM university_accounts "
                        "WHERE login = ?");
    q->bind(1, std::string(login));
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_account(*q);
}

void SqliteStore::update_account_lockout(AccountKind kind, std::int64_t id, int failed, Instant locked_until) {
    auto q = stmt(is_profile(kind)
                      ? "UPDATE profiles SET failed_logins = ?, locked_until = ? WHERE mcid = ?"
                      : "UPDATE university_accounts SET failed_logins = ?, locked_until = ? WHERE id = ?");
    q->bind(1, failed);
    q->bind(2, locked_until);
    q->bind(3, id);
    q->exec();
}

bool SqliteStore::credential_exists(std::int64_t mcid, std::string_view code) {
    auto q = stmt("SELECT 1 FROM credentials WHERE mcid = ? AND code = ?");
    q->bind(1, mcid);
    q->bind(2, std::string(code));
    return q->executeStep();
}

void SqliteStore::upsert_credential(const Credential& c) {
    auto q = stmt(
        "INSERT INTO credentials(mcid, code, title, type, passed_on, expires_on) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(mcid, code) DO UPDATE SET title = excluded.title, type = excluded.type, "
        "passed_on = excluded.passed_on, expires_on = excluded.expires_on");
    q->bind(1, c.mcid);
    q->bind(2, c.code);
    q->bind(3, c.title);
    q->bind(4, std::string(to_string(c.type)));
    bind_optional(*q, 5, c.passed_on);
    bind_optional(*q, 6, c.expires_on);
    q->exec();
}

bool SqliteStore::assessment_exists(std::int64_t account_id, std::string_view title) {
    auto q = stmt("SELECT 1 FROM assessments WHERE account_id = ? AND title = ?");
    q->bind(1, account_id);
    q->bind(2, std::string(title));
    return q->executeStep();
}

void SqliteStore::upsert_assessment(const Assessment& a) {
    auto q = stmt(
        "INSERT INTO assessments(account_id, title, code, passed_on) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(account_id, title) DO UPDATE SET code = excluded.code, passed_on = excluded.passed_on");
    q->bind(1, a.account_id);
    q->bind(2, a.title);
    q->bind(3, a.code);
    bind_optional(*q, 4, a.passed_on);
    q->exec();
}

std::vector<Credential> SqliteStore::credentials_of(std::int64_t mcid) {
    auto q = stmt("SELECT mcid, code, title, type, passed_on, expires_on FROM credentials WHERE mcid = ? ORDER BY code");
    q->bind(1, mcid);
    std::vector<Credential> out;
    while (q->executeStep()) {
        out.push_back(Credential{q->getColumn(0).getInt64(), q->getColumn(1).getString(), q->getColumn(2).getString(),
                                 parse_credential_type(q->getColumn(3).getString()), optional_date(q->getColumn(4)),
                                 optional_date(q->getColumn(5))});
    }
    return out;
}

std::vector<Assessment> SqliteStore::assessments_of(std::int64_t account_id) {
    auto q = stmt("SELECT account_id, title, code, passed_on FROM assessments WHERE account_id = ? ORDER BY title");
    q->bind(1, account_id);
    std::vector<Assessment> out;
    while (q->executeStep()) {
        out.push_back(Assessment{q->getColumn(0).getInt64(), q->getColumn(1).getString(), q->getColumn(2).getString(),
                                 optional_date(q->getColumn(3))});
    }
    return out;
}

std::optional<Link> SqliteStore::find_link(AccountKind kind, std::int64_t account_id) {
    auto q = stmt(is_profile(kind) ? "SELECT mcid, user_id, org_id, linked_at FROM links WHERE mcid = ?"
                                   : "SELECT account_id, user_id, org_id, associated_at FROM university_links "
                                     "WHERE account_id = ?");
    q->bind(1, account_id);
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_link(*q);
}

std::optional<Link> SqliteStore::find_link_of_user(AccountKind kind, std::int64_t user_id) {
    auto q = stmt(is_profile(kind) ? "SELECT mcid, user_id, org_id, linked_at FROM links WHERE user_id = ?"
                                   : "SELECT account_id, user_id, org_id, associated_at FROM university_links "
                                     "WHERE user_id = ?");
    q->bind(1, user_id);
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return read_link(*q);
}

void SqliteStore::insert_link(AccountKind kind, const Link& link) {
    auto q = stmt(is_profile(kind)
                      ? "INSERT INTO links(mcid, user_id, org_id, linked_at) VALUES (?, ?, ?, ?)"
                      : "INSERT INTO university_links(account_id, user_id, org_id, associated_at) VALUES (?, ?, ?, ?)");
    q->bind(1, link.account_id);
    q->bind(2, link.user_id);
    q->bind(3, link.org_id);
    q->bind(4, link.linked_at);
    q->exec();
}

void SqliteStore::delete_link(AccountKind kind, std::int64_t account_id) {
    auto q = stmt(is_profile(kind) ? "DELETE FROM links WHERE mcid = ?"
                                   : "DELETE FROM university_links WHERE account_id = ?");
    q->bind(1, account_id);
    q->exec();
}

void SqliteStore::insert_association(AccountKind kind, std::int64_t account_id, std::int64_t user_id, Instant at) {
    auto q = stmt("INSERT INTO associations(kind, subject, user_id, at) VALUES (?, ?, ?, ?)");
    q->bind(1, std::string(to_string(kind)));
    q->bind(2, account_id);
    q->bind(3, user_id);
    q->bind(4, at);
    q->exec();
}

std::vector<Instant> SqliteStore::associations_since(AccountKind kind, std::int64_t account_id, Instant since) {
    auto q = stmt("SELECT at FROM associations WHERE kind = ? AND subject = ? AND at > ? ORDER BY at");
    q->bind(1, std::string(to_string(kind)));
    q->bind(2, account_id);
    q->bind(3, since);
    std::vector<Instant> out;
    while (q->executeStep()) {
        out.push_back(q->getColumn(0).getInt64());
    }
    return out;
}

std::optional<std::int64_t> SqliteStore::last_associated_account(AccountKind kind, std::int64_t user_id) {
    auto q = stmt("SELECT subject FROM associations WHERE user_id = ? AND kind = ? ORDER BY at DESC, id DESC LIMIT 1");
    q->bind(1, user_id);
    q->bind(2, std::string(to_string(kind)));
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return q->getColumn(0).getInt64();
}

std::optional<std::int64_t> SqliteStore::last_association_user(AccountKind kind, std::int64_t account_id) {
    auto q = stmt("SELECT user_id FROM associations WHERE kind = ? AND subject = ? ORDER BY at DESC, id DESC LIMIT 1");
    q->bind(1, std::string(to_string(kind)));
    q->bind(2, account_id);
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return q->getColumn(0).getInt64();
}

void SqliteStore::replace_competency(const Competency& c) {
    {
        auto del = stmt("DELETE FROM competencies WHERE name = ?");
        del->bind(1, c.name);
        del->exec();
    }
    {
        auto ins = stmt("INSERT INTO competencies(name, individuals) VALUES (?, ?)");
        ins->bind(1, c.name);
        ins->bind(2, c.individuals);
        ins->exec();
    }
    for (const auto& code : c.codes) {
        auto q = stmt("INSERT OR IGNORE INTO competency_codes(competency, code) VALUES (?, ?)");
        q->bind(1, c.name);
        q->bind(2, code);
        q->exec();
    }
}

std::vector<Competency> SqliteStore::list_competencies() {
    std::vector<Competency> out;
    {
        auto q = stmt("SELECT name, individuals FROM competencies ORDER BY name");
        while (q->executeStep()) {
            out.push_back(Competency{q->getColumn(0).getString(), {}, q->getColumn(1).getInt64()});
        }
    }
    auto q = stmt("SELECT competency, code FROM competency_codes ORDER BY competency, code");
    while (q->executeStep()) {
        const std::string name = q->getColumn(0).getString();
        auto it = std::find_if(out.begin(), out.end(), [&](const Competency& c) { return c.name == name; });
        if (it != out.end()) {
            it->codes.push_back(q->getColumn(1).getString());
        }
    }
    return out;
}

}  // namespace mcid::store
