#pragma once
// SqliteStore: the Store on one SQLite file (SQLiteCpp). The only code that sees SQL. Prepared
// statements are cached by their text's address and reused, so hot loops never re-prepare.
#include "store/copy.hpp"

#include <mcid/store.hpp>
#include <mcid/write_unit.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <unordered_map>

namespace mcid::store {

inline constexpr int k_application_id = 0x4D434944;  // "MCID" in the SQLite header
inline constexpr int k_busy_timeout_ms = static_cast<int>(k_busy_budget.count());

// A cached statement, reset when this handle goes out of scope.
class Stmt {
public:
    explicit Stmt(SQLite::Statement& statement) : m_statement(&statement) {}
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt() {
        try {
            m_statement->reset();
            m_statement->clearBindings();
        } catch (...) {  // reset reports the last step's error again; it was already handled
        }
    }
    SQLite::Statement* operator->() { return m_statement; }
    SQLite::Statement& operator*() { return *m_statement; }

private:
    SQLite::Statement* m_statement;
};

class SqliteStore final : public Store, public TableIo {
public:
    SqliteStore(std::unique_ptr<SQLite::Database> db, std::string path);

    std::unique_ptr<Transaction> begin_write() override;
    std::unique_ptr<Transaction> begin_read() override;
    bool in_transaction() const override { return transaction_depth > 0; }
    std::optional<ChangeStamp> change_stamp() override;

    std::optional<std::string> config_get(std::string_view key) override;
    std::map<std::string, std::string, std::less<>> config_all() override;
    void config_set(std::string_view key, std::string_view value) override;

    std::int64_t insert_org(const Org& org) override;
    std::optional<Org> find_org_by_mpn(std::string_view mpn_id) override;
    std::optional<Org> find_org(std::int64_t id) override;
    std::vector<Org> list_orgs() override;
    std::int64_t count_users_of_org(std::int64_t org_id) override;

    std::int64_t insert_user(const User& user) override;
    void insert_users(const std::vector<User>& users) override;
    void update_user(const User& user) override;
    std::vector<std::optional<PurgeSubject>> find_purge_subjects(const std::vector<std::string>& emails) override;
    std::vector<std::optional<PurgeSubject>> find_purge_subjects_by_id(const std::vector<std::int64_t>& ids) override;
    bool purge_users(const std::vector<PurgeSubject>& users, Instant at, CheckAsRead check, Staged staged) override;
    void stage_purge(const std::vector<PurgeSubject>& users) override;
    std::optional<User> find_user_by_email(std::string_view email) override;
    std::vector<std::int64_t> users_due_for_erasure(Instant deleted_before, std::size_t limit) override;
    void erase_user(std::int64_t user_id, std::string_view pseudonym, Instant at) override;
    std::optional<User> find_user(std::int64_t id) override;
    bool any_operator() override;
    void for_each_user(const UserFilter& filter, const std::function<void(const User&)>& fn) override;
    std::int64_t count_active_global_admins(std::int64_t org_id) override;
    void insert_session(std::string_view token_hash, std::int64_t user_id, Instant created,
                        Instant expires) override;
    std::optional<Session> find_session(std::string_view token_hash) override;
    void delete_session(std::string_view token_hash) override;
    void delete_sessions_of(std::int64_t user_id) override;

    Attempts find_throttle(std::string_view subject) override;
    void save_throttle(std::string_view subject, const Attempts& attempts) override;

    std::int64_t upsert_account(AccountKind kind, const ExternalAccount& account) override;
    std::optional<ExternalAccount> find_account(AccountKind kind, std::int64_t id) override;
    std::optional<ExternalAccount> find_account_by_login(AccountKind kind, std::string_view login) override;
    void update_account_lockout(AccountKind kind, std::int64_t id, int failed, Instant locked_until) override;
    bool credential_exists(std::int64_t mcid, std::string_view code) override;
    void upsert_credential(const Credential& credential) override;
    bool assessment_exists(std::int64_t account_id, std::string_view title) override;
    void upsert_assessment(const Assessment& assessment) override;
    std::vector<Credential> credentials_of(std::int64_t mcid) override;
    std::vector<Assessment> assessments_of(std::int64_t account_id) override;

    std::optional<Link> find_link(AccountKind kind, std::int64_t account_id) override;
    std::optional<Link> find_link_of_user(AccountKind kind, std::int64_t user_id) override;
    void insert_link(AccountKind kind, const Link& link) override;
    void delete_link(AccountKind kind, std::int64_t account_id) override;
    void insert_association(AccountKind kind, std::int64_t account_id, std::int64_t user_id, Instant at) override;
    std::vector<Instant> associations_since(AccountKind kind, std::int64_t account_id, Instant since) override;
    std::optional<std::int64_t> last_associated_account(AccountKind kind, std::int64_t user_id) override;
    std::optional<std::int64_t> last_association_user(AccountKind kind, std::int64_t account_id) override;

    void replace_competency(const Competency& competency) override;
    std::vector<Competency> list_competencies() override;

    void for_each_skill_source(std::optional<std::int64_t> org_id,
                               const std::function<void(const SkillSourceRow&)>& fn) override;
    void for_each_user_report_row(std::int64_t org_id,
                                  const std::function<void(const UserReportRow&)>& fn) override;
    void for_each_holding(std::int64_t org_id, const std::function<void(const HoldingRow&)>& fn) override;
    void for_each_holding_of_user(std::int64_t user_id, const std::function<void(const HoldingRow&)>& fn) override;
    void for_each_holding_by_user(const std::string& competency,
                                  const std::function<void(const HoldingRow&)>& fn) override;
    void for_each_holding_of_users(std::int64_t first, std::int64_t last,
                                   const std::function<void(const HoldingRow&)>& fn) override;
    std::int64_t last_user_id() override;
    void replace_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                    const std::vector<CompetencyPeriod>& periods) override;
    void add_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                const std::vector<CompetencyPeriod>& periods) override;
    void clear_competency_periods(const std::string& competency) override;
    std::vector<std::int64_t> users_with_competency_periods(const std::string& competency, std::int64_t first,
                                                            std::int64_t last) override;
    void clear_competency_periods_of_users(std::int64_t first, std::int64_t last) override;
    void clear_competency_periods_of(const std::vector<std::int64_t>& user_ids) override;
    void recount_competency_ends(std::int64_t org_id) override;
    std::vector<std::pair<std::string, std::int64_t>> count_qualified(std::int64_t org_id, Instant at) override;
    bool competency_periods_stale() override;
    std::vector<std::string> competency_periods_stale_jobs() override;
    void mark_competency_periods_stale(const std::string& job) override;
    void clear_competency_periods_stale(const std::string& job) override;
    std::int64_t competency_ends_mismatches() override;
    std::vector<std::int64_t> orgs_with_competency_ends_mismatches() override;
    std::int64_t org_user_count_mismatches() override;
    void recount_org_users() override;

    std::optional<AuditHead> audit_head() override;
    void insert_audit(const std::vector<AuditRecord>& records) override;
    void seal_audit(const AuditRecord& record) override;
    void for_each_audit_from(std::int64_t first_id, const std::function<void(const AuditRecord&)>& fn) override;
    void for_each_audit(const AuditFilter& filter, const std::function<void(const AuditRecord&)>& fn) override;

    std::vector<std::string> check_integrity() override;
    void backup_to(const std::filesystem::path& destination) override;
    const std::string& path() const override { return m_path; }

    // Applies the migrations newer than the store's user_version, each in its own transaction.
    void migrate();
    SQLite::Database& db() { return *m_db; }
    // The cached prepared statement for `sql` (a string literal), reset after use.
    Stmt stmt(const char* sql);
    int transaction_depth = 0;

    // TableIo (copy.hpp)
    void read_table(const CopyTable& table, const std::function<void(const CopyRow&)>& fn) override;
    std::unique_ptr<RowSink> write_table(const CopyTable& table) override;
    void copy_finished() override {}

private:
    // Deletes the competency periods of the users matched by `users` (an SQL condition on
    // user_id, its parameters bound by `bind`), keeping competency_ends in step.
    void drop_periods(const std::string& users, const std::function<void(SQLite::Statement&)>& bind);
    // Loads temp.purge_plan (stage_purge, purge_users) with the accounts as read.
    void fill_purge_plan(const std::vector<PurgeSubject>& users);

    std::unique_ptr<SQLite::Database> m_db;
    std::string m_path;
    std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> m_statements;
    // Rows stage_purge wrote to its temporary table: change_stamp leaves them out, so that
    // loading a plan does not read as a change made since it was planned.
    std::int64_t m_staged_changes = 0;
};

// The statement text serving each filter shape (exposed for the query-plan tests).
const std::string& users_query(const UserFilter& filter);
const std::string& audit_query(const AuditFilter& filter);
// The holdings of one competency's holders (?1: the competency).
extern const char* const k_code_holders_query;
// The operator's skills report, learning credentials of every organization.
extern const char* const k_skills_all_learning_query;
// A batch purge's UPDATE of its users (purge_users), for the query-plan tests.
extern const char* const k_purge_mark_deleted;

// Reads a users row selected with k_user_columns.
User read_user(SQLite::Statement& statement, int first = 0);
inline constexpr const char* k_user_columns =
    "id, email, name, role, org_id, status, password_hash, invite_code_hash, invited_at, "
    "invite_expires_at, accepted_at, deleted_at, failed_logins, locked_until";

std::optional<std::int64_t> optional_int(const SQLite::Column& column);
// The column's text without a copy; valid until the statement steps again.
std::string_view view(const SQLite::Column& column);
std::optional<Date> optional_date(const SQLite::Column& column);
void bind_optional(SQLite::Statement& statement, int index, const std::optional<std::int64_t>& value);
void bind_optional(SQLite::Statement& statement, int index, const std::optional<Date>& value);

}  // namespace mcid::store
