#pragma once
// The operator's policy: the config keys of PRODUCT.md with their defaults and validation.
#include <mcid/store.hpp>
#include <mcid/types.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mcid {

struct ConfigKey {
    std::string_view key;
    std::string_view default_value;
    std::string_view description;
};

// The known keys, in a stable order.
const std::vector<ConfigKey>& config_keys();
// The value as it will be stored ("72h"); throws UsageError naming the key for an unknown key
// or a bad value.
std::string normalize_config_value(std::string_view key, std::string_view value);

struct Policy {
    std::int64_t association_limit = 5;
    Duration reflection_existing{72 * 3600};
    Duration reflection_new{10 * 86400};
    Duration invitation_ttl{14 * 86400};
    Duration retention_restore{30 * 86400};
    Duration session_ttl{12 * 3600};

    static Policy load(Store& store);
};

inline constexpr std::int64_t k_max_session_ttl = 90LL * 86400;
inline constexpr int k_lockout_failures = 5;
inline constexpr std::int64_t k_lockout_seconds = 15 * 60;
inline constexpr std::int64_t k_association_window = 365LL * 86400;

}  // namespace mcid
