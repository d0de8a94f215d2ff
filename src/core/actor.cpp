#include <mcid/actor.hpp>
#include <mcid/error.hpp>

#include <fmt/format.h>

namespace mcid {

std::optional<Org> resolve_org_scope(Store& store, const Actor& actor, const std::optional<MpnId>& requested,
                                     Need need) {
    const bool allowed_role = actor.role == Role::global_admin ||
                              (need == Need::any_admin && actor.role == Role::partner_admin);
    if (!actor.is_operator() && !allowed_role) {
        throw PermissionDenied(fmt::format("{} may not do this: it needs a {}", to_string(actor.role),
                                           need == Need::global_admin ? "Global Admin" : "Global Admin or MPN Partner Admin"));
    }
    if (!requested) {
        if (actor.is_operator()) {
            return std::nullopt;
        }
        return store.find_org(*actor.org_id);
    }
    auto org = store.find_org_by_mpn(requested->value);
    if (!actor.is_operator() && (!org || org->id != *actor.org_id)) {
        throw PermissionDenied(fmt::format("organization {} is not yours", requested->value));
    }
    if (!org) {
        throw NotFound(fmt::format("no organization with MPN ID {}", requested->value));
    }
    return org;
}

void require_operator(const Actor& actor, std::string_view what) {
    if (!actor.is_operator()) {
        throw PermissionDenied(fmt::format("only the operator may {}", what));
    }
}

void require_same_org(const Actor& actor, const User& user, Need need) {
    if (actor.is_operator()) {
        return;
    }
    if (actor.role != Role::global_admin && !(need == Need::any_admin && actor.role == Role::partner_admin)) {
        throw PermissionDenied(fmt::format("{} may not do this: it needs a {}", to_string(actor.role),
                                           need == Need::global_admin ? "Global Admin" : "Global Admin or MPN Partner Admin"));
    }
    if (!user.org_id || user.org_id != actor.org_id) {
        throw PermissionDenied(fmt::format("{} is not a user of your organization", user.email));
    }
}

Actor refresh_actor(Store& store, const Actor& actor) {
    const auto user = store.find_user(actor.user_id);
    if (!user || user->status != UserStatus::active) {
        throw AuthError("your account is no longer active", "run 'mcidctl login EMAIL'");
    }
    return Actor{user->id, user->email, user->name, user->role, user->org_id};
}

}  // namespace mcid
