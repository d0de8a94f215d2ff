#include "core/crypto.hpp"
#include "core/signin.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/policy.hpp>
#include <mcid/write_unit.hpp>

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
    return run_write_unit(m_store, [&]() -> bool {
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
    });
}

SignIn Identity::login(const Email& email, std::string_view password, std::optional<Duration> ttl) {
    const Instant now = m_clock.now();
    Policy policy;
    {
        auto read = m_store.begin_read();
        policy = Policy::load(m_store);
    }
    const Duration lifetime = ttl.value_or(policy.session_ttl);
    if (lifetime.seconds > k_max_session_ttl) {
        throw UsageError("--ttl: at most 90d");
    }
    AuditLog audit(m_store, m_clock);
    const std::string subject = throttle_subject("login", email.value);
    // Found anew in each transaction of the attempt: the account may change in between. Unknown
    // and inactive accounts are counted and locked as active ones are, and answer the same.
    std::optional<User> user;
    const auto counters = [&]() -> AttemptCounters {
        user = m_store.find_user_by_email(email.value);
        if (!user) {
            return {[&] { return m_store.find_throttle(subject); },
                    [&](const Attempts& a) { m_store.save_throttle(subject, a); }};
        }
        return {[&] { return Attempts{user->failed_logins, user->locked_until}; },
                [&](const Attempts& a) {
                    user->failed_logins = a.failed;
                    user->locked_until = a.locked_until;
                    m_store.update_user(*user);
                }};
    };
    std::string hash;
    bool active = false;
    {
        auto read = m_store.begin_read();
        if (const auto found = m_store.find_user_by_email(email.value)) {
            hash = found->password_hash;
            active = found->status == UserStatus::active;
        }
    }
    const auto verify = [&] {
        if (!active) {
            crypto::burn_password_time();
            return false;
        }
        return crypto::verify_password(hash, password);
    };
    SignIn result;
    const auto record = [&](const AttemptOutcome& o) {
        const std::optional<std::int64_t> org = user ? user->org_id : std::nullopt;
        if (o.verdict == Verdict::good && user && user->status == UserStatus::active) {
            result.token = crypto::new_session_token();
            result.expires_at = now + lifetime.seconds;
            result.actor = Actor{user->id, user->email, user->name, user->role, user->org_id};
            m_store.insert_session(crypto::digest_hex(result.token), user->id, now, result.expires_at);
            audit.record({user->email, org, "login", user->email, "ok",
                          fmt::format("session until {}", format_instant(result.expires_at)), ""});
            return;
        }
        const std::string why = !user ? "unknown account"
                                : user->status != UserStatus::active
                                    ? fmt::format("account is {}", to_string(user->status))
                                    : "wrong password";
        audit.record({email.value, org, "login", email.value, "denied", denied_detail(o, why), ""});
    };
    const AttemptOutcome o = attempt_sign_in(m_store, now, counters, verify, record);
    if (o.verdict == Verdict::locked) {
        throw AuthError(fmt::format("account locked until {} after repeated failed sign-ins",
                                    format_instant(o.locked_until)),
                        "wait, or ask an admin to check the audit log");
    }
    if (o.just_locked) {
        throw AuthError(fmt::format("{}; after {} failures in a row the account is locked until {}", k_login_failed,
                                    k_lockout_failures, format_instant(o.locked_until)));
    }
    if (o.verdict != Verdict::good || result.token.empty()) {
        throw AuthError(k_login_failed);
    }
    return result;
}

Actor Identity::authenticate(std::string_view token) {
    if (token.empty()) {
        throw AuthError("not signed in", k_login_hint);
    }
    // Two statements, no transaction around them (on a server: two round trips, not four): a
    // user changed between them is read as changed, and one no longer active is refused.
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
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        const std::string hash = crypto::digest_hex(token);
        if (const auto session = m_store.find_session(hash)) {
            m_store.delete_session(hash);
            const auto user = m_store.find_user(session->user_id);
            AuditLog(m_store, m_clock)
                .record({user ? user->email : "-", user ? user->org_id : std::nullopt, "logout",
                         user ? user->email : "-", "ok", "", ""});
        }
        tx->commit();
    });
}

}  // namespace mcid
