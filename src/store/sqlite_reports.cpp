// Report queries (streamed row by row straight from SQLite) and the audit table.
#include "store/sqlite_store.hpp"

#include <array>

namespace mcid::store {

std::string_view view(const SQLite::Column& column) {
    const char* text = column.getText("");
    return {text, static_cast<std::size_t>(column.getBytes())};
}

namespace {

void emit_skill_rows(SQLite::Statement& q, AccountKind source, const std::function<void(const SkillSourceRow&)>& fn) {
    while (q.executeStep()) {
        SkillSourceRow row;
        row.mpn_id = view(q.getColumn(0));
        row.organization = view(q.getColumn(1));
        row.user_email = view(q.getColumn(2));
        row.user_name = view(q.getColumn(3));
        row.account_id = q.getColumn(4).getInt64();
        row.university_login = view(q.getColumn(5));
        row.source = source;
        row.credential_type = view(q.getColumn(6));
        row.code = view(q.getColumn(7));
        row.title = view(q.getColumn(8));
        row.passed_on = view(q.getColumn(9));
        row.expires_on = view(q.getColumn(10));
        row.linked_at = q.getColumn(11).getInt64();
        fn(row);
    }
}

}  // namespace

const char* const k_skills_all_learning_query =
    "SELECT o.mpn_id, o.name, u.email, u.name, l.mcid, '', c.type, c.code, "
    "c.title, c.passed_on, c.expires_on, l.linked_at FROM links l "
    "JOIN orgs o ON o.id = l.org_id JOIN users u ON u.id = l.user_id "
    "JOIN credentials c ON c.mcid = l.mcid";

void SqliteStore::for_each_skill_source(std::optional<std::int64_t> org_id,
                                        const std::function<void(const SkillSourceRow&)>& fn) {
    // Learning credentials of linked MCIDs: links_by_org, then the credentials primary key.
    {
        auto q = org_id ? stmt(
                              "SELECT o.mpn_id, o.name, u.email, u.name, l.mcid, '', c.type, c.code, "
                              "c.title, c.passed_on, c.expires_on, l.linked_at FROM links l "
                              "JOIN orgs o ON o.id = l.org_id JOIN users u ON u.id = l.user_id "
                              "JOIN credentials c ON c.mcid = l.mcid WHERE l.org_id = ?1")
                        : stmt(k_skills_all_learning_query);
        if (org_id) {
            q->bind(1, *org_id);
        }
        emit_skill_rows(*q, AccountKind::profile, fn);
    }
    // Partner University assessments of associated accounts.
    auto q = org_id ? stmt(
                          "SELECT o.mpn_id, o.name, u.email, u.name, ul.account_id, ua.login, "
                          "'assessment', a.code, a.title, a.passed_on, NULL, ul.associated_at "
                          "FROM university_links ul JOIN orgs o ON o.id = ul.org_id "
                          "JOIN users u ON u.id = ul.user_id JOIN university_accounts ua ON ua.id = ul.account_id "
                          "JOIN assessments a ON a.account_id = ul.account_id WHERE ul.org_id = ?1")
                    : stmt(
                          "SELECT o.mpn_id, o.name, u.email, u.name, ul.account_id, ua.login, "
                          "'assessment', a.code, a.title, a.passed_on, NULL, ul.associated_at "
                          "FROM university_links ul JOIN orgs o ON o.id = ul.org_id "
                          "JOIN users u ON u.id = ul.user_id JOIN university_accounts ua ON ua.id = ul.account_id "
                          "JOIN assessments a ON a.account_id = ul.account_id");
    if (org_id) {
        q->bind(1, *org_id);
    }
    emit_skill_rows(*q, AccountKind::university, fn);
}

void SqliteStore::for_each_user_report_row(std::int64_t org_id, const std::function<void(const UserReportRow&)>& fn) {
    static const std::string sql =
        std::string("SELECT ") +
        "u.id, u.email, u.name, u.role, u.org_id, u.status, u.password_hash, u.invite_code_hash, u.invited_at, "
        "u.invite_expires_at, u.accepted_at, u.deleted_at, u.failed_logins, u.locked_until, "
        "l.mcid, l.linked_at, ua.login, ul.associated_at FROM users u "
        "LEFT JOIN links l ON l.user_id = u.id LEFT JOIN university_links ul ON ul.user_id = u.id "
        "LEFT JOIN university_accounts ua ON ua.id = ul.account_id "
        "WHERE u.org_id = ? AND u.status <> 'deleted' ORDER BY u.email";
    auto q = stmt(sql.c_str());
    q->bind(1, org_id);
    while (q->executeStep()) {
        const User user = read_user(*q);
        UserReportRow row;
        row.user = &user;
        row.mcid = optional_int(q->getColumn(14));
        row.learning_linked_at = optional_int(q->getColumn(15));
        if (!q->getColumn(16).isNull()) {
            row.university_login = q->getColumn(16).getString();
        }
        row.university_associated_at = optional_int(q->getColumn(17));
        fn(row);
    }
}

namespace {

// The columns read_audit() reads, in its order (a macro: statements are cached by the address
// of their literal text).
#define AUDIT_COLUMNS "id, at, actor, org_id, action, target, outcome, detail, batch, prev_hash, hash, sealed"

// A row selected with AUDIT_COLUMNS.
AuditRecord read_audit(SQLite::Statement& q) {
    AuditRecord r;
    r.id = q.getColumn(0).getInt64();
    r.at = q.getColumn(1).getInt64();
    r.actor = q.getColumn(2).getString();
    r.org_id = optional_int(q.getColumn(3));
    r.action = q.getColumn(4).getString();
    r.target = q.getColumn(5).getString();
    r.outcome = q.getColumn(6).getString();
    r.detail = q.getColumn(7).getString();
    r.batch = q.getColumn(8).getString();
    r.prev_hash = q.getColumn(9).getString();
    r.hash = q.getColumn(10).getString();
    if (!q.getColumn(11).isNull()) {
        r.sealed = q.getColumn(11).getString();
    }
    return r;
}

}  // namespace

std::optional<AuditHead> SqliteStore::audit_head() {
    auto q = stmt("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    if (!q->executeStep()) {
        return std::nullopt;
    }
    return AuditHead{q->getColumn(0).getInt64(), q->getColumn(1).getString()};
}

void SqliteStore::insert_audit(const std::vector<AuditRecord>& records) {
    auto q = stmt(
        "INSERT INTO audit(id, at, actor, org_id, action, target, outcome, detail, batch, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const AuditRecord& r : records) {
        q->bind(1, r.id);
        q->bind(2, r.at);
        q->bindNoCopy(3, r.actor);
        bind_optional(*q, 4, r.org_id);
        q->bindNoCopy(5, r.action);
        q->bindNoCopy(6, r.target);
        q->bindNoCopy(7, r.outcome);
        q->bindNoCopy(8, r.detail);
        q->bindNoCopy(9, r.batch);
        q->bindNoCopy(10, r.prev_hash);
        q->bindNoCopy(11, r.hash);
        q->exec();
        q->reset();
    }
    q->clearBindings();  // bound without copies: the cached statement keeps no pointer into `records`
}

void SqliteStore::seal_audit(const AuditRecord& r) {
    auto q = stmt("UPDATE audit SET actor = ?, target = ?, detail = ?, sealed = ? WHERE id = ?");
    q->bind(1, r.actor);
    q->bind(2, r.target);
    q->bind(3, r.detail);
    q->bind(4, r.sealed);
    q->bind(5, r.id);
    q->exec();
}

const std::string& audit_query(const AuditFilter& f) {
    // One statement per filter shape (see users_query): an organization's rows come from
    // audit_by_org_id in order, whatever the other filters.
    static const std::array<std::string, 32> k_queries = [] {
        std::array<std::string, 32> out;
        for (int shape = 0; shape < 32; ++shape) {
            std::string sql = "SELECT " AUDIT_COLUMNS " FROM audit WHERE 1";
            if (shape & 1)
                sql += " AND org_id = ?1";
            if (shape & 2)
                sql += " AND at >= ?2";
            if (shape & 4)
                sql += " AND actor = ?3 COLLATE NOCASE";
            if (shape & 8)
                sql += " AND action = ?4";
            if (shape & 16)
                sql += " AND at < ?5";
            out[static_cast<std::size_t>(shape)] = sql + " ORDER BY id";
        }
        return out;
    }();
    return k_queries[(f.org_id ? 1 : 0) | (f.since ? 2 : 0) | (f.actor ? 4 : 0) | (f.action ? 8 : 0) |
                     (f.until ? 16 : 0)];
}

void SqliteStore::for_each_audit(const AuditFilter& f, const std::function<void(const AuditRecord&)>& fn) {
    auto q = stmt(audit_query(f).c_str());
    if (f.org_id) {
        q->bind(1, *f.org_id);
    }
    if (f.since) {
        q->bind(2, *f.since);
    }
    if (f.actor) {
        q->bind(3, *f.actor);
    }
    if (f.action) {
        q->bind(4, *f.action);
    }
    if (f.until) {
        q->bind(5, *f.until);
    }
    while (q->executeStep()) {
        fn(read_audit(*q));
    }
}

void SqliteStore::for_each_audit_from(std::int64_t first_id, const std::function<void(const AuditRecord&)>& fn) {
    auto q = stmt("SELECT " AUDIT_COLUMNS " FROM audit WHERE id >= ? ORDER BY id");
    q->bind(1, first_id);
    while (q->executeStep()) {
        fn(read_audit(*q));
    }
}

}  // namespace mcid::store
