#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/policy.hpp>
#include <mcid/retention.hpp>

#include <fmt/format.h>

namespace mcid {

std::string Retention::pseudonym(const std::string& email) {
    // The key is random per store and made once, so a pseudonym cannot be matched to an email
    // by hashing guesses without the store itself.
    auto key = m_store.config_get("retention.pseudonym_key");
    if (!key) {
        key = crypto::digest_hex(crypto::new_session_token());
        m_store.config_set("retention.pseudonym_key", *key);
    }
    return "erased-" + crypto::digest_hex(*key + ":" + email).substr(0, 16) + "@erased.invalid";
}

void Retention::erase(const User& user) {
    const std::string alias = pseudonym(user.email);
    m_store.erase_user(user.id, alias, m_clock.now());
    AuditLog(m_store, m_clock)
        .record({"-", user.org_id, "user.erase", alias, "ok",
                 "personal data erased after the restore window (email, name, password, invitation)", ""});
}

std::size_t Retention::erase_due(std::size_t limit) {
    Policy policy;
    std::vector<std::int64_t> due;
    const Instant now = m_clock.now();
    {
        auto read = m_store.begin_read();
        policy = Policy::load(m_store);
        due = m_store.users_due_for_erasure(now - policy.retention_restore.seconds - 1, limit);
    }
    if (due.empty()) {
        return 0;
    }
    auto tx = m_store.begin_write();
    std::size_t erased = 0;
    for (const auto id : m_store.users_due_for_erasure(now - policy.retention_restore.seconds - 1, limit)) {
        if (const auto user = m_store.find_user(id)) {
            erase(*user);
            ++erased;
        }
    }
    tx->commit();
    return erased;
}

}  // namespace mcid
