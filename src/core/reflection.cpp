#include <mcid/reflection.hpp>

namespace mcid {

Instant reflection_time(std::optional<Date> passed_on, Instant linked_at, const Policy& policy) {
    if (!passed_on || *passed_on < Date::of(linked_at)) {
        return linked_at + policy.reflection_existing.seconds;
    }
    return passed_on->midnight() + policy.reflection_new.seconds;
}

Instant reflection_time(std::string_view passed_on, Instant linked_at, const Policy& policy) {
    return reflection_time(passed_on.empty() ? std::nullopt : std::optional<Date>(Date::parse(passed_on, "passed_on")),
                           linked_at, policy);
}

bool is_expired(std::string_view expires_on, Instant now) {
    return !expires_on.empty() && Date::parse(expires_on, "expires_on") <= Date::of(now);
}

}  // namespace mcid
