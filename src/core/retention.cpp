#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/csv.hpp>
#include <mcid/policy.hpp>
#include <mcid/retention.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <unordered_map>

namespace mcid {
namespace {

bool email_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '%' || c == '+' || c == '-' || c == '@';
}

// `text` with every erased email in it replaced by its pseudonym (emails found around each '@').
std::string replace_emails(const std::string& text, const std::unordered_map<std::string, std::string>& aliases,
                           bool& changed) {
    std::string out;
    std::size_t copied = 0;
    for (std::size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + 1)) {
        std::size_t b = at;
        while (b > 0 && email_char(text[b - 1]) && text[b - 1] != '@') --b;
        std::size_t e = at + 1;
        while (e < text.size() && email_char(text[e]) && text[e] != '@') ++e;
        while (e > at + 1 && text[e - 1] == '.') --e;  // a sentence's full stop
        const auto it = aliases.find(normalize_header(std::string_view(text).substr(b, e - b)));
        if (it == aliases.end() || b < copied) {
            continue;
        }
        out.append(text, copied, b - copied);
        out += it->second;
        copied = e;
        changed = true;
    }
    out.append(text, copied, std::string::npos);
    return out;
}

// Accounts deleted at or before this instant are past restorable_until() at `now`.
Instant latest_erasable_deletion(Instant now, const Policy& policy) {
    return now - policy.retention_restore.seconds - 1;
}

}  // namespace

Instant restorable_until(const User& user, const Policy& policy) {
    return user.deleted_at.value_or(0) + policy.retention_restore.seconds;
}

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

void Retention::erase(const std::vector<User>& users) {
    if (users.empty()) {
        return;
    }
    std::unordered_map<std::string, std::string> aliases;
    for (const auto& u : users) {
        aliases.emplace(normalize_header(u.email), pseudonym(u.email));
    }
    // Seal the audit rows that name them (rule-2 rows; older rows cannot be sealed, see
    // docs/security.md): collected first, then updated, so the scan never sees its own writes.
    std::vector<AuditRecord> sealed;
    m_store.for_each_audit_from(AuditLog::rule2_from(m_store), [&](const AuditRecord& r) {
        bool changed = false;
        AuditRecord s = r;
        if (const auto it = aliases.find(normalize_header(r.actor)); it != aliases.end()) {
            s.actor = it->second;
            changed = true;
        }
        if (const auto it = aliases.find(normalize_header(r.target)); it != aliases.end()) {
            s.target = it->second;
            changed = true;
        }
        s.detail = replace_emails(r.detail, aliases, changed);
        if (!changed) {
            return;
        }
        if (s.sealed.empty()) {
            s.sealed = AuditLog::seal_digests(r);
        }
        sealed.push_back(std::move(s));
    });
    for (const auto& s : sealed) {
        m_store.seal_audit(s);
    }
    AuditLog audit(m_store, m_clock);
    for (const auto& u : users) {
        const std::string& alias = aliases.at(normalize_header(u.email));
        m_store.erase_user(u.id, alias, m_clock.now());
        audit.record({"-", u.org_id, "user.erase", alias, "ok",
                      "personal data erased after the restore window (email, name, password, invitation; "
                      "audit rows sealed)",
                      ""});
    }
}

std::size_t Retention::erase_due(std::size_t limit) {
    const Instant now = m_clock.now();
    // Every command ends here, and almost always finds no one: two statements, no transaction
    // (the unit below reads again under the write lock).
    const Policy policy = Policy::load(m_store);
    if (m_store.users_due_for_erasure(latest_erasable_deletion(now, policy), 1).empty()) {
        return 0;
    }
    return run_write_unit(m_store, [&]() -> std::size_t {
        auto tx = m_store.begin_write();
        std::vector<User> users;
        for (const auto id : m_store.users_due_for_erasure(latest_erasable_deletion(now, policy), limit)) {
            if (auto user = m_store.find_user(id)) {
                users.push_back(std::move(*user));
            }
        }
        erase(users);
        tx->commit();
        return users.size();
    });
}

std::size_t Retention::overdue() {
    auto read = m_store.begin_read();
    const Policy policy = Policy::load(m_store);
    return m_store.users_due_for_erasure(latest_erasable_deletion(m_clock.now(), policy), 1000000).size();
}

}  // namespace mcid
