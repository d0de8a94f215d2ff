#include <mcid/error.hpp>
#include <mcid/policy.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/reflection.hpp>
#include <mcid/reports.hpp>

#include <fmt/format.h>

#include <unordered_map>

namespace mcid {
namespace {

// Formats instants as dates, remembering the last one (rows of one individual share it).
class DateText {
public:
    std::string_view of(Instant t) {
        if (t != m_last || m_text.empty()) {
            m_last = t;
            m_text = Date::of(t).str();
        }
        return m_text;
    }

private:
    Instant m_last = 0;
    std::string m_text;
};

}  // namespace

Org Reports::single_org(const Actor& actor, const std::optional<MpnId>& org) {
    auto scope = resolve_org_scope(m_store, actor, org, Need::any_admin);
    if (!scope) {
        throw UsageError("--org: the operator must name the organization (--org MPN_ID)");
    }
    return *scope;
}

std::int64_t Reports::skills(const Actor& actor, const std::optional<MpnId>& org, IncludePending pending, RowSink& sink,
                             PendingLeftOut* left_out) {
    auto tx = m_store.begin_read();
    const auto scope = resolve_org_scope(m_store, actor, org, Need::any_admin);
    const Policy policy = Policy::load(m_store);
    const Instant now = m_clock.now();
    std::unordered_map<std::string, std::string> relevant;  // code -> "A;B"
    for (const auto& c : m_store.list_competencies()) {
        for (const auto& code : c.codes) {
            auto& names = relevant[code];
            names += (names.empty() ? "" : ";") + c.name;
        }
    }
    sink.begin(k_skills_columns);
    std::int64_t rows = 0;
    std::string mcid_text;
    std::string code_key;
    DateText linked_text, reflected_text;
    std::array<Cell, k_skills_columns.size()> cells;
    m_store.for_each_skill_source(scope ? std::optional(scope->id) : std::nullopt, [&](const SkillSourceRow& r) {
        const Instant reflected_at = reflection_time(r.passed_on, r.linked_at, policy);
        const bool reflected = now >= reflected_at;
        if (!reflected && pending == IncludePending::no) {
            if (left_out) {
                if (left_out->rows == 0 || reflected_at < left_out->first_reflected_at) {
                    left_out->first_reflected_at = reflected_at;
                }
                ++left_out->rows;
            }
            return;
        }
        const bool learning = r.source == AccountKind::profile;
        if (learning) {
            mcid_text = std::to_string(r.account_id);
        }
        code_key.assign(r.code);
        const auto rel = relevant.find(code_key);
        cells = {Cell::of(r.mpn_id),
                 Cell::of(r.organization),
                 Cell::of(r.user_email),
                 Cell::of(r.user_name),
                 learning ? Cell::of(mcid_text) : Cell::none(),
                 Cell::of(learning ? "learning" : "partner-university"),
                 Cell::of(r.credential_type),
                 Cell::maybe(r.code),
                 Cell::of(r.title),
                 Cell::maybe(r.passed_on),
                 Cell::maybe(r.expires_on),
                 Cell::of(is_expired(r.expires_on, now) ? "expired" : "active"),
                 Cell::of(rel == relevant.end() ? std::string_view() : std::string_view(rel->second)),
                 Cell::of(linked_text.of(r.linked_at)),
                 Cell::of(reflected_text.of(reflected_at)),
                 Cell::of(reflected ? "reflected" : "pending")};
        sink.row(cells);
        ++rows;
    });
    sink.end();
    return rows;
}

std::int64_t Reports::users(const Actor& actor, const std::optional<MpnId>& org, RowSink& sink) {
    auto tx = m_store.begin_read();
    const Org scope = single_org(actor, org);
    sink.begin(k_users_columns);
    std::int64_t rows = 0;
    m_store.for_each_user_report_row(scope.id, [&](const UserReportRow& r) {
        const std::string invited = Date::of(r.user->invited_at).str();
        const std::string mcid = r.mcid ? std::to_string(*r.mcid) : std::string();
        const std::string linked = r.learning_linked_at ? Date::of(*r.learning_linked_at).str() : std::string();
        const std::string associated =
            r.university_associated_at ? Date::of(*r.university_associated_at).str() : std::string();
        const std::array<Cell, k_users_columns.size()> cells = {
            Cell::of(r.user->email), Cell::of(r.user->name), Cell::of(to_string(r.user->role)),
            Cell::of(to_string(r.user->status)), Cell::of(invited), Cell::maybe(mcid), Cell::maybe(linked),
            r.university_login ? Cell::of(*r.university_login) : Cell::none(), Cell::maybe(associated)};
        sink.row(cells);
        ++rows;
    });
    sink.end();
    return rows;
}

std::int64_t Reports::competencies(const Actor& actor, const std::optional<MpnId>& org, RowSink& sink) {
    auto tx = m_store.begin_read();
    const Org scope = single_org(actor, org);
    const Instant now = m_clock.now();
    const auto defined = m_store.list_competencies();
    // The kept periods answer in a few index reads; a store migrated from schema 1 has none until
    // `db rebuild`, and then the credentials are read instead (same result, slower).
    const QualifiedCounts counts = m_store.competency_periods_stale() ? count_qualified_from_holdings(m_store, scope.id, now)
                                                                      : m_store.count_qualified(scope.id, now);
    std::unordered_map<std::string, std::int64_t> qualified(counts.begin(), counts.end());
    sink.begin(k_competency_columns);
    for (const auto& c : defined) {
        std::string codes;
        for (const auto& code : c.codes) {
            codes += (codes.empty() ? "" : ";") + code;
        }
        const std::int64_t have = qualified.count(c.name) ? qualified[c.name] : 0;
        const std::array<Cell, k_competency_columns.size()> cells = {
            Cell::of(c.name), Cell::of(codes), Cell::of(c.individuals), Cell::of(have),
            Cell::of(have >= c.individuals ? "met" : "not-met")};
        sink.row(cells);
    }
    sink.end();
    return static_cast<std::int64_t>(defined.size());
}

}  // namespace mcid
