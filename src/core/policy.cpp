#include <mcid/error.hpp>
#include <mcid/policy.hpp>

#include <fmt/format.h>

namespace mcid {

const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> k_keys = {
        {"association.limit", "5", "associations allowed per profile or Partner University account in 365 days"},
        {"reflection.existing", "72h", "delay before credentials passed before the link day show in reports"},
        {"reflection.new", "10d", "delay after the passed date for credentials passed on or after the link day"},
        {"invitation.ttl", "14d", "how long an invitation code stays valid"},
        {"retention.restore", "30d", "how long a purged account can be restored"},
        {"session.ttl", "12h", "default lifetime of a sign-in session (at most 90d)"},
    };
    return k_keys;
}

std::string normalize_config_value(std::string_view key, std::string_view value) {
    if (key == "association.limit") {
        return std::to_string(parse_count(value, key, 1000));
    }
    for (const auto& k : config_keys()) {
        if (k.key == key) {
            const Duration d = Duration::parse(value, key);
            if (key == "session.ttl" && d.seconds > k_max_session_ttl) {
                throw UsageError(fmt::format("{}: at most 90d", key));
            }
            return d.str();
        }
    }
    std::string known;
    for (const auto& k : config_keys()) {
        known += (known.empty() ? "" : ", ") + std::string(k.key);
    }
    throw UsageError(fmt::format("unknown config key '{}' (known keys: {})", key, known));
}

Policy Policy::load(Store& store) {
    Policy p;
    const auto config = store.config_all();  // one statement, not one per key
    const auto value = [&](std::string_view key) -> const std::string* {
        const auto it = config.find(key);
        return it == config.end() ? nullptr : &it->second;
    };
    const auto duration = [&](std::string_view key, Duration fallback) {
        const std::string* v = value(key);
        return v ? Duration::parse(*v, key) : fallback;
    };
    if (const std::string* v = value("association.limit")) {
        p.association_limit = parse_count(*v, "association.limit", 1000);
    }
    p.reflection_existing = duration("reflection.existing", p.reflection_existing);
    p.reflection_new = duration("reflection.new", p.reflection_new);
    p.invitation_ttl = duration("invitation.ttl", p.invitation_ttl);
    p.retention_restore = duration("retention.restore", p.retention_restore);
    p.session_ttl = duration("session.ttl", p.session_ttl);
    return p;
}

}  // namespace mcid
