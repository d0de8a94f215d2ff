// Competency status (rule 10): the holdings that count toward competencies, and the periods kept
// current from them (schema 2; the layout and the counting are explained in
// migrations/0002_competency_periods.sql).
#include "store/shared.hpp"
#include "store/sqlite_store.hpp"

#include <algorithm>
#include <tuple>

namespace mcid::store {
namespace {

// The holdings query with one filter on the links (`l.`/`ul.` FILTER) and on the codes; the
// select list is the HoldingRow. `+c.code` keeps SQLite from using the code as a second key of
// the credentials primary key (one probe per MCID per competency code, 5x slower at 200,000
// users): each linked MCID's few credentials are read once and filtered.
#define MCID_HOLDINGS(LINK_FILTER, UNIVERSITY_FILTER, CODES)                                              \
    "SELECT l.user_id, l.org_id, c.code, c.passed_on, c.expires_on, l.linked_at FROM links l "           \
    "JOIN credentials c ON c.mcid = l.mcid WHERE " LINK_FILTER " AND +c.code IN (" CODES ") "            \
    "UNION ALL "                                                                                          \
    "SELECT ul.user_id, ul.org_id, a.code, a.passed_on, NULL, ul.associated_at FROM university_links ul " \
    "JOIN assessments a ON a.account_id = ul.account_id WHERE " UNIVERSITY_FILTER " AND a.code <> '' "    \
    "AND +a.code IN (" CODES ")"

void emit_holdings(SQLite::Statement& q, const std::function<void(const HoldingRow&)>& fn) {
    while (q.executeStep()) {
        HoldingRow row;
        row.user_id = q.getColumn(0).getInt64();
        row.org_id = q.getColumn(1).getInt64();
        row.code = view(q.getColumn(2));
        row.passed_on = view(q.getColumn(3));
        row.expires_on = view(q.getColumn(4));
        row.linked_at = q.getColumn(5).getInt64();
        fn(row);
    }
}

}  // namespace

void SqliteStore::for_each_holding(std::int64_t org_id, const std::function<void(const HoldingRow&)>& fn) {
    auto q = stmt(MCID_HOLDINGS("l.org_id = ?1", "ul.org_id = ?1", "SELECT code FROM competency_codes"));
    q->bind(1, org_id);
    emit_holdings(*q, fn);
}

void SqliteStore::for_each_holding_of_user(std::int64_t user_id, const std::function<void(const HoldingRow&)>& fn) {
    auto q = stmt(MCID_HOLDINGS("l.user_id = ?1", "ul.user_id = ?1", "SELECT code FROM competency_codes"));
    q->bind(1, user_id);
    emit_holdings(*q, fn);
}

// The holders of one competency's codes, found through the code indexes (schema 4): a
// competency nobody holds reads nothing.
#define CODE_HOLDERS                                                                                 \
    "SELECT l.user_id, l.org_id, c.code, c.passed_on, c.expires_on, l.linked_at FROM credentials c " \
    "JOIN links l ON l.mcid = c.mcid "                                                               \
    "WHERE c.code <> '' AND c.code IN (SELECT code FROM competency_codes WHERE competency = ?1) "     \
    "UNION ALL "                                                                                     \
    "SELECT ul.user_id, ul.org_id, a.code, a.passed_on, NULL, ul.associated_at FROM assessments a "  \
    "JOIN university_links ul ON ul.account_id = a.account_id "                                      \
    "WHERE a.code <> '' AND a.code IN (SELECT code FROM competency_codes WHERE competency = ?1) "    \
    "ORDER BY 1"

const char* const k_code_holders_query = CODE_HOLDERS;

void SqliteStore::for_each_holding_by_user(const std::string& competency,
                                           const std::function<void(const HoldingRow&)>& fn) {
    auto q = stmt(CODE_HOLDERS);
    q->bind(1, competency);
    emit_holdings(*q, fn);
}

void SqliteStore::for_each_holding_of_users(std::int64_t first, std::int64_t last,
                                            const std::function<void(const HoldingRow&)>& fn) {
    auto q = stmt(MCID_HOLDINGS("l.user_id BETWEEN ?1 AND ?2", "ul.user_id BETWEEN ?1 AND ?2",
                                "SELECT code FROM competency_codes") " ORDER BY 1");
    q->bind(1, first);
    q->bind(2, last);
    emit_holdings(*q, fn);
}

std::int64_t SqliteStore::last_user_id() {
    auto q = stmt("SELECT coalesce(max(id), 0) FROM users");
    q->executeStep();
    return q->getColumn(0).getInt64();
}

#undef CODE_HOLDERS
#undef MCID_HOLDINGS

void SqliteStore::replace_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                             const std::vector<CompetencyPeriod>& periods) {
    std::vector<std::pair<CompetencyPeriod, std::int64_t>> old;  // period, organization
    {
        auto q = stmt("SELECT competency, starts_at, ends_at, org_id FROM competency_periods WHERE user_id = ?");
        q->bind(1, user_id);
        while (q->executeStep()) {
            old.emplace_back(CompetencyPeriod{q->getColumn(0).getString(), q->getColumn(1).getInt64(),
                                              q->getColumn(2).getInt64()},
                             q->getColumn(3).getInt64());
        }
    }
    if (same_periods(old, periods, org_id)) {
        return;  // nothing changed (the common case in a registry import)
    }
    for (const auto& [period, org] : old) {
        // periods > 0 is checked: the last period of an end instant removes its row.
        auto drop = stmt("DELETE FROM competency_ends WHERE org_id = ?1 AND competency = ?2 AND ends_at = ?3 "
                         "AND periods = 1");
        drop->bind(1, org);
        drop->bind(2, period.competency);
        drop->bind(3, period.ends_at);
        if (drop->exec() == 0) {
            auto less = stmt("UPDATE competency_ends SET periods = periods - 1 "
                             "WHERE org_id = ?1 AND competency = ?2 AND ends_at = ?3");
            less->bind(1, org);
            less->bind(2, period.competency);
            less->bind(3, period.ends_at);
            less->exec();
        }
    }
    if (!old.empty()) {
        auto del = stmt("DELETE FROM competency_periods WHERE user_id = ?");
        del->bind(1, user_id);
        del->exec();
    }
    add_competency_periods(user_id, org_id, periods);
}

void SqliteStore::add_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                         const std::vector<CompetencyPeriod>& periods) {
    for (const auto& p : periods) {
        {
            auto ins = stmt("INSERT INTO competency_periods(user_id, competency, org_id, starts_at, ends_at) "
                            "VALUES (?, ?, ?, ?, ?)");
            ins->bind(1, user_id);
            ins->bind(2, p.competency);
            ins->bind(3, org_id);
            ins->bind(4, p.starts_at);
            ins->bind(5, p.ends_at);
            ins->exec();
        }
        auto end = stmt("INSERT INTO competency_ends(org_id, competency, ends_at, periods) VALUES (?, ?, ?, 1) "
                        "ON CONFLICT (org_id, competency, ends_at) DO UPDATE SET periods = periods + 1");
        end->bind(1, org_id);
        end->bind(2, p.competency);
        end->bind(3, p.ends_at);
        end->exec();
    }
}

void SqliteStore::clear_competency_periods(const std::string& competency) {
    // By organization: both tables are keyed by (organization, competency, ...), so this reads
    // the competency's rows only.
    for (const char* sql : {"DELETE FROM competency_periods WHERE org_id IN (SELECT id FROM orgs) AND competency = ?",
                            "DELETE FROM competency_ends WHERE org_id IN (SELECT id FROM orgs) AND competency = ?"}) {
        SQLite::Statement q(*m_db, sql);
        q.bind(1, competency);
        q.exec();
    }
}

std::vector<std::int64_t> SqliteStore::users_with_competency_periods(const std::string& competency, std::int64_t first,
                                                                     std::int64_t last) {
    // The primary key (user_id, competency, starts_at) serves both: a range of users, and the
    // competency within each.
    auto q = stmt(
        "SELECT DISTINCT user_id FROM competency_periods WHERE user_id BETWEEN ?2 AND ?3 AND competency = ?1 "
        "ORDER BY user_id");
    q->bind(1, competency);
    q->bind(2, first);
    q->bind(3, last);
    std::vector<std::int64_t> out;
    while (q->executeStep()) {
        out.push_back(q->getColumn(0).getInt64());
    }
    return out;
}

void SqliteStore::clear_competency_periods_of_users(std::int64_t first, std::int64_t last) {
    drop_periods("user_id BETWEEN ?1 AND ?2", [&](SQLite::Statement& q) {
        q.bind(1, first);
        q.bind(2, last);
    });
}

void SqliteStore::recount_competency_ends(std::int64_t org_id) {
    auto drop = stmt("DELETE FROM competency_ends WHERE org_id = ?");
    drop->bind(1, org_id);
    drop->exec();
    auto count = stmt(
        "INSERT INTO competency_ends(org_id, competency, ends_at, periods) "
        "SELECT org_id, competency, ends_at, count(*) FROM competency_periods WHERE org_id = ?1 "
        "GROUP BY competency, ends_at");
    count->bind(1, org_id);
    count->exec();
}

void SqliteStore::drop_periods(const std::string& users, const std::function<void(SQLite::Statement&)>& bind) {
    // The competency_ends counts of the periods about to go: a few rows per expiry day.
    std::vector<std::tuple<std::int64_t, std::string, std::int64_t, std::int64_t>> ends;
    {
        SQLite::Statement q(*m_db, "SELECT org_id, competency, ends_at, count(*) FROM competency_periods WHERE " +
                                       users + " GROUP BY 1, 2, 3");
        bind(q);
        while (q.executeStep()) {
            ends.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                              q.getColumn(3).getInt64());
        }
    }
    for (const auto& [org, competency, ends_at, n] : ends) {
        auto drop = stmt(
            "DELETE FROM competency_ends WHERE org_id = ?1 AND competency = ?2 AND ends_at = ?3 "
            "AND periods <= ?4");  // <=: a drifted count (db check's finding) is dropped, not made negative
        drop->bind(1, org);
        drop->bind(2, competency);
        drop->bind(3, ends_at);
        drop->bind(4, n);
        if (drop->exec() == 0) {
            auto less = stmt(
                "UPDATE competency_ends SET periods = periods - ?4 "
                "WHERE org_id = ?1 AND competency = ?2 AND ends_at = ?3");
            less->bind(1, org);
            less->bind(2, competency);
            less->bind(3, ends_at);
            less->bind(4, n);
            less->exec();
        }
    }
    SQLite::Statement del(*m_db, "DELETE FROM competency_periods WHERE " + users);
    bind(del);
    del.exec();
}

std::vector<std::pair<std::string, std::int64_t>> SqliteStore::count_qualified(std::int64_t org_id, Instant at) {
    auto q = stmt(
        "SELECT k.name, "
        "coalesce((SELECT sum(e.periods) FROM competency_ends e "
        "          WHERE e.org_id = ?1 AND e.competency = k.name AND e.ends_at > ?2), 0) "
        "- (SELECT count(*) FROM competency_periods p WHERE p.org_id = ?1 AND p.competency = k.name AND p.starts_at > ?2) "
        "FROM competencies k ORDER BY k.name");
    q->bind(1, org_id);
    q->bind(2, at);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (q->executeStep()) {
        out.emplace_back(q->getColumn(0).getString(), q->getColumn(1).getInt64());
    }
    return out;
}

void SqliteStore::clear_competency_periods_of(const std::vector<std::int64_t>& user_ids) {
    m_db->exec("CREATE TEMP TABLE IF NOT EXISTS period_users(id INTEGER PRIMARY KEY); DELETE FROM temp.period_users");
    auto add = stmt("INSERT OR IGNORE INTO temp.period_users(id) VALUES (?)");
    for (const std::int64_t id : user_ids) {
        add->bind(1, id);
        add->exec();
        add->reset();
    }
    drop_periods("user_id IN temp.period_users", [](SQLite::Statement&) {});
    m_db->exec("DELETE FROM temp.period_users");
}

bool SqliteStore::competency_periods_stale() {
    auto q = stmt("SELECT 1 FROM derived_stale WHERE " MCID_STALE_MARKS);
    return q->executeStep();
}

std::vector<std::string> SqliteStore::competency_periods_stale_jobs() {
    auto q = stmt("SELECT name FROM derived_stale WHERE " MCID_STALE_MARKS " ORDER BY name");
    std::vector<std::string> out;
    while (q->executeStep()) {
        out.push_back(stale_mark_job(q->getColumn(0).getString()));
    }
    return out;
}

void SqliteStore::mark_competency_periods_stale(const std::string& job) {
    auto q = stmt("INSERT OR IGNORE INTO derived_stale(name) VALUES (?)");
    q->bind(1, stale_mark_name(job));
    q->exec();
}

void SqliteStore::clear_competency_periods_stale(const std::string& job) {
    auto q = stmt("DELETE FROM derived_stale WHERE name = ?");
    q->bind(1, stale_mark_name(job));
    q->exec();
}

// The competency_ends rows that a count of competency_periods does not give, and the counts
// that have no row.
#define MCID_ENDS_MISMATCHES                                                                            \
    "WITH counted AS (SELECT org_id, competency, ends_at, count(*) AS periods FROM competency_periods " \
    "GROUP BY org_id, competency, ends_at), "                                                           \
    "mismatched AS (SELECT * FROM (SELECT * FROM counted EXCEPT SELECT * FROM competency_ends) "        \
    "UNION ALL SELECT * FROM (SELECT * FROM competency_ends EXCEPT SELECT * FROM counted)) "

std::int64_t SqliteStore::competency_ends_mismatches() {
    SQLite::Statement q(*m_db, MCID_ENDS_MISMATCHES "SELECT count(*) FROM mismatched");
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::vector<std::int64_t> SqliteStore::orgs_with_competency_ends_mismatches() {
    SQLite::Statement q(*m_db, MCID_ENDS_MISMATCHES "SELECT DISTINCT org_id FROM mismatched ORDER BY org_id");
    std::vector<std::int64_t> out;
    while (q.executeStep()) {
        out.push_back(q.getColumn(0).getInt64());
    }
    return out;
}

#undef MCID_ENDS_MISMATCHES

}  // namespace mcid::store
