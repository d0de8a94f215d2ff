#include "core/crypto.hpp"

#include <mcid/qualifications.hpp>
#include <mcid/reflection.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <unordered_set>

namespace mcid {
namespace {

Holding own(const HoldingRow& row) {
    return Holding{std::string(row.code), std::string(row.passed_on), std::string(row.expires_on), row.linked_at};
}

}  // namespace

CompetencyIndex::CompetencyIndex(const std::vector<Competency>& competencies) {
    for (const auto& c : competencies) {
        for (const auto& code : c.codes) {
            m_by_code[code].push_back(c.name);
        }
    }
}

const std::vector<std::string>* CompetencyIndex::competencies_of(std::string_view code) const {
    const auto it = m_by_code.find(std::string(code));
    return it == m_by_code.end() ? nullptr : &it->second;
}

std::vector<CompetencyPeriod> qualifying_periods(const std::vector<Holding>& holdings, const CompetencyIndex& index,
                                                 const Policy& policy) {
    std::vector<CompetencyPeriod> all;
    for (const auto& h : holdings) {
        const auto* names = index.competencies_of(h.code);
        if (!names) {
            continue;
        }
        const Instant starts = reflection_time(h.passed_on, h.linked_at, policy);
        // Expired from the expiry date on (is_expired): the period ends at its midnight.
        const Instant ends = h.expires_on.empty() ? k_never : Date::parse(h.expires_on, "expires_on").midnight();
        if (starts >= ends) {
            continue;  // expired before it was ever reflected
        }
        for (const auto& name : *names) {
            all.push_back(CompetencyPeriod{name, starts, ends});
        }
    }
    std::sort(all.begin(), all.end(), [](const CompetencyPeriod& a, const CompetencyPeriod& b) {
        return a.competency != b.competency ? a.competency < b.competency : a.starts_at < b.starts_at;
    });
    std::vector<CompetencyPeriod> merged;
    for (auto& p : all) {
        if (!merged.empty() && merged.back().competency == p.competency && p.starts_at <= merged.back().ends_at) {
            merged.back().ends_at = std::max(merged.back().ends_at, p.ends_at);
        } else {
            merged.push_back(std::move(p));
        }
    }
    return merged;
}

QualifiedCounts count_qualified_from_holdings(Store& store, std::int64_t org_id, Instant at) {
    const Policy policy = Policy::load(store);
    const auto defined = store.list_competencies();
    const CompetencyIndex index(defined);
    std::map<std::string, std::unordered_set<std::int64_t>> qualified;
    store.for_each_holding(org_id, [&](const HoldingRow& h) {
        const auto* names = index.competencies_of(h.code);
        if (!names || at < reflection_time(h.passed_on, h.linked_at, policy) || is_expired(h.expires_on, at)) {
            return;
        }
        for (const auto& name : *names) {
            qualified[name].insert(h.user_id);
        }
    });
    QualifiedCounts out;
    for (const auto& c : defined) {
        const auto it = qualified.find(c.name);
        out.emplace_back(c.name, it == qualified.end() ? 0 : static_cast<std::int64_t>(it->second.size()));
    }
    return out;
}

CompetencyStatus::CompetencyStatus(Store& store)
    : m_store(store), m_policy(Policy::load(store)), m_competencies(store.list_competencies()),
      m_index(m_competencies) {}

std::size_t CompetencyStatus::refresh_user(std::int64_t user_id) {
    std::vector<Holding> holdings;
    std::int64_t org_id = 0;
    m_store.for_each_holding_of_user(user_id, [&](const HoldingRow& row) {
        org_id = row.org_id;
        holdings.push_back(own(row));
    });
    const auto periods = qualifying_periods(holdings, m_index, m_policy);
    m_store.replace_competency_periods(user_id, org_id, periods);
    return periods.size();
}

void CompetencyStatus::refresh_account(AccountKind kind, std::int64_t account_id) {
    if (const auto link = m_store.find_link(kind, account_id)) {
        refresh_user(link->user_id);
    }
}

namespace {

// Groups holdings (ordered by user) by user and writes each user's periods.
class PeriodWriter {
public:
    PeriodWriter(Store& store, const CompetencyIndex& index, const Policy& policy)
        : m_store(store), m_index(index), m_policy(policy) {}
    void add(const HoldingRow& row) {
        if (row.user_id != m_user_id) {
            flush();
            m_user_id = row.user_id;
            m_org_id = row.org_id;
        }
        m_holdings.push_back(own(row));
    }
    RebuildResult finish() {
        flush();
        return m_result;
    }

private:
    void flush() {
        if (m_holdings.empty()) {
            return;
        }
        const auto periods = qualifying_periods(m_holdings, m_index, m_policy);
        m_store.add_competency_periods(m_user_id, m_org_id, periods);
        ++m_result.users;
        m_result.periods += static_cast<std::int64_t>(periods.size());
        m_holdings.clear();
    }

    Store& m_store;
    const CompetencyIndex& m_index;
    const Policy& m_policy;
    std::int64_t m_user_id = -1;
    std::int64_t m_org_id = 0;
    std::vector<Holding> m_holdings;
    RebuildResult m_result;
};

// The last step of a job, in its transaction: clears the job's own stale mark (others' stand).
void mark_rebuild_done(Store& store, const std::string& token) {
    store.clear_competency_periods_stale(token);
}

// The ids of `a` and `b` (each ascending), ascending and without repeats.
std::vector<std::int64_t> merged_ids(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
    std::vector<std::int64_t> out;
    out.reserve(a.size() + b.size());
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace

bool periods_never_built(const std::vector<std::string>& stale_jobs) {
    return std::find(stale_jobs.begin(), stale_jobs.end(), std::string()) != stale_jobs.end();
}

std::string mark_rebuild_started(Store& store) {
    std::string token = "rebuild-" + crypto::digest_hex(crypto::new_session_token()).substr(0, 16);
    store.mark_competency_periods_stale(token);
    return token;
}

RebuildResult rebuild_competency_holders(Store& store, const std::string& competency, const std::string& token,
                                         const RebuildSteps& steps) {
    // Who to refresh, read from one snapshot without the write lock: the holders of its codes
    // (through the code indexes; a competency nobody holds reads nothing) and whoever has a
    // period of it (a code the definition dropped).
    std::vector<std::int64_t> users;
    {
        auto tx = store.begin_read();
        std::vector<std::int64_t> holders;
        store.for_each_holding_by_user(competency, [&](const HoldingRow& row) {
            if (holders.empty() || holders.back() != row.user_id) {
                holders.push_back(row.user_id);
            }
        });
        users = merged_ids(holders, store.users_with_competency_periods(competency, 1, store.last_user_id()));
    }
    const std::size_t size = static_cast<std::size_t>(std::max<std::int64_t>(steps.users_for(store), 1));
    RebuildResult result;
    std::int64_t first = 1;  // the steps' ranges of user ids are contiguous, from 1 to the end
    for (std::size_t at = 0;; at += size) {
        const bool final_step = at + size >= users.size();
        auto tx = store.begin_write();
        // Users added since the snapshot got their periods from their own commands, under the new
        // definition; the last step's range reaches past them.
        const std::int64_t last = final_step ? store.last_user_id() : users[at + size - 1];
        const auto begin = users.begin() + static_cast<std::ptrdiff_t>(std::min(at, users.size()));
        const auto end = users.begin() + static_cast<std::ptrdiff_t>(std::min(at + size, users.size()));
        // Someone who linked since the snapshot has periods from their own command; refreshing
        // them again is harmless, and someone who lost them since is refreshed to nothing.
        const auto ids = merged_ids(std::vector<std::int64_t>(begin, end),
                                    store.users_with_competency_periods(competency, first, last));
        CompetencyStatus status(store);
        for (const std::int64_t id : ids) {
            result.periods += static_cast<std::int64_t>(status.refresh_user(id));
        }
        result.users += static_cast<std::int64_t>(ids.size());
        if (final_step) {
            mark_rebuild_done(store, token);
        }
        tx->commit();
        if (final_step) {
            return result;
        }
        first = last + 1;
        pause_for_other_writers();
        if (steps.between_steps) {
            steps.between_steps(static_cast<std::int64_t>(at + size), static_cast<std::int64_t>(users.size()));
        }
    }
}

RebuildResult CompetencyStatus::rebuild_users(std::int64_t first, std::int64_t last) {
    m_store.clear_competency_periods_of_users(first, last);
    PeriodWriter writer(m_store, m_index, m_policy);
    m_store.for_each_holding_of_users(first, last, [&](const HoldingRow& row) { writer.add(row); });
    return writer.finish();
}

RebuildResult rebuild_competency_status(Store& store, const std::function<void(const RebuildResult&)>& finish,
                                        const RebuildSteps& steps) {
    const std::int64_t size = std::max<std::int64_t>(steps.users_for(store), 1);
    std::string token;
    std::vector<std::string> earlier;  // the marks standing now: this rebuild's steps all come after their changes
    std::int64_t last = 0;
    {
        auto tx = store.begin_write();
        earlier = store.competency_periods_stale_jobs();
        token = mark_rebuild_started(store);
        last = store.last_user_id();
        tx->commit();
    }
    RebuildResult result;
    for (std::int64_t first = 1;; first += size) {
        const bool final_step = first + size > last;
        if (final_step) {
            // competency_ends may have drifted apart from the periods (db check's finding). The
            // organizations where they have are found in a read snapshot (every command since
            // keeps the counts in step) and only those are recounted, one transaction each:
            // recounting the largest organization takes over a second at a million users.
            std::vector<std::int64_t> drifted;
            {
                auto tx = store.begin_read();
                drifted = store.orgs_with_competency_ends_mismatches();
            }
            for (const std::int64_t org_id : drifted) {
                auto tx = store.begin_write();
                store.recount_competency_ends(org_id);
                tx->commit();
                pause_for_other_writers();
            }
        }
        auto tx = store.begin_write();
        // Users added since the first step already got their periods from their own commands; a
        // step reaching past `last` covers them too.
        const std::int64_t upto = final_step ? store.last_user_id() : first + size - 1;
        const RebuildResult step = CompetencyStatus(store).rebuild_users(first, upto);
        result.users += step.users;
        result.periods += step.periods;
        if (final_step) {
            mark_rebuild_done(store, token);
            for (const auto& job : earlier) {
                store.clear_competency_periods_stale(job);
            }
            if (finish) {
                finish(result);
            }
        }
        tx->commit();
        if (final_step) {
            return result;
        }
        pause_for_other_writers();
        if (steps.between_steps) {
            steps.between_steps(upto, last);
        }
    }
}

}  // namespace mcid
