#pragma once
// Reports for admins (rules 6, 7, 10): skills, users and competency status, streamed to a
// RowSink with exactly the columns of PRODUCT.md, in order.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/rows.hpp>
#include <mcid/store.hpp>

#include <array>
#include <optional>
#include <string_view>

namespace mcid {

enum class IncludePending { no, yes };

inline constexpr std::array<std::string_view, 16> k_skills_columns = {
    "mpn_id", "organization", "user_email", "user_name", "mcid", "source", "credential_type", "credential_code",
    "credential_title", "passed_on", "expires_on", "credential_status", "relevant_for", "linked_on", "reflected_on",
    "state"};
inline constexpr std::array<std::string_view, 9> k_users_columns = {
    "email", "name", "role", "status", "invited_on", "mcid", "learning_linked_on", "university_login",
    "university_associated_on"};
inline constexpr std::array<std::string_view, 5> k_competency_columns = {
    "competency", "required_codes", "individuals_required", "individuals_qualified", "status"};

// What a skills report without --include-pending left out: credentials not yet reflected.
struct PendingLeftOut {
    std::int64_t rows = 0;
    Instant first_reflected_at = 0;  // when the first of them appears (valid when rows > 0)
};

class Reports {
public:
    Reports(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Global Admins and Partner Admins of the organization; the operator for any `org` (all
    // organizations without one). PermissionDenied / NotFound as resolve_org_scope.
    // Returns the number of rows written.
    // Without IncludePending::yes, `left_out` (when given) counts the pending rows left out.
    std::int64_t skills(const Actor& actor, const std::optional<MpnId>& org, IncludePending pending, RowSink& sink,
                        PendingLeftOut* left_out = nullptr);
    std::int64_t users(const Actor& actor, const std::optional<MpnId>& org, RowSink& sink);
    std::int64_t competencies(const Actor& actor, const std::optional<MpnId>& org, RowSink& sink);

private:
    Org single_org(const Actor& actor, const std::optional<MpnId>& org);

    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
