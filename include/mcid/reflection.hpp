#pragma once
// Rule 6 in one place: when a credential shows in reports, and whether it has expired. Used by
// whoami, the skills report and competency status alike.
#include <mcid/policy.hpp>
#include <mcid/types.hpp>

#include <optional>
#include <string_view>

namespace mcid {

// A credential passed before the day of the link is reflected `reflection.existing` after the
// link; one passed on or after that day `reflection.new` after its passed date (midnight UTC).
// Without a passed date it counts as existing.
Instant reflection_time(std::optional<Date> passed_on, Instant linked_at, const Policy& policy);
// The same from stored text ('' = no date), for streamed report rows.
Instant reflection_time(std::string_view passed_on, Instant linked_at, const Policy& policy);
// A credential is expired from its expiry date on (it is valid through the day before).
bool is_expired(std::string_view expires_on, Instant now);

}  // namespace mcid
