#pragma once
// Rule 10 kept current. For every linked individual and competency the store holds the periods
// in which the individual qualifies; they are rewritten whenever what they depend on changes
// (links, credentials, competencies, reflection delays), inside the same transaction, so that
// competency status is a few index reads at any organization size. The layout and the counting
// are explained in src/store/migrations/0002_competency_periods.sql.
#include <mcid/policy.hpp>
#include <mcid/store.hpp>

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

    // After a change to the user's links: recomputes their periods.
    void refresh_user(std::int64_t user_id);
    // After a change to an account's credentials or assessments: refreshes its linked user.
    void refresh_account(AccountKind kind, std::int64_t account_id);
    // Whether a credential with this code can change anything (some competency requires it).
    bool counts(std::string_view code) const { return m_index.competencies_of(code) != nullptr; }
    // Recomputes every individual's periods of one competency, or of all of them (which also
    // clears the stale mark of a store migrated from schema 1).
    RebuildResult rebuild(const std::optional<std::string>& competency = std::nullopt);

private:
    Store& m_store;
    Policy m_policy;
    std::vector<Competency> m_competencies;
    CompetencyIndex m_index;
};

}  // namespace mcid
