#pragma once
// PgStore: the Store on PostgreSQL (PRODUCT.md section 7), over the libpq layer of pg.hpp. The
// same tables and rules as SqliteStore (pg_migrations/0001_initial.sql says what differs).
//
// Writers take turns as on SQLite: a write transaction first takes the store's advisory lock
// (pg_advisory_xact_lock), waiting at most 5 seconds (lock_timeout: 55P03, exit 9, nothing
// changed), so every rule that SQLite's single writer keeps holds across processes and hosts.
// Readers never wait: a read transaction is one REPEATABLE READ snapshot.
#include "store/copy.hpp"
#include "store/pg.hpp"

#include <mcid/store.hpp>

namespace mcid::store {

class PgStore final : public Store, public TableIo {
public:
    PgStore(std::unique_ptr<pg::Connection> connection, std::string name);

    std::unique_ptr<Transaction> begin_write() override;
    std::unique_ptr<Transaction> begin_read() override;

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
    // A user's periods take a few round trips: a competency define of 132,860 holders at SCALE
    // 1.0 held the lock 7.5 s per step of 5,000 (another admin's invite waited 4.7 s).
    std::int64_t rewrite_step_users() const override { return 500; }
    std::int64_t import_chunk_rows() const override { return 1000; }
    bool purge_users(const std::vector<PurgeSubject>& users, Instant at, CheckAsRead check, Staged staged) override;
    void stage_purge(const std::vector<PurgeSubject>& users) override;
    bool marks_purged_before_write_lock() const override { return true; }
    std::unique_ptr<Transaction> begin_write_marking_purged(const std::vector<PurgeSubject>& users,
                                                            Instant at) override;
    std::optional<User> find_user_by_email(std::string_view email) override;
    std::vector<std::int64_t> users_due_for_erasure(Instant deleted_before, std::size_t limit) override;
    void erase_user(std::int64_t user_id, std::string_view pseudonym, Instant at) override;
    std::optional<User> find_user(std::int64_t id) override;
    bool any_operator() override;
    void for_each_user(const UserFilter& filter, const std::function<void(const User&)>& fn) override;
    std::int64_t count_active_global_admins(std::int64_t org_id) override;
    void insert_session(std::string_view token_hash, std::int64_t user_id, Instant created, Instant expires) override;
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
    void upsert_accounts(AccountKind kind, const std::vector<ExternalAccount>& accounts) override;
    void upsert_credentials(const std::vector<Credential>& credentials) override;
    std::unique_ptr<CredentialsLoad> begin_credentials_load() override;
    std::optional<ChangeStamp> change_stamp() override;
    std::vector<std::int64_t> missing_profiles(const std::vector<std::int64_t>& mcids) override;
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
    void for_each_user_report_row(std::int64_t org_id, const std::function<void(const UserReportRow&)>& fn) override;
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
    const std::string& path() const override { return m_name; }

    // TableIo (copy.hpp): rows out in single-row mode, in through COPY.
    void read_table(const CopyTable& table, const std::function<void(const CopyRow&)>& fn) override;
    std::unique_ptr<RowSink> write_table(const CopyTable& table) override;
    void copy_finished() override;

    bool in_transaction() const override { return transaction_depth > 0; }
    void set_busy_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) override {
        m_busy_deadline = deadline;
    }

    pg::Connection& connection() { return *m_c; }
    int transaction_depth = 0;

private:
    long long write_wait_ms() const;

    std::optional<std::chrono::steady_clock::time_point> m_busy_deadline;
    // Runs `sql` through a cursor inside the current transaction (or a snapshot of its own).
    void each(const std::string& sql, const std::vector<pg::Param>& params,
              const std::function<void(const pg::Row&)>& fn);
    // Deletes the competency periods of the users matched by `users` (an SQL condition on
    // user_id over `params`), keeping competency_ends in step.
    void drop_periods(const std::string& users, const std::vector<pg::Param>& params);
    // Loads the temporary table purge_plan (stage_purge, purge_users) with the accounts as read.
    void fill_purge_plan(const std::vector<PurgeSubject>& users);
    // Deletes the links, university links and sessions of the accounts in purge_plan: false when
    // the links deleted are not `links` links and `universities` university links, each the one
    // the account was read with.
    bool end_access(std::int64_t links, std::int64_t universities);
    // end_access as `users` were read, then marks them deleted at `at`, each only if still as
    // read: false when one was not.
    bool mark_purged(const std::vector<PurgeSubject>& users, Instant at);
    // The same for many users at once (a purge): the end instants' counts go through an analyzed
    // temporary table, so that the planner updates competency_ends by its key.
    void drop_periods_in_bulk(const std::string& users, const std::vector<pg::Param>& params);

    std::unique_ptr<pg::Connection> m_c;
    std::string m_name;
    // Transaction ids this connection took for stage_purge: change_stamp leaves them out, so
    // that loading a plan does not read as a change made since it was planned.
    std::int64_t m_staging_xids = 0;
};

// The statement and parameters of a user list or audit list of this filter shape, and of the
// count behind `report competencies` (exposed for the query-plan tests).
struct PgQuery {
    std::string sql;
    std::vector<pg::Param> params;
};
PgQuery pg_users_query(const UserFilter& filter);
PgQuery pg_audit_query(const AuditFilter& filter);
PgQuery pg_count_qualified_query(std::int64_t org_id, Instant at);

}  // namespace mcid::store
