#pragma once
// Rule 10 kept current. For every linked individual and competency the store holds the periods
// in which the individual qualifies; they are rewritten whenever what they depend on changes
// (links, credentials, competencies, reflection delays), inside the same transaction, so that
// competency status is a few index reads at any organization size. The layout and the counting
// are explained in src/store/migrations/0002_competency_periods.sql.
#include <mcid/policy.hpp>
#include <mcid/store.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mcid {

// One held credential or assessment, owned (HoldingRow's views die with the row).
struct Holding {
    std::string code, passed_on, expires_on;  // '' = no date
    Instant linked_at = 0;
};

// Which competencies each credential code counts toward.
class CompetencyIndex {
public:
    explicit CompetencyIndex(const std::vector<Competency>& competencies);
    // Names of the competencies that require `code`, or nullptr for none.
    const std::vector<std::string>* competencies_of(std::string_view code) const;

private:
    std::unordered_map<std::string, std::vector<std::string>> m_by_code;
};

// The periods in which the holder of `holdings` (one individual's) qualifies: each credential
// counts from the moment it is reflected (rule 6) until its expiry date; overlapping or touching
// periods of one competency are merged. Sorted by competency name, then start.
std::vector<CompetencyPeriod> qualifying_periods(const std::vector<Holding>& holdings, const CompetencyIndex& index,
                                                 const Policy& policy);

// Competency name and the number of the organization's individuals qualified at an instant.
using QualifiedCounts = std::vector<std::pair<std::string, std::int64_t>>;

// Counts computed from the credentials themselves (every holding of the organization): what the
// kept periods must always agree with. Used while they are stale and by `db check`.
QualifiedCounts count_qualified_from_holdings(Store& store, std::int64_t org_id, Instant at);

struct RebuildResult {
    std::int64_t users = 0;    // individuals with at least one holding that counts
    std::int64_t periods = 0;  // periods written
};

// Keeps the periods current. Construct inside the write transaction that changes the data (it
// reads the policy and the competencies once), and tell it what changed.
class CompetencyStatus {
public:
    explicit CompetencyStatus(Store& store);

    // After a change to the user's links: recomputes their periods. Returns how many they have.
    std::size_t refresh_user(std::int64_t user_id);
    // After a change to an account's credentials or assessments: refreshes its linked user.
    void refresh_account(AccountKind kind, std::int64_t account_id);
    // Whether a credential with this code can change anything (some competency requires it).
    bool counts(std::string_view code) const { return m_index.competencies_of(code) != nullptr; }
    // Recomputes every period of the users with ids first..last.
    RebuildResult rebuild_users(std::int64_t first, std::int64_t last);

private:
    Store& m_store;
    Policy m_policy;
    std::vector<Competency> m_competencies;
    CompetencyIndex m_index;
};

// Recomputes every individual's periods, in steps of a few thousand users, each step its own
// write transaction: other writers wait for one step at most, never for the whole rebuild. The
// periods are marked stale from the first step until the last (reports and `db check` count from
// the credentials meanwhile, as on a store migrated from schema 1), so a rebuild that stops
// part-way leaves correct answers and `db rebuild` completes it. Its last step clears its own
// mark and the marks that stood when it began (jobs whose changes it rewrote every user after,
// or that stopped part-way), never a mark made since. `finish` runs inside the last step's
// transaction, with the totals; `between_steps` outside any transaction after each step but the
// last, with the last user id done and the last id when the rebuild began.
struct RebuildSteps {
    // The users of a step: `users`, or the store's own size when it is 0 (or less).
    std::int64_t users_for(const Store& store) const { return users > 0 ? users : store.rewrite_step_users(); }
    std::int64_t users = 0;  // per step; 0: the store's Store::rewrite_step_users()
    std::function<void(std::int64_t done, std::int64_t last)> between_steps;
};
RebuildResult rebuild_competency_status(Store& store, const std::function<void(const RebuildResult&)>& finish = {},
                                        const RebuildSteps& steps = {});

// Whether `stale_jobs` (Store::competency_periods_stale_jobs) hold the mark of no job: periods
// never built (a store migrated from schema 1), which only a full rebuild clears.
bool periods_never_built(const std::vector<std::string>& stale_jobs);

// Starts a job that rewrites periods in steps, inside the caller's write transaction: marks the
// periods stale under a new job name, which it returns. Only that job's end clears that mark
// (Store::clear_competency_periods_stale), so it lasts until the job is done whatever other jobs
// start or end meanwhile.
std::string mark_rebuild_started(Store& store);

// After a competency's definition changed (committed together with mark_rebuild_started's
// token): recomputes the periods of everyone who holds one of its codes or has a period of it,
// and of no one else. The users are found in one read snapshot (no lock), then refreshed in steps
// of steps.users of them, each step its own write transaction covering a range of user ids;
// a step also refreshes the users of its range who gained a period since the snapshot. The
// stale mark lasts until the last step, as in rebuild_competency_status. `between_steps` gets the
// number of users refreshed so far and the number found in the snapshot.
RebuildResult rebuild_competency_holders(Store& store, const std::string& competency, const std::string& token,
                                         const RebuildSteps& steps = {});

}  // namespace mcid
