#pragma once
// The directory: organizations (enrolled by the operator) and their users (invited by Global
// Admins, accepted with a one-time code). Tenant isolation is enforced here.
#include <mcid/actor.hpp>
#include <mcid/audit.hpp>
#include <mcid/clock.hpp>
#include <mcid/policy.hpp>
#include <mcid/store.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcid {

struct Invitation {
    std::string email;
    std::string code;  // shown once; only its hash is stored
    Instant expires_at = 0;
};

struct OrgSummary {
    Org org;
    std::int64_t users = 0;
};

struct UserView {
    User user;
    std::string mpn_id;  // empty for the operator
};

struct InviteRequest {
    std::optional<MpnId> org;  // the operator names the organization; admins invite into their own
    Email email;
    std::string name;
    Role role = Role::user;
};

class Directory {
public:
    Directory(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Operator only. Throws Conflict when the MPN ID or the admin's email is taken. The admin's
    // display name is `admin_name`, else the part of the email before '@' until they are renamed.
    Invitation enroll_org(const Actor& actor, const MpnId& mpn_id, const std::string& name, const Email& admin,
                          const std::optional<std::string>& admin_name = std::nullopt);
    std::vector<Org> list_orgs(const Actor& actor);
    // Throws NotFound for an unknown MPN ID, PermissionDenied for another organization.
    OrgSummary show_org(const Actor& actor, const MpnId& mpn_id);

    // Global Admin of the organization (or the operator naming it). Conflict for a taken email.
    Invitation invite(const Actor& actor, const InviteRequest& request);
    // No sign-in: the code proves the invitation. AuthError for a wrong or expired code, and the
    // same answer for an unknown, deleted or already active account (no enumeration); the failure
    // is recorded. check_invitation() does the same checks before a password is asked for.
    void check_invitation(const Email& email, const InvitationCode& code);
    void accept(const Email& email, const InvitationCode& code, std::string_view password);
    // A new code for a pending invitation (the old one stops working). Conflict if not pending.
    Invitation resend(const Actor& actor, const Email& email);
    // Corrects the address of a pending invitation. Conflict if accepted or the new one is taken.
    void update_email(const Actor& actor, const Email& from, const Email& to);
    // Conflict when it would leave an organization without an active Global Admin.
    void set_role(const Actor& actor, const Email& email, Role role);
    // A Global Admin of the user's organization (or the operator) changes their display name.
    // Conflict for a deleted account. Audited with the old and new names.
    void rename(const Actor& actor, const Email& email, const std::string& name);
    void list_users(const Actor& actor, const std::optional<MpnId>& org, UserFilter filter,
                    const std::function<void(const UserView&)>& fn);
    UserView show_user(const Actor& actor, const Email& email);
    // Reactivates a purged account within retention.restore; links are not restored.
    void restore(const Actor& actor, const Email& email);

    // What an import's invitations share: the policy, read once, and their audit rows, appended
    // together at the end (one COPY on a server store rather than a round trip per row).
    struct InviteBatch {
        std::string id;
        Policy policy;
        std::vector<AuditEvent> audit;
        std::vector<User> users;  // not inserted yet
    };
    // Inside an open write transaction: creates one invitation (used by invite and import). With
    // `batch`, the new account and its audit row go into batch->users and batch->audit for the
    // caller to store (the caller keeps one email from appearing twice in them).
    Invitation invite_in_transaction(const Actor& actor, const Org& org, const Email& email, const std::string& name,
                                     Role role, InviteBatch* batch = nullptr);

private:
    // Records why the invitation cannot be accepted, commits `tx` and throws AuthError; returns
    // when it can be accepted.
    void refuse_invitation(Transaction& tx, const Email& email, const InvitationCode& code);
    User load_user_for(const Actor& actor, const Email& email, Need need);
    // load_user_for a Global Admin's change; a deleted account is a conflict (restore it first).
    User load_changeable_user(const Actor& me, const Email& email);
    std::string mpn_of(const User& user);

    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
