#pragma once
// Who is acting: the signed-in account, resolved from a session token by Identity, and the
// access rules every service applies (roles of PRODUCT.md section 3, tenant isolation).
#include <mcid/records.hpp>
#include <mcid/store.hpp>

#include <optional>
#include <string>

namespace mcid {

struct Actor {
    std::int64_t user_id = 0;
    std::string email;
    std::string name;
    Role role = Role::user;
    std::optional<std::int64_t> org_id;

    bool is_operator() const { return role == Role::operator_; }
};

enum class Need {
    any_admin,     // global-admin or partner-admin of the organization (reports, viewing users)
    global_admin,  // global-admin of the organization (changes to users)
};

// The organization an admin command acts on: the one named by `requested` (the operator may name
// any; an admin only their own) or the actor's own. Returns nullopt only for the operator without
// `requested` (meaning every organization). Throws PermissionDenied for a plain user or another
// organization, NotFound for an unknown MPN ID.
std::optional<Org> resolve_org_scope(Store& store, const Actor& actor, const std::optional<MpnId>& requested,
                                     Need need);
// Throws PermissionDenied unless the actor is the operator.
void require_operator(const Actor& actor, std::string_view what);
// Throws PermissionDenied unless the actor may act on `user` (operator, or admin of its org).
void require_same_org(const Actor& actor, const User& user, Need need);
// Reloads the actor inside a write transaction; throws AuthError when the account is gone.
Actor refresh_actor(Store& store, const Actor& actor);

}  // namespace mcid
