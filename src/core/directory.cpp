#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/directory.hpp>
#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/policy.hpp>
#include <mcid/retention.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace mcid {

std::string Directory::mpn_of(const User& user) {
    if (!user.org_id) {
        return {};
    }
    const auto org = m_store.find_org(*user.org_id);
    return org ? org->mpn_id : std::string();
}

Invitation Directory::invite_in_transaction(const Actor& actor, const Org& org, const Email& email,
                                            const std::string& name, Role role, InviteBatch* batch) {
    const Policy policy = batch ? batch->policy : Policy::load(m_store);
    if (const auto existing = m_store.find_user_by_email(email.value)) {
        if (existing->status != UserStatus::deleted) {
            throw Conflict(fmt::format("{} already has an account or invitation", email.value),
                           "use 'mcidctl user resend EMAIL' for a pending invitation");
        }
        // A rehired person: within the restore window the old account comes back with
        // `user restore`; after it, the old account's data is erased now and a new one starts.
        const Instant deadline = restorable_until(*existing, policy);
        if (m_clock.now() <= deadline) {
            throw Conflict(fmt::format("{} was purged on {} and can still be restored (until {})", email.value,
                                       Date::of(existing->deleted_at.value_or(0)).str(), Date::of(deadline).str()),
                           fmt::format("run 'mcidctl user restore {}'", email.value));
        }
        Retention(m_store, m_clock).erase({*existing});
    }
    Invitation inv;
    inv.email = email.value;
    inv.code = crypto::new_invitation_code();
    inv.expires_at = m_clock.now() + policy.invitation_ttl.seconds;
    User u;
    u.email = email.value;
    u.name = name;
    u.role = role;
    u.org_id = org.id;
    u.status = UserStatus::invited;
    u.invite_code_hash = crypto::digest_hex(inv.code);
    u.invited_at = m_clock.now();
    u.invite_expires_at = inv.expires_at;
    AuditEvent event{actor.email, org.id, "user.invite", email.value, "ok", fmt::format("role {}", to_string(role)),
                     ""};
    if (batch) {  // the batch stores its users and audit rows together later
        event.batch = batch->id;
        batch->users.push_back(std::move(u));
        batch->audit.push_back(std::move(event));
    } else {
        m_store.insert_user(u);
        AuditLog(m_store, m_clock).record(event);
    }
    return inv;
}

Invitation Directory::enroll_org(const Actor& actor, const MpnId& mpn_id, const std::string& name, const Email& admin,
                                 const std::optional<std::string>& admin_name) {
    return run_write_unit(m_store, [&]() -> Invitation {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        require_operator(me, "enroll organizations");
        if (m_store.find_org_by_mpn(mpn_id.value)) {
            throw Conflict(fmt::format("organization {} is already enrolled", mpn_id.value));
        }
        Org org{0, mpn_id.value, name, m_clock.now()};
        org.id = m_store.insert_org(org);
        AuditLog(m_store, m_clock).record({me.email, org.id, "org.enroll", mpn_id.value, "ok", name, ""});
        Invitation inv = invite_in_transaction(
            me, org, admin, admin_name.value_or(admin.value.substr(0, admin.value.find('@'))), Role::global_admin);
        tx->commit();
        return inv;
    });
}

std::vector<Org> Directory::list_orgs(const Actor& actor) {
    auto tx = m_store.begin_read();
    if (actor.is_operator()) {
        return m_store.list_orgs();
    }
    std::vector<Org> out;
    if (auto org = m_store.find_org(*actor.org_id)) {
        out.push_back(*org);
    }
    return out;
}

OrgSummary Directory::show_org(const Actor& actor, const MpnId& mpn_id) {
    auto tx = m_store.begin_read();
    auto org = m_store.find_org_by_mpn(mpn_id.value);
    if (!actor.is_operator() && (!org || org->id != actor.org_id)) {
        throw PermissionDenied(fmt::format("organization {} is not yours", mpn_id.value));
    }
    if (!org) {
        throw NotFound(fmt::format("no organization with MPN ID {}", mpn_id.value));
    }
    return OrgSummary{*org, m_store.count_users_of_org(org->id)};
}

Invitation Directory::invite(const Actor& actor, const InviteRequest& request) {
    return run_write_unit(m_store, [&]() -> Invitation {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        const auto org = resolve_org_scope(m_store, me, request.org, Need::global_admin);
        if (!org) {
            throw UsageError("--org: the operator must name the organization to invite into");
        }
        Invitation inv = invite_in_transaction(me, *org, request.email, request.name, request.role);
        tx->commit();
        return inv;
    });
}

namespace {

// Why an invitation cannot be accepted, for the audit; nullopt when it can.
std::optional<std::string> invitation_problem(const std::optional<User>& user, const InvitationCode& code, Instant now) {
    if (!user || user->status != UserStatus::invited) {
        return user ? fmt::format("no pending invitation (account {})", to_string(user->status))
                    : std::string("no pending invitation");
    }
    if (user->invite_code_hash != crypto::digest_hex(code.value)) {
        return std::string("wrong code");
    }
    if (user->invite_expires_at && *user->invite_expires_at <= now) {
        return std::string("expired code");
    }
    return std::nullopt;
}

}  // namespace

void Directory::check_invitation(const Email& email, const InvitationCode& code) {
    {
        auto read = m_store.begin_read();
        if (!invitation_problem(m_store.find_user_by_email(email.value), code, m_clock.now())) {
            return;
        }
    }
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        refuse_invitation(*tx, email, code);
    });
}

void Directory::refuse_invitation(Transaction& tx, const Email& email, const InvitationCode& code) {
    const auto user = m_store.find_user_by_email(email.value);
    const auto problem = invitation_problem(user, code, m_clock.now());
    if (!problem) {
        return;
    }
    AuditLog(m_store, m_clock)
        .record({email.value, user ? user->org_id : std::nullopt, "user.accept", email.value, "denied", *problem, ""});
    tx.commit();
    if (*problem == "expired code") {  // only the holder of the right code learns this
        throw AuthError(fmt::format("invitation expired on {}", Date::of(*user->invite_expires_at).str()),
                        "ask a Global Admin to run 'mcidctl user resend EMAIL'");
    }
    throw AuthError("invalid invitation code", "check the code, or ask a Global Admin for a new one ('mcidctl user resend')");
}

void Directory::accept(const Email& email, const InvitationCode& code, std::string_view password) {
    check_new_password(password);
    const std::string hash = crypto::hash_password(password);
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        refuse_invitation(*tx, email, code);
        auto user = m_store.find_user_by_email(email.value);
        user->status = UserStatus::active;
        user->password_hash = hash;
        user->invite_code_hash.clear();
        user->invite_expires_at.reset();
        user->accepted_at = m_clock.now();
        m_store.update_user(*user);
        AuditLog(m_store, m_clock).record({email.value, user->org_id, "user.accept", email.value, "ok", "", ""});
        tx->commit();
    });
}

User Directory::load_user_for(const Actor& actor, const Email& email, Need need) {
    auto user = m_store.find_user_by_email(email.value);
    if (!user) {
        if (!actor.is_operator() && actor.role != Role::global_admin &&
            !(need == Need::any_admin && actor.role == Role::partner_admin)) {
            throw PermissionDenied(fmt::format("{} may not do this", to_string(actor.role)));
        }
        throw NotFound(fmt::format("no user {}", email.value));
    }
    if (user->role == Role::operator_) {
        throw PermissionDenied("the operator account is managed with 'mcidctl init' only");
    }
    require_same_org(actor, *user, need);
    return *user;
}

User Directory::load_changeable_user(const Actor& me, const Email& email) {
    User user = load_user_for(me, email, Need::global_admin);
    if (user.status == UserStatus::deleted) {
        throw Conflict(fmt::format("{} is deleted", email.value), "restore it first with 'mcidctl user restore'");
    }
    return user;
}

Invitation Directory::resend(const Actor& actor, const Email& email) {
    return run_write_unit(m_store, [&]() -> Invitation {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        User user = load_user_for(me, email, Need::global_admin);
        if (user.status != UserStatus::invited) {
            throw Conflict(
                fmt::format("{} has no pending invitation (the account is {})", email.value, to_string(user.status)));
        }
        const Policy policy = Policy::load(m_store);
        Invitation inv{user.email, crypto::new_invitation_code(), m_clock.now() + policy.invitation_ttl.seconds};
        user.invite_code_hash = crypto::digest_hex(inv.code);
        user.invite_expires_at = inv.expires_at;
        user.invited_at = m_clock.now();
        m_store.update_user(user);
        AuditLog(m_store, m_clock)
            .record({me.email, user.org_id, "user.resend", user.email, "ok", "new code issued", ""});
        tx->commit();
        return inv;
    });
}

void Directory::update_email(const Actor& actor, const Email& from, const Email& to) {
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        User user = load_user_for(me, from, Need::global_admin);
        if (user.status != UserStatus::invited) {
            throw Conflict(fmt::format(
                "{} already accepted the invitation; only pending invitations can change address", from.value));
        }
        if (from.value != to.value && m_store.find_user_by_email(to.value)) {
            throw Conflict(fmt::format("{} already has an account or invitation", to.value));
        }
        user.email = to.value;
        m_store.update_user(user);
        AuditLog(m_store, m_clock)
            .record(
                {me.email, user.org_id, "user.update-email", from.value, "ok", fmt::format("now {}", to.value), ""});
        tx->commit();
    });
}

void Directory::set_role(const Actor& actor, const Email& email, Role role) {
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        User user = load_changeable_user(me, email);
        if (user.role == Role::global_admin && role != Role::global_admin && user.status == UserStatus::active &&
            m_store.count_active_global_admins(*user.org_id) <= 1) {
            throw Conflict(fmt::format("{} is the organization's last Global Admin", email.value),
                           "make someone else a Global Admin first");
        }
        const std::string before(to_string(user.role));
        user.role = role;
        m_store.update_user(user);
        AuditLog(m_store, m_clock)
            .record({me.email, user.org_id, "user.set-role", user.email, "ok",
                     fmt::format("{} -> {}", before, to_string(role)), ""});
        tx->commit();
    });
}

void Directory::rename(const Actor& actor, const Email& email, const std::string& name) {
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        User user = load_changeable_user(me, email);
        if (user.name == name) {
            return;  // nothing to change, nothing to audit
        }
        const std::string before = user.name;
        user.name = name;
        m_store.update_user(user);
        AuditLog(m_store, m_clock)
            .record({me.email, user.org_id, "user.rename", user.email, "ok", fmt::format("'{}' -> '{}'", before, name),
                     ""});
        tx->commit();
    });
}

void Directory::list_users(const Actor& actor, const std::optional<MpnId>& org, UserFilter filter,
                           const std::function<void(const UserView&)>& fn) {
    auto tx = m_store.begin_read();
    const auto scope = resolve_org_scope(m_store, actor, org, Need::any_admin);
    filter.org_id = scope ? std::optional<std::int64_t>(scope->id) : std::nullopt;
    std::optional<Org> cached = scope;
    m_store.for_each_user(filter, [&](const User& u) {
        if (!cached || cached->id != u.org_id) {
            cached = m_store.find_org(*u.org_id);
        }
        fn(UserView{u, cached ? cached->mpn_id : std::string()});
    });
}

UserView Directory::show_user(const Actor& actor, const Email& email) {
    auto tx = m_store.begin_read();
    if (email.value == actor.email) {
        auto self = m_store.find_user_by_email(email.value);
        return UserView{*self, mpn_of(*self)};
    }
    const User user = load_user_for(actor, email, Need::any_admin);
    return UserView{user, mpn_of(user)};
}

void Directory::restore(const Actor& actor, const Email& email) {
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        User user = load_user_for(me, email, Need::global_admin);
        if (user.status != UserStatus::deleted) {
            throw Conflict(fmt::format("{} is not deleted (it is {})", email.value, to_string(user.status)));
        }
        const Policy policy = Policy::load(m_store);
        const Instant deadline = restorable_until(user, policy);
        if (m_clock.now() > deadline) {
            throw Conflict(fmt::format("restore window passed on {} ({} after the purge)", Date::of(deadline).str(),
                                       policy.retention_restore.str()),
                           "invite the person again with 'mcidctl user invite'");
        }
        user.status = user.accepted_at ? UserStatus::active : UserStatus::invited;
        user.deleted_at.reset();
        user.failed_logins = 0;
        user.locked_until = 0;
        m_store.update_user(user);
        AuditLog(m_store, m_clock)
            .record({me.email, user.org_id, "user.restore", user.email, "ok",
                     "links are not restored; the user relinks", ""});
        tx->commit();
    });
}

}  // namespace mcid
