#pragma once
// Linking (rules 1-6): a signed-in user links their own certification profile (MCID) to their
// organization, or gets Partner University access, proving ownership with the account's own
// credentials. Only ever for the actor themself: there is no parameter naming another user.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/store.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcid {

enum class Replace { no, yes };

// How the profile to link is named: by its sign-in name, or by the sign-in name of the user's
// associated Partner University account.
struct ProfileChoice {
    std::optional<std::string> login;  // nullopt: use the Partner University account's sign-in name
};

struct LinkResult {
    enum class Kind { linked, already_linked, replaced, transferred };
    Kind kind = Kind::linked;
    std::int64_t mcid = 0;
    std::string org_name;
    std::optional<std::int64_t> replaced_mcid;
    std::optional<std::string> previous_org;  // for transfers
};

struct AssociateResult {
    bool already = false;
    std::string login;
    std::optional<std::string> previous_org;
};

struct CredentialView {
    std::string code;
    std::string title;
    AccountKind source = AccountKind::profile;
    std::string type;  // certification, exam or assessment
    std::optional<Date> passed_on;
    std::optional<Date> expires_on;
    bool expired = false;
    bool reflected = false;
    Instant reflected_at = 0;
};

struct AssociationQuota {
    std::int64_t used = 0;
    std::int64_t limit = 0;
    std::optional<Date> next_on;  // set when the limit is reached
};

struct WhoAmI {
    Actor actor;
    std::optional<Org> org;
    std::optional<std::int64_t> mcid;
    std::optional<Instant> linked_at;
    std::optional<std::string> university_login;
    std::optional<Instant> associated_at;
    std::vector<CredentialView> credentials;
    AssociationQuota profile_quota;
    AssociationQuota university_quota;
};

class Linking {
public:
    Linking(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Throws PermissionDenied (operator), AuthError (wrong credentials, locked profile),
    // NotFound (no Partner University account or matching profile), Conflict (another MCID
    // linked, without Replace::yes), LimitReached (annual limit).
    LinkResult link(const Actor& actor, const ProfileChoice& choice, std::string_view password, Replace replace);
    // Ends the actor's MCID link (profile) or Partner University access. NotFound if none.
    void unlink(const Actor& actor, AccountKind kind);
    AssociateResult associate(const Actor& actor, const std::string& login, std::string_view password);
    WhoAmI whoami(const Actor& actor);

private:
    ExternalAccount sign_in_external(const Actor& actor, AccountKind kind, const std::string& login,
                                     std::string_view password);
    AssociationQuota quota(AccountKind kind, std::optional<std::int64_t> account_id, std::int64_t limit);
    void require_member(const Actor& actor);

    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
