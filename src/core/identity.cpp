#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/policy.hpp>

#include <fmt/format.h>

namespace mcid {
namespace {

const char* const k_login_failed = "sign-in failed: wrong email or password";
const char* const k_login_hint = "run 'mcidctl login EMAIL'";

}  // namespace

void check_new_password(std::string_view password) {
    if (password.size() < 12) {
        throw UsageError("password: at least 12 characters are needed");
    }
    if (password.size() > 1024) {
        throw UsageError("password: at most 1024 characters");
    }
}

std::string make_password_hash(std::string_view password) {
    check_new_password(password);
    return crypto::hash_password(password);
}

bool Identity::init(const Email& operator_email, std::string_view password) {
    check_new_password(password);
    {
        auto read = m_store.begin_read();
        if (m_store.any_operator()) {
            const auto existing = m_store.find_user_by_email(operator_email.value);
            read.reset();
            if (existing && existing->role == Role::operator_ &&
                crypto::verify_password(existing->password_hash, password)) {
                return false;
            }
            throw Conflict(fmt::format("store {} is already initialized", m_store.path()),
                           "sign in with 'mcidctl login EMAIL', or pass --db PATH for a new store");
        }
    }
    const std::string hash = crypto::hash_password(password);
    auto tx = m_store.begin_write();
    if (m_store.any_operator()) {
        throw Conflict(fmt::format("store {} is already initialized", m_store.path()));
    }
    User op;
    op.email = operator_email.value;
    op.name = "Operator";
    op.role = Role::operator_;
    op.status = UserStatus::active;
    op.password_hash = hash;
    op.invited_at = m_clock.now();
    op.accepted_at = op.invited_at;
    op.id = m_store.insert_user(op);
    AuditLog(m_store, m_clock).record({op.email, std::nullopt, "init", op.email, "ok", "store initialized", ""});
    tx->commit();
    return true;
}

SignIn Identity::login(const Email& email, std::string_view password, std::optional<Duration> ttl) {
    const Instant now = m_clock.now();
    Policy policy;
    std::optional<User> user;
    {
        auto read = m_store.begin_read();
        policy = Policy::load(m_store);
        user = m_store.find_user_by_email(email.value);
    }
    const Duration lifetime = ttl.value_or(policy.session_ttl);
    if (lifetime.seconds > k_max_session_ttl) {
        throw UsageError("--ttl: at most 90d");
    }
    AuditLog audit(m_store, m_clock);
    const auto fail = [&](const std::string& detail, const Error& error) {
        auto tx = m_store.begin_write();
        audit.record({email.value, user ? user->org_id : std::nullopt, "login", email.value, "denied", detail, ""});
        tx->commit();
        throw error;
    };
    if (!user || user->status != UserStatus::active) {
        crypto::burn_password_time(password);
        fail(user ? fmt::format("account is {}", to_string(user->status)) : "unknown account",
             AuthError(k_login_failed));
    }
    if (user->locked_until > now) {
        fail("account locked", AuthError(fmt::format("account locked until {} after repeated failed sign-ins",
                                                     format_instant(user->locked_until)),
                                         "wait, or ask an admin to check the audit log"));
    }
    // Hash outside the write lock: Argon2 is slow on purpose, other writers need not wait for it.
    const bool good = crypto::verify_password(user->password_hash, password);
    auto tx = m_store.begin_write();
    auto fresh = m_store.find_user(user->id);
    if (!fresh || fresh->status != UserStatus::active) {
        tx.reset();
        fail("account no longer active", AuthError(k_login_failed));
    }
    if (!good) {
        fresh->failed_logins += 1;
        std::string detail = fmt::format("wrong password ({} in a row)", fresh->failed_logins);
        if (fresh->failed_logins >= k_lockout_failures) {
            fresh->locked_until = now + k_lockout_seconds;
            fresh->failed_logins = 0;
            detail += fmt::format("; locked until {}", format_instant(fresh->locked_until));
        }
        m_store.update_user(*fresh);
        audit.record({email.value, fresh->org_id, "login", email.value, "denied", detail, ""});
        tx->commit();
        if (fresh->locked_until > now) {
            throw AuthError(fmt::format("{}; after {} failures in a row the account is locked until {}", k_login_failed,
                                        k_lockout_failures, format_instant(fresh->locked_until)));
        }
        throw AuthError(k_login_failed);
    }
    fresh->failed_logins = 0;
    fresh->locked_until = 0;
    m_store.update_user(*fresh);
    SignIn result;
    result.token = crypto::new_session_token();
    result.expires_at = now + lifetime.seconds;
    result.actor = Actor{fresh->id, fresh->email, fresh->name, fresh->role, fresh->org_id};
    m_store.insert_session(crypto::digest_hex(result.token), fresh->id, now, result.expires_at);
    audit.record({fresh->email, fresh->org_id, "login", fresh->email, "ok",
                  fmt::format("session until {}", format_instant(result.expires_at)), ""});
    tx->commit();
    return result;
}

Actor Identity::authenticate(std::string_view token) {
    if (token.empty()) {
        throw AuthError("not signed in", k_login_hint);
    }
    auto tx = m_store.begin_read();
    const auto session = m_store.find_session(crypto::digest_hex(token));
    if (!session || session->expires_at <= m_clock.now()) {
        throw AuthError("session expired or revoked", k_login_hint);
    }
    const auto user = m_store.find_user(session->user_id);
    if (!user || user->status != UserStatus::active) {
        throw AuthError("session expired or revoked", k_login_hint);
    }
    return Actor{user->id, user->email, user->name, user->role, user->org_id};
}

void Identity::logout(std::string_view token) {
    if (token.empty()) {
        return;
    }
    auto tx = m_store.begin_write();
    const std::string hash = crypto::digest_hex(token);
    if (const auto session = m_store.find_session(hash)) {
        m_store.delete_session(hash);
        const auto user = m_store.find_user(session->user_id);
        AuditLog(m_store, m_clock).record({user ? user->email : "-", user ? user->org_id : std::nullopt, "logout",
                                           user ? user->email : "-", "ok", "", ""});
    }
    tx->commit();
}

}  // namespace mcid
