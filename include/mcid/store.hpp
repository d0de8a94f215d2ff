#pragma once
// The store interface the services talk to. SqliteStore (src/store) is the implementation; a
// server database could be a second one without touching the services. Every method may throw
// StoreError (exit 9) when the store is busy past its timeout, unreadable or corrupt.
#include <mcid/records.hpp>

#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcid {

// Whether `error` is a transient conflict that running the whole write unit again may not meet:
// a server store's serialization failure (SQLSTATE 40001) or deadlock (40P01).
bool is_transient_conflict(const std::exception_ptr& error);

// A unit of work. Destroying it without commit() rolls everything back.
class Transaction {
public:
    virtual ~Transaction() = default;
    virtual void commit() = 0;
};

struct UserFilter {
    std::optional<std::int64_t> org_id;
    std::optional<UserStatus> status;
    std::optional<Role> role;
};

struct AuditFilter {
    std::optional<std::int64_t> org_id;
    std::optional<Instant> since;  // at >= since
    std::optional<Instant> until;  // at < until
    std::optional<std::string> actor;
    std::optional<std::string> action;
};

// One row of the skills report before the core adds reflection, status and competencies.
struct SkillSourceRow {
    std::string_view mpn_id, organization, user_email, user_name;
    std::int64_t account_id = 0;  // MCID (learning) or university account id
    std::string_view university_login;
    AccountKind source = AccountKind::profile;
    std::string_view credential_type, code, title, passed_on, expires_on;
    Instant linked_at = 0;
};

// What a batch purge needs to know of the account an email names.
struct PurgeSubject {
    std::int64_t user_id = 0;
    std::string email;
    std::optional<std::int64_t> org_id;
    Role role = Role::user;
    UserStatus status = UserStatus::active;
    std::optional<Instant> deleted_at;
    std::optional<std::int64_t> mcid;  // the linked profile
    bool university = false;           // a Partner University association

    bool operator==(const PurgeSubject&) const = default;
};

// One row of the users report.
struct UserReportRow {
    const User* user = nullptr;
    std::optional<std::int64_t> mcid;
    std::optional<Instant> learning_linked_at;
    std::optional<std::string> university_login;
    std::optional<Instant> university_associated_at;
};

// A held credential that may count toward a competency.
struct HoldingRow {
    std::int64_t user_id = 0;
    std::int64_t org_id = 0;
    std::string_view code, passed_on, expires_on;
    Instant linked_at = 0;
};

// A credentials import written whole (see Store::begin_credentials_load).
class CredentialsLoad {
public:
    virtual ~CredentialsLoad() = default;  // without commit(), nothing of it is kept
    virtual void add(const Credential& credential) = 0;
    // After the last row: builds what the rows need, then takes the store's write lock (waiting
    // as begin_write does). False when the rows break a key (a key twice in the file, an MCID
    // with no profile): then nothing of the load will be kept.
    virtual bool finish() = 0;
    virtual void commit() = 0;
};

class Store {
public:
    virtual ~Store() = default;

    // A write transaction (BEGIN IMMEDIATE) or a read snapshot.
    virtual std::unique_ptr<Transaction> begin_write() = 0;
    virtual std::unique_ptr<Transaction> begin_read() = 0;
    // Whether a transaction is open (a unit begun now would join it).
    virtual bool in_transaction() const = 0;
    // The write lock is waited for until `deadline` at most rather than the whole busy timeout
    // (run_write_unit's budget, shared by its runs); nullopt: the whole timeout again.
    virtual void set_busy_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
        static_cast<void>(deadline);  // SQLite's writers never run a unit again: its timeout stays
    }
    // How many users a job that rewrites competency periods user by user (a rebuild, a
    // competency define) takes in one write transaction, for a step of a few tenths of a second
    // at SCALE 1.0: 5,000 on SQLite. A server store answers in a round trip per statement, and
    // a user takes a few (PgStore: 500).
    virtual std::int64_t rewrite_step_users() const { return 5000; }
    // The rows a registry import writes per transaction. A chunk of credentials recomputes the
    // competency status of the profiles it changes, each in the store's round trips: at SCALE
    // 1.0, 50,000 rows are about 0.2 s of work on SQLite, and 5 to 7 s on a server store, whose
    // chunk is 1,000 rows (PgStore: 0.2-0.35 s each; 5,000 held it up to 1.8 s).
    virtual std::int64_t import_chunk_rows() const { return 50000; }
    // Taken inside a transaction: equal stamps mean nothing was committed in between, by any
    // connection (this one too), so what one transaction read still holds in the next.
    // nullopt where a store cannot tell (the default; a server store while other transactions
    // that write are running): callers read again.
    using ChangeStamp = std::pair<std::int64_t, std::int64_t>;
    virtual std::optional<ChangeStamp> change_stamp() { return std::nullopt; }

    // --- config
    virtual std::optional<std::string> config_get(std::string_view key) = 0;
    // Every key set, in one statement (a command reads its policy once: one round trip to a
    // server, not one per key).
    virtual std::map<std::string, std::string, std::less<>> config_all() = 0;
    virtual void config_set(std::string_view key, std::string_view value) = 0;

    // --- organizations
    virtual std::int64_t insert_org(const Org& org) = 0;
    virtual std::optional<Org> find_org_by_mpn(std::string_view mpn_id) = 0;
    virtual std::optional<Org> find_org(std::int64_t id) = 0;
    virtual std::vector<Org> list_orgs() = 0;
    virtual std::int64_t count_users_of_org(std::int64_t org_id) = 0;

    // --- users and sessions
    virtual std::int64_t insert_user(const User& user) = 0;
    // Inserts users together (an import's invitations): one COPY on a server store, which also
    // moves each organization's count once rather than once per user.
    virtual void insert_users(const std::vector<User>& users) = 0;
    virtual void update_user(const User& user) = 0;
    // The account each (normalized) email names, if any, at the same index; looked up in the
    // store's order rather than the caller's (a batch file is in any order).
    virtual std::vector<std::optional<PurgeSubject>> find_purge_subjects(const std::vector<std::string>& emails) = 0;
    // The same for user ids (primary-key lookups, cheaper than the email index): a purge checks in
    // its write transaction that what it looked up by email beforehand still holds.
    virtual std::vector<std::optional<PurgeSubject>> find_purge_subjects_by_id(
        const std::vector<std::int64_t>& ids) = 0;
    // A batch purge, set-wise, of accounts as the caller read them: ends their links and
    // university links, deletes their sessions, and marks them deleted at
    // `at` with no pending invitation. With CheckAsRead::yes (they were read before this write
    // transaction, and others have committed since) the writes check on the way that each account
    // still is as read: undeleted, with its email, organization and role, its MCID link or none,
    // its Partner University link or none. False when one is not: the caller must roll the
    // transaction back. A store may check when not asked (a server store always does: it costs
    // it nothing); SQLite always checks the accounts (in its UPDATE, against the loaded plan) and
    // checks the links only when asked (returning 100,000 rows costs it about 0.07 s).
    // Staged::yes: `users` are the accounts stage_purge loaded last, on this connection.
    // Staged::marked: the same, and begin_write_marking_purged has marked them deleted already.
    enum class CheckAsRead { no, yes };
    enum class Staged { no, yes, marked };
    [[nodiscard]] virtual bool purge_users(const std::vector<PurgeSubject>& users, Instant at, CheckAsRead check,
                                           Staged staged) = 0;
    // Before its write transaction, outside any transaction: loads the accounts a batch purge
    // plans to purge into this connection's own temporary table, for purge_users. It takes no
    // write lock, so other writers go on meanwhile (at 100,000 accounts it took 0.1 s of the
    // lock's hold on SQLite, 0.2 s on a server store).
    virtual void stage_purge(const std::vector<PurgeSubject>& users) = 0;
    // Whether begin_write_marking_purged can mark accounts deleted before the write lock: a store
    // that locks rows can (a server store); a store file has one lock for everything (SQLite).
    virtual bool marks_purged_before_write_lock() const { return false; }
    // Where marks_purged_before_write_lock(), outside any transaction: begins a write transaction
    // without the write lock; ends the links, university links and sessions of the `users`
    // accounts that stage_purge loaded and marks them deleted at `at`, checked as purge_users
    // checks them, under those rows' own locks; and only then waits for the write lock.
    // purge_users with Staged::marked does the rest, and ends what others began for these
    // accounts meanwhile. Other writers wait only for the rest: at 100,000 accounts on a server
    // store, their longest wait went from about 3 s to about 1 s. A writer that needs one of
    // these rows while the purge waits for the lock makes a deadlock, which the server ends by
    // failing one of the two (a transient conflict: run_write_unit runs it again). nullptr, with
    // nothing kept, when an account was no longer as read.
    virtual std::unique_ptr<Transaction> begin_write_marking_purged(const std::vector<PurgeSubject>& users,
                                                                    Instant at) {
        static_cast<void>(users);
        static_cast<void>(at);
        throw std::logic_error("this store marks a purge's accounts under its write lock only");
    }
    virtual std::optional<User> find_user_by_email(std::string_view email) = 0;
    // Ids of deleted, not yet erased accounts deleted at or before `deleted_before` (at most `limit`).
    virtual std::vector<std::int64_t> users_due_for_erasure(Instant deleted_before, std::size_t limit) = 0;
    // Replaces the account's email by `pseudonym`, clears its name, password and invitation,
    // deletes its sessions, and marks it erased at `at`.
    virtual void erase_user(std::int64_t user_id, std::string_view pseudonym, Instant at) = 0;
    virtual std::optional<User> find_user(std::int64_t id) = 0;
    virtual bool any_operator() = 0;
    virtual void for_each_user(const UserFilter& filter, const std::function<void(const User&)>& fn) = 0;
    virtual std::int64_t count_active_global_admins(std::int64_t org_id) = 0;
    virtual void insert_session(std::string_view token_hash, std::int64_t user_id, Instant created,
                                Instant expires) = 0;
    virtual std::optional<Session> find_session(std::string_view token_hash) = 0;
    virtual void delete_session(std::string_view token_hash) = 0;
    virtual void delete_sessions_of(std::int64_t user_id) = 0;

    // Attempts against a name that has no account (`subject` is a digest); zeros when none.
    virtual Attempts find_throttle(std::string_view subject) = 0;
    // Stores them; all zeros removes the row.
    virtual void save_throttle(std::string_view subject, const Attempts& attempts) = 0;

    // --- registry
    // Insert, or update the row with the same MCID (profiles) or sign-in name (university
    // accounts); an empty password_hash keeps the stored one. Returns the account id.
    virtual std::int64_t upsert_account(AccountKind kind, const ExternalAccount& account) = 0;
    virtual std::optional<ExternalAccount> find_account(AccountKind kind, std::int64_t id) = 0;
    virtual std::optional<ExternalAccount> find_account_by_login(AccountKind kind, std::string_view login) = 0;
    virtual void update_account_lockout(AccountKind kind, std::int64_t id, int failed, Instant locked_until) = 0;
    virtual bool credential_exists(std::int64_t mcid, std::string_view code) = 0;
    virtual void upsert_credential(const Credential& credential) = 0;
    virtual bool assessment_exists(std::int64_t account_id, std::string_view title) = 0;
    virtual void upsert_assessment(const Assessment& assessment) = 0;
    // An import's block of rows, as upsert_account / upsert_credential row by row in order (a
    // later row for the same key wins). A server store sends the block in one COPY to a staging
    // table and merges it with one statement.
    virtual void upsert_accounts(AccountKind kind, const std::vector<ExternalAccount>& accounts) {
        for (const ExternalAccount& a : accounts) {
            upsert_account(kind, a);
        }
    }
    // The MCIDs of `mcids` that no profile has (an import's check, one query on a server).
    virtual std::vector<std::int64_t> missing_profiles(const std::vector<std::int64_t>& mcids) {
        std::vector<std::int64_t> out;
        for (const std::int64_t mcid : mcids) {
            if (!find_account(AccountKind::profile, mcid)) {
                out.push_back(mcid);
            }
        }
        return out;
    }
    virtual void upsert_credentials(const std::vector<Credential>& credentials) {
        for (const Credential& c : credentials) {
            upsert_credential(c);
        }
    }
    // A credentials import as one load, when the store has a faster way to write a whole file
    // than upserts in blocks and it applies now (the server store: nothing in the table and
    // nothing linked yet; see pg_store.cpp); nullptr (the default) otherwise, having changed
    // nothing. Until the load commits or is dropped, the store's other calls join its transaction.
    virtual std::unique_ptr<CredentialsLoad> begin_credentials_load() { return nullptr; }
    virtual std::vector<Credential> credentials_of(std::int64_t mcid) = 0;
    virtual std::vector<Assessment> assessments_of(std::int64_t account_id) = 0;

    // --- links and associations
    virtual std::optional<Link> find_link(AccountKind kind, std::int64_t account_id) = 0;
    virtual std::optional<Link> find_link_of_user(AccountKind kind, std::int64_t user_id) = 0;
    virtual void insert_link(AccountKind kind, const Link& link) = 0;
    virtual void delete_link(AccountKind kind, std::int64_t account_id) = 0;
    virtual void insert_association(AccountKind kind, std::int64_t account_id, std::int64_t user_id,
                                    Instant at) = 0;
    // Times of the associations of one account since `since`, oldest first.
    virtual std::vector<Instant> associations_since(AccountKind kind, std::int64_t account_id, Instant since) = 0;
    // The user who associated the account last, if any.
    virtual std::optional<std::int64_t> last_association_user(AccountKind kind, std::int64_t account_id) = 0;
    // The account the user associated last, if any.
    virtual std::optional<std::int64_t> last_associated_account(AccountKind kind, std::int64_t user_id) = 0;

    // --- competencies
    virtual void replace_competency(const Competency& competency) = 0;
    virtual std::vector<Competency> list_competencies() = 0;

    // --- reports (streamed: the callbacks see rows one at a time; views die with the call)
    virtual void for_each_skill_source(std::optional<std::int64_t> org_id,
                                       const std::function<void(const SkillSourceRow&)>& fn) = 0;
    virtual void for_each_user_report_row(std::int64_t org_id,
                                          const std::function<void(const UserReportRow&)>& fn) = 0;
    // Credentials and assessments of the organization's linked individuals whose code some
    // competency names, in no particular order.
    virtual void for_each_holding(std::int64_t org_id, const std::function<void(const HoldingRow&)>& fn) = 0;

    // --- competency status kept current (schema 2, see migrations/0002_competency_periods.sql)
    // The holdings of one user, as for_each_holding.
    virtual void for_each_holding_of_user(std::int64_t user_id,
                                          const std::function<void(const HoldingRow&)>& fn) = 0;
    // The holdings whose code the named competency requires, ordered by user.
    virtual void for_each_holding_by_user(const std::string& competency,
                                          const std::function<void(const HoldingRow&)>& fn) = 0;
    // The holdings of the users with ids first..last, ordered by user.
    virtual void for_each_holding_of_users(std::int64_t first, std::int64_t last,
                                           const std::function<void(const HoldingRow&)>& fn) = 0;
    // The largest user id (0 when there are none).
    virtual std::int64_t last_user_id() = 0;
    // Replaces the user's periods (all competencies) with `periods`, in organization `org_id`.
    virtual void replace_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                            const std::vector<CompetencyPeriod>& periods) = 0;
    // Adds periods of a user who has none for those competencies (a rebuild after a clear).
    virtual void add_competency_periods(std::int64_t user_id, std::int64_t org_id,
                                        const std::vector<CompetencyPeriod>& periods) = 0;
    // Deletes the periods of the named competency.
    virtual void clear_competency_periods(const std::string& competency) = 0;
    // The users with ids first..last that have a period of the named competency, ascending.
    virtual std::vector<std::int64_t> users_with_competency_periods(const std::string& competency, std::int64_t first,
                                                                    std::int64_t last) = 0;
    // Recounts the organization's competency_ends rows from its periods.
    virtual void recount_competency_ends(std::int64_t org_id) = 0;
    // Deletes the periods of the users with ids first..last.
    virtual void clear_competency_periods_of_users(std::int64_t first, std::int64_t last) = 0;
    // Deletes the periods of these users (any order; ids without periods are ignored).
    virtual void clear_competency_periods_of(const std::vector<std::int64_t>& user_ids) = 0;
    // For each competency (by name, as list_competencies): individuals of the organization with a
    // period that contains `at`.
    virtual std::vector<std::pair<std::string, std::int64_t>> count_qualified(std::int64_t org_id, Instant at) = 0;
    // Whether the periods must not be used yet: some job has marked them stale and not cleared
    // its mark (schema 6, see migrations/0006_stale_mark_per_job.sql).
    virtual bool competency_periods_stale() = 0;
    // The jobs whose marks stand. "" is the mark of no job, which only a full rebuild clears (a
    // store migrated from schema 1: periods never built).
    virtual std::vector<std::string> competency_periods_stale_jobs() = 0;
    // Each job marks the periods stale under a name of its own and clears only that mark, so one
    // job's end leaves another's mark standing.
    virtual void mark_competency_periods_stale(const std::string& job) = 0;
    virtual void clear_competency_periods_stale(const std::string& job) = 0;
    // Rows of competency_ends that do not match a count of competency_periods (0 when sound).
    virtual std::int64_t competency_ends_mismatches() = 0;
    // The organizations with such rows, ascending.
    virtual std::vector<std::int64_t> orgs_with_competency_ends_mismatches() = 0;
    // (organization, status) user counts kept for `org show` that disagree with the users (0
    // when sound), and recounting them.
    virtual std::int64_t org_user_count_mismatches() = 0;
    virtual void recount_org_users() = 0;

    // --- audit
    // The last row's position and hash (nullopt for an empty log).
    virtual std::optional<AuditHead> audit_head() = 0;
    // Appends rows at consecutive positions, the first at the head's position + 1 (a batch's rows
    // go in at once: one COPY on a server store instead of a round trip each).
    virtual void insert_audit(const std::vector<AuditRecord>& records) = 0;
    // Every row from position `first_id` on, in order.
    virtual void for_each_audit_from(std::int64_t first_id, const std::function<void(const AuditRecord&)>& fn) = 0;
    // Replaces the text fields of one row and records the original digests (erasure).
    virtual void seal_audit(const AuditRecord& record) = 0;
    virtual void for_each_audit(const AuditFilter& filter, const std::function<void(const AuditRecord&)>& fn) = 0;

    // --- maintenance
    virtual std::vector<std::string> check_integrity() = 0;
    virtual void backup_to(const std::filesystem::path& destination) = 0;
    virtual const std::string& path() const = 0;
};

// Called by jobs that write in steps, between two steps: a short pause in which commands
// waiting for the store get their turn (SQLite keeps no queue of waiters).
void pause_for_other_writers();

enum class OpenMode { open_existing, create };

// Opens (or with OpenMode::create, creates) the SQLite store at `path`: busy timeout, WAL,
// foreign keys, migrations. Throws StoreError for a missing, foreign, corrupt or newer store.
std::unique_ptr<Store> open_sqlite_store(const std::string& path, OpenMode mode);
// Opens (or with OpenMode::create, creates the schema in an empty database of) the PostgreSQL
// store named by a libpq URI. Throws StoreError for an unreachable server, a missing database,
// failed authentication, a database holding other tables, or a newer schema.
std::unique_ptr<Store> open_pg_store(const std::string& uri, OpenMode mode);
// Whether a --db value names a server store (a libpq URI: postgresql:// or postgres://) rather
// than a file.
bool is_server_store_uri(std::string_view db);
// Whether such a URI carries a password (libpq's own parser decides, so every spelling counts).
bool server_uri_has_password(const std::string& uri);
// Asks the server to cancel whatever the open server stores are running (Ctrl-C, just before
// exit 130: the server then rolls the transaction back at once, releasing its locks). Safe in a
// signal handler; nothing to do without a server store.
void cancel_server_statements() noexcept;
// Such a URI as messages name it: postgresql://USER@HOST:PORT/DATABASE, never the password or
// the options.
std::string server_store_name(const std::string& uri);
// Creates a store in the database at `uri` and copies every row of `from` (read in one
// snapshot) into it, all in one transaction, which commits only when `check` finds no problem in
// the new store (else StoreError with it): an interrupted or failed copy leaves no store there.
// Throws Conflict when the database already holds a store, StoreError when it holds other tables
// or cannot be reached.
void copy_to_server_store(Store& from, const std::string& uri,
                          const std::function<std::optional<std::string>(Store&)>& check);
// An empty in-memory store with the current schema, for unit tests.
std::unique_ptr<Store> open_memory_store();
// Turns a store-library exception into the matching mcid::Error; other exceptions pass through.
std::exception_ptr translate_store_exception(std::exception_ptr error);

}  // namespace mcid
