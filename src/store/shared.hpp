#pragma once
// What both stores (SqliteStore, PgStore) do the same way, beyond their SQL.
#include <mcid/store.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace mcid::store {

// Whether a user's stored periods (each with its organization) are exactly `periods` in
// organization `org_id`, in any order: then a replace has nothing to do (the common case in a
// registry import).
inline bool same_periods(const std::vector<std::pair<CompetencyPeriod, std::int64_t>>& stored,
                         const std::vector<CompetencyPeriod>& periods, std::int64_t org_id) {
    if (stored.size() != periods.size()) {
        return false;
    }
    const auto by_start = [](const CompetencyPeriod& a, const CompetencyPeriod& b) {
        return std::tie(a.competency, a.starts_at) < std::tie(b.competency, b.starts_at);
    };
    std::vector<CompetencyPeriod> was;
    for (const auto& [period, org] : stored) {
        if (org != org_id) {
            return false;
        }
        was.push_back(period);
    }
    std::vector<CompetencyPeriod> now = periods;
    std::sort(was.begin(), was.end(), by_start);
    std::sort(now.begin(), now.end(), by_start);
    return was == now;
}

// derived_stale's row for a job's stale mark on competency_periods (Store::mark_competency_
// periods_stale): 'competency_periods' for the mark of no job, 'competency_periods/JOB' for JOB's.
// MCID_STALE_MARKS is the condition that finds them all.
#define MCID_STALE_JOB_PREFIX "competency_periods/"
#define MCID_STALE_MARKS "(name = 'competency_periods' OR substr(name, 1, 19) = '" MCID_STALE_JOB_PREFIX "')"
inline std::string stale_mark_name(const std::string& job) {
    return job.empty() ? std::string("competency_periods") : MCID_STALE_JOB_PREFIX + job;
}
inline std::string stale_mark_job(const std::string& name) {
    constexpr std::size_t prefix = sizeof(MCID_STALE_JOB_PREFIX) - 1;  // 19, as in MCID_STALE_MARKS
    static_assert(prefix == 19);
    return name.size() > prefix ? name.substr(prefix) : std::string();
}

// A transaction that nests: only the outermost one begins, commits or rolls back; inner ones
// join it. `exec` runs one statement on the store's connection; `depth` is the store's count of
// open transactions.
class NestedTransaction final : public Transaction {
public:
    NestedTransaction(int& depth, std::function<void(const char*)> exec, const char* begin)
        : m_depth(depth), m_exec(std::move(exec)) {
        m_owner = m_depth++ == 0;
        if (m_owner) {
            try {
                m_exec(begin);
            } catch (...) {
                --m_depth;
                try {
                    m_exec("ROLLBACK");  // a BEGIN of several statements may have begun before failing
                } catch (...) {          // nothing was begun
                }
                throw;
            }
        }
    }
    ~NestedTransaction() override {
        if (!m_done) {
            --m_depth;
            if (m_owner) {
                try {
                    m_exec("ROLLBACK");
                } catch (...) {  // the transaction may already be gone (I/O error, lost connection)
                }
            }
        }
    }
    NestedTransaction(const NestedTransaction&) = delete;
    NestedTransaction& operator=(const NestedTransaction&) = delete;
    void commit() override {
        if (m_owner) {
            m_exec("COMMIT");
        }
        m_done = true;
        --m_depth;
    }

private:
    int& m_depth;
    std::function<void(const char*)> m_exec;
    bool m_owner = false;
    bool m_done = false;
};

}  // namespace mcid::store
