#include "core/crypto.hpp"
#include "core/signin.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/linking.hpp>
#include <mcid/policy.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/reflection.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

namespace mcid {
namespace {

std::string_view account_noun(AccountKind kind) {
    return kind == AccountKind::profile ? "profile" : "Partner University";
}

std::string org_label(Store& store, std::int64_t org_id) {
    const auto org = store.find_org(org_id);
    return org ? fmt::format("{} ({})", org->name, org->mpn_id) : std::to_string(org_id);
}

// After a change to these users' links (rule 10 kept current).
void refresh_competency_status(Store& store, std::initializer_list<std::optional<std::int64_t>> users) {
    CompetencyStatus status(store);
    for (const auto& user : users) {
        if (user) {
            status.refresh_user(*user);
        }
    }
}

// A move between organizations (rule 2), told to each audience as much as it may know (rule 7):
// the departing organization learns that the account left for another organization (no person
// or organization of the other side); the operator's row (no organization) says from where to where.
void record_transfer(AuditLog& audit, const Actor& me, const Link& departing, const char* action,
                     const std::string& target, const std::string& full_detail) {
    audit.record({"-", departing.org_id, action, target, "ok", "left for another organization", ""});
    audit.record({me.email, std::nullopt, action, target, "ok", full_detail, ""});
}

}  // namespace

void Linking::require_member(const Actor& actor) {
    if (actor.is_operator() || !actor.org_id) {
        throw PermissionDenied("the operator has no organization: users link their own accounts, each for themself");
    }
}

ExternalAccount Linking::sign_in_external(const Actor& actor, AccountKind kind, const std::string& login,
                                          std::string_view password) {
    const Instant now = m_clock.now();
    const std::string action = kind == AccountKind::profile ? "link" : "associate";
    const std::string subject = throttle_subject(to_string(kind), login);
    std::optional<ExternalAccount> account;
    const auto counters = [&]() -> AttemptCounters {
        account = m_store.find_account_by_login(kind, login);
        if (!account) {
            return {[&] { return m_store.find_throttle(subject); },
                    [&](const Attempts& a) { m_store.save_throttle(subject, a); }};
        }
        return {[&] { return Attempts{account->failed_logins, account->locked_until}; },
                [&](const Attempts& a) { m_store.update_account_lockout(kind, account->id, a.failed, a.locked_until); }};
    };
    std::string hash;
    {
        auto tx = m_store.begin_read();
        if (const auto found = m_store.find_account_by_login(kind, login)) {
            hash = found->password_hash;
        }
    }
    const auto verify = [&] {
        if (hash.empty()) {
            crypto::burn_password_time();
            return false;
        }
        return crypto::verify_password(hash, password);
    };
    AuditLog audit(m_store, m_clock);
    const auto record = [&](const AttemptOutcome& o) {
        if (o.verdict == Verdict::good && account) {
            return;  // the link or association records the success in its own transaction
        }
        audit.record({actor.email, actor.org_id, action, login, "denied",
                      denied_detail(o, account ? "wrong password" : "unknown sign-in name"), ""});
    };
    const AttemptOutcome o = attempt_sign_in(m_store, now, counters, verify, record);
    if (o.verdict == Verdict::locked) {
        throw AuthError(fmt::format("{} {} is locked until {} after repeated failed sign-ins", account_noun(kind), login,
                                    format_instant(o.locked_until)));
    }
    if (o.just_locked) {  // the fifth failure says so, as a failed `login` does
        throw AuthError(
            fmt::format("{} sign-in failed: wrong sign-in name or password; after {} failures in a row {} "
                        "is locked until {}",
                        account_noun(kind), k_lockout_failures, login, format_instant(o.locked_until)));
    }
    if (o.verdict != Verdict::good || !account) {
        throw AuthError(fmt::format("{} sign-in failed: wrong sign-in name or password", account_noun(kind)));
    }
    return *account;
}

AssociationQuota Linking::quota(AccountKind kind, std::optional<std::int64_t> account_id, std::int64_t limit) {
    AssociationQuota q;
    q.limit = limit;
    if (!account_id) {
        return q;
    }
    const auto times = m_store.associations_since(kind, *account_id, m_clock.now() - k_association_window);
    q.used = static_cast<std::int64_t>(times.size());
    if (q.used >= limit) {
        q.next_on = Date::of(times[static_cast<std::size_t>(q.used - limit)] + k_association_window);
    }
    return q;
}

LinkResult Linking::link(const Actor& actor, const ProfileChoice& choice, std::string_view password,
                         Replace replace) {
    require_member(actor);
    std::string login;
    if (choice.login) {
        login = *choice.login;
    } else {
        auto tx = m_store.begin_read();
        const auto university = m_store.find_link_of_user(AccountKind::university, actor.user_id);
        if (!university) {
            throw NotFound("you have no Partner University account associated",
                           "run 'mcidctl associate --login LOGIN' first, or name the profile with --login");
        }
        login = m_store.find_account(AccountKind::university, university->account_id)->login;
        if (!m_store.find_account_by_login(AccountKind::profile, login)) {
            throw NotFound(fmt::format("no certification profile has the sign-in name {} of your Partner University "
                                       "account", login),
                           "name the profile with --login");
        }
    }
    const ExternalAccount profile = sign_in_external(actor, AccountKind::profile, login, password);

    return run_write_unit(m_store, [&]() -> LinkResult {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        require_member(me);
        AuditLog audit(m_store, m_clock);
        const Policy policy = Policy::load(m_store);
        const Instant now = m_clock.now();
        LinkResult result;
        result.mcid = profile.id;
        result.org_name = org_label(m_store, *me.org_id);

        const auto current = m_store.find_link_of_user(AccountKind::profile, me.user_id);
        if (current && current->account_id == profile.id) {
            result.kind = LinkResult::Kind::already_linked;
            tx->commit();
            return result;
        }
        if (current && replace == Replace::no) {
            throw Conflict(fmt::format("you already have MCID {} linked", current->account_id),
                           fmt::format("run 'mcidctl unlink' first, or add --replace to link {} instead", profile.id));
        }
        const AssociationQuota q = quota(AccountKind::profile, profile.id, policy.association_limit);
        if (q.next_on) {
            audit.record({me.email, me.org_id, "link", std::to_string(profile.id), "denied",
                          fmt::format("association limit {} reached", q.limit), ""});
            tx->commit();
            throw LimitReached(
                fmt::format("association limit reached ({} in 365 days) for MCID {}; a new association is "
                            "possible on {}",
                            q.limit, profile.id, q.next_on->str()));
        }
        if (current) {
            m_store.delete_link(AccountKind::profile, current->account_id);
            audit.record({me.email, me.org_id, "unlink", std::to_string(current->account_id), "ok",
                          fmt::format("replaced by {}", profile.id), ""});
            result.kind = LinkResult::Kind::replaced;
            result.replaced_mcid = current->account_id;
        }
        std::optional<std::int64_t> previous_holder;
        if (const auto existing = m_store.find_link(AccountKind::profile, profile.id)) {
            m_store.delete_link(AccountKind::profile, profile.id);
            previous_holder = existing->user_id;
            const std::string from = org_label(m_store, existing->org_id);
            record_transfer(audit, me, *existing, "transfer", std::to_string(profile.id),
                            fmt::format("from {} to {}", from, result.org_name));
            result.kind = LinkResult::Kind::transferred;
            result.previous_org = from;
        }
        m_store.insert_link(AccountKind::profile, Link{profile.id, me.user_id, *me.org_id, now});
        m_store.insert_association(AccountKind::profile, profile.id, me.user_id, now);
        refresh_competency_status(m_store, {me.user_id, previous_holder});
        audit.record({me.email, me.org_id, "link", std::to_string(profile.id), "ok", result.org_name, ""});
        tx->commit();
        return result;
    });
}

void Linking::unlink(const Actor& actor, AccountKind kind) {
    require_member(actor);
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        const auto current = m_store.find_link_of_user(kind, me.user_id);
        if (!current) {
            throw NotFound(kind == AccountKind::profile ? "you have no MCID linked"
                                                        : "you have no Partner University access");
        }
        m_store.delete_link(kind, current->account_id);
        refresh_competency_status(m_store, {me.user_id});
        const std::string target = kind == AccountKind::profile
                                       ? std::to_string(current->account_id)
                                       : m_store.find_account(kind, current->account_id)->login;
        AuditLog(m_store, m_clock)
            .record({me.email, me.org_id, kind == AccountKind::profile ? "unlink" : "unlink-university", target, "ok",
                     "", ""});
        tx->commit();
    });
}

AssociateResult Linking::associate(const Actor& actor, const std::string& login, std::string_view password) {
    require_member(actor);
    const ExternalAccount account = sign_in_external(actor, AccountKind::university, login, password);
    return run_write_unit(m_store, [&]() -> AssociateResult {
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        AuditLog audit(m_store, m_clock);
        const Policy policy = Policy::load(m_store);
        AssociateResult result;
        result.login = account.login;
        const auto current = m_store.find_link_of_user(AccountKind::university, me.user_id);
        if (current && current->account_id == account.id) {
            result.already = true;
            tx->commit();
            return result;
        }
        if (current) {
            const auto other = m_store.find_account(AccountKind::university, current->account_id);
            throw Conflict(fmt::format("you already have Partner University account {} associated", other->login),
                           "run 'mcidctl unlink --university' first");
        }
        const AssociationQuota q = quota(AccountKind::university, account.id, policy.association_limit);
        if (q.next_on) {
            audit.record({me.email, me.org_id, "associate", account.login, "denied",
                          fmt::format("association limit {} reached", q.limit), ""});
            tx->commit();
            throw LimitReached(
                fmt::format("association limit reached ({} in 365 days) for Partner University account {}; "
                            "a new association is possible on {}",
                            q.limit, account.login, q.next_on->str()));
        }
        std::optional<std::int64_t> previous_holder;
        if (const auto existing = m_store.find_link(AccountKind::university, account.id)) {
            m_store.delete_link(AccountKind::university, account.id);
            previous_holder = existing->user_id;
            result.previous_org = org_label(m_store, existing->org_id);
            record_transfer(audit, me, *existing, "transfer-university", account.login,
                            fmt::format("from {} to {}", *result.previous_org, org_label(m_store, *me.org_id)));
        }
        const Instant now = m_clock.now();
        m_store.insert_link(AccountKind::university, Link{account.id, me.user_id, *me.org_id, now});
        m_store.insert_association(AccountKind::university, account.id, me.user_id, now);
        refresh_competency_status(m_store, {me.user_id, previous_holder});
        audit.record({me.email, me.org_id, "associate", account.login, "ok", "", ""});
        tx->commit();
        return result;
    });
}

WhoAmI Linking::whoami(const Actor& actor) {
    auto tx = m_store.begin_read();
    const Policy policy = Policy::load(m_store);
    const Instant now = m_clock.now();
    WhoAmI w;
    w.actor = actor;
    if (actor.org_id) {
        w.org = m_store.find_org(*actor.org_id);
    }
    const auto add = [&](CredentialView v, Instant linked_at) {
        v.reflected_at = reflection_time(v.passed_on, linked_at, policy);
        v.reflected = now >= v.reflected_at;
        v.expired = v.expires_on && *v.expires_on <= Date::of(now);
        w.credentials.push_back(std::move(v));
    };
    const auto profile = m_store.find_link_of_user(AccountKind::profile, actor.user_id);
    if (profile) {
        w.mcid = profile->account_id;
        w.linked_at = profile->linked_at;
        for (const auto& c : m_store.credentials_of(profile->account_id)) {
            add(CredentialView{c.code, c.title, AccountKind::profile, std::string(to_string(c.type)), c.passed_on,
                               c.expires_on},
                profile->linked_at);
        }
    }
    const auto university = m_store.find_link_of_user(AccountKind::university, actor.user_id);
    if (university) {
        w.university_login = m_store.find_account(AccountKind::university, university->account_id)->login;
        w.associated_at = university->linked_at;
        for (const auto& a : m_store.assessments_of(university->account_id)) {
            add(CredentialView{a.code, a.title, AccountKind::university, "assessment", a.passed_on, std::nullopt},
                university->linked_at);
        }
    }
    w.profile_quota = quota(AccountKind::profile,
                            profile ? std::optional(profile->account_id)
                                    : m_store.last_associated_account(AccountKind::profile, actor.user_id),
                            policy.association_limit);
    w.university_quota = quota(AccountKind::university,
                               university ? std::optional(university->account_id)
                                          : m_store.last_associated_account(AccountKind::university, actor.user_id),
                               policy.association_limit);
    return w;
}

}  // namespace mcid
