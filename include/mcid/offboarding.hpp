#pragma once
// Offboarding (rule 8): a Global Admin purges departed users, one at a time or in batches of
// any size. A batch is one transaction; every target gets one result row.
#include <mcid/actor.hpp>
#include <mcid/audit.hpp>
#include <mcid/clock.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/store.hpp>

#include <functional>
#include <istream>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace mcid {

enum class DryRun { no, yes };
enum class Atomic { no, yes };

struct PurgeTarget {
    enum class Kind { email, mcid };
    Kind kind = Kind::email;
    std::string text;  // as given; validated by purge()
    // The line of a file it came from (0: the command line). An invalid target from a file is
    // shown by its line, never by its text: the file may hold another account's secrets.
    std::size_t line = 0;
};

struct PurgeRow {
    std::string target;
    std::string outcome;  // purged, already-deleted, not-found, denied, invalid
    std::string detail;
};

struct PurgeReport {
    std::vector<PurgeRow> rows;
    std::string batch;
    bool applied = false;  // false for a dry run or a rolled-back atomic batch
    // Targets whose accounts were read again under the write lock, to check a plan made before
    // it (only the ones the plan does not purge, unless the plan had to be made again).
    std::size_t read_again = 0;
    // Set when the batch committed but dropping its users' competency periods afterwards (a
    // batch of more than one step of users) stopped part-way: why. The periods stay marked
    // stale (reports count from the credentials) until `db rebuild`.
    std::string periods_error;
    std::size_t purged = 0, already_deleted = 0, not_found = 0, denied = 0, invalid = 0;

    bool complete() const { return not_found + denied + invalid == 0; }
};

// Called every few hundred targets; may throw Interrupted to roll the batch back. A real run
// calls it first with done = 0 after planning from a snapshot and before taking the write lock
// (no transaction open), and last with done = total just before it commits.
using Progress = std::function<void(std::size_t done, std::size_t total)>;

class Offboarding {
public:
    // `periods`: a batch that purges more than periods.users accounts drops their competency
    // periods after its commit, in steps of that many (each its own write transaction, with
    // periods.between_steps called between them), with competency status marked stale until the
    // last step; a smaller batch drops them in its own transaction.
    Offboarding(Store& store, const Clock& clock, RebuildSteps periods = {})
        : m_store(store), m_clock(clock), m_periods(std::move(periods)) {}

    // Global Admins only (others: PermissionDenied for the whole batch). Duplicate targets are
    // processed once. Commits unless DryRun::yes, or Atomic::yes and some target failed. A crash
    // or Ctrl-C before the commit leaves the store as it was; after it (while a large batch drops
    // its users' periods) the batch stands and the stale mark stays until `db rebuild`.
    PurgeReport purge(const Actor& actor, const std::vector<PurgeTarget>& targets, DryRun dry_run, Atomic atomic,
                      const Progress& progress);

private:
    // What the batch changes, worked out before anything is written: a dry run stops there, a
    // real run then applies it set-wise (so later targets of the batch see the earlier ones'
    // effect through these sets, in both runs alike).
    // The audit row a result row gets: its text comes from the result row when the batch is
    // applied (100,000 targets: no second copy of every target and detail).
    enum class AuditNote { purged, not_ours, mcid_elsewhere };
    struct LookedUp {
        bool valid = false;  // an email address (else the target is invalid)
        std::string email;   // normalized
        std::optional<PurgeSubject> subject;
    };
    struct Plan {
        std::unordered_set<std::int64_t> purged_users;
        std::unordered_set<std::int64_t> unlinked_mcids;
        std::vector<PurgeSubject> users_to_purge;                    // as read, in target order
        std::vector<std::pair<std::int64_t, std::int64_t>> unlinks;  // (MCID, user) of --mcid targets
        std::vector<std::pair<std::size_t, AuditNote>> audit;        // (result row, note), in target order
        std::size_t row = 0;                                         // the result row being planned
        std::vector<LookedUp> emails;                                // by target index
        bool made_before_commits = false;  // others committed since: the writes check it (apply)
        bool staged = false;               // users_to_purge are loaded on the store's connection
        bool marked = false;               // and marked deleted (Store::begin_write_marking_purged)
    };
    // The acting account read afresh: a Global Admin's, or PermissionDenied.
    Actor checked_admin(const Actor& actor);
    // The outcome of every target (duplicates once), in target order, filling `plan`; the
    // report carries `batch`, the id its audit rows will share.
    PurgeReport plan_targets(const Actor& me, const std::vector<PurgeTarget>& targets, const std::string& batch,
                             Plan& plan, const Progress& progress);
    // Fills plan.emails with one store lookup for the whole batch.
    void look_up_emails(const std::vector<PurgeTarget>& targets, Plan& plan);
    // In the write transaction: brings plan.emails up to date, by id where it can.
    void recheck_emails(Plan& plan);
    PurgeRow plan_email(const Actor& me, const PurgeTarget& target, const LookedUp& found, Plan& plan);
    PurgeRow plan_mcid(const Actor& me, const PurgeTarget& target, Plan& plan);
    // Under the write lock, after other writers committed since the snapshot `plan` was made
    // from: true when it still holds as far as reads can tell (the acting admin, no MCID
    // targets, the accounts it does not purge and the emails that named nobody, which it counts
    // in `read_again`); apply's writes check the accounts it purges.
    bool snapshot_holds(const Actor& actor, const Actor& planned_by, const std::vector<PurgeTarget>& targets,
                        const Plan& plan, std::size_t& read_again);
    // False, with the transaction to be rolled back, when an account to purge is not as read.
    bool apply(const Actor& me, const PurgeReport& report, const Plan& plan);
    // Whether the batch drops its users' periods after its commit rather than in it.
    bool periods_after_commit(const Plan& plan) const;
    // After the commit: drops the periods of `users` in steps, the last clearing the batch's
    // stale mark. A step that fails ends it, with the reason in report.periods_error.
    void drop_purged_periods(std::vector<std::int64_t> users, PurgeReport& report);

    Store& m_store;
    const Clock& m_clock;
    RebuildSteps m_periods;
};

// Reads purge targets from a CSV with an `email` and/or `mcid` column (any case; BOM, spaces,
// blank lines tolerated) or a plain list of one email per line. Throws UsageError with the
// line number for malformed CSV.
std::vector<PurgeTarget> read_purge_targets(std::istream& in);

}  // namespace mcid
