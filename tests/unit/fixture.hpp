#pragma once
// A fresh store with a fixed clock, an operator and two organizations, for unit tests.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/directory.hpp>
#include <mcid/identity.hpp>
#include <mcid/registry.hpp>
#include <mcid/store.hpp>

#include <memory>

namespace mcid::test {

// A fresh store for one test: in-memory SQLite, or a new PostgreSQL database when the suite runs
// on the server store (tests/unit/test_store_factory.cpp).
std::unique_ptr<Store> open_test_store();
bool test_store_is_postgres();
// Runs raw SQL on the store under test (to make the drift that repairs must mend).
void exec_sql(Store& store, const std::string& sql);

inline constexpr Instant k_start = 1795000000;  // 2026-11-18T...Z

struct World {
    std::unique_ptr<Store> store = open_test_store();
    FixedClock clock{k_start};
    Actor op;
    Actor ga;        // Global Admin of Contoso (1234567)
    Actor alice;     // user of Contoso
    Actor pat;       // partner admin of Contoso
    Actor gb;        // Global Admin of Fabrikam (7654321)
    Actor bo;        // user of Fabrikam

    World() { enroll(); }
    // The same world on a store of the test's own (a [pg] test's server store).
    explicit World(std::unique_ptr<Store> own) : store(std::move(own)) { enroll(); }
    void enroll() {
        Identity id(*store, clock);
        id.init(Email::parse("op@example.com"), "operator-pass-0001");
        const auto op_user = *store->find_user_by_email("op@example.com");
        op = Actor{op_user.id, op_user.email, op_user.name, op_user.role, std::nullopt};
        Directory dir(*store, clock);
        auto inv = dir.enroll_org(op, MpnId::parse("1234567"), "Contoso", Email::parse("ga@contoso.com"));
        ga = activate(inv);
        inv = dir.enroll_org(op, MpnId::parse("7654321"), "Fabrikam", Email::parse("ga@fabrikam.com"));
        gb = activate(inv);
        alice = add(ga, "alice@contoso.com", Role::user);
        pat = add(ga, "pat@contoso.com", Role::partner_admin);
        bo = add(gb, "bo@fabrikam.com", Role::user);
    }
    // Accepts without Argon2 cost where the password does not matter: a direct activation.
    Actor activate(const Invitation& inv) {
        auto user = *store->find_user_by_email(inv.email);
        user.status = UserStatus::active;
        user.accepted_at = clock.now();
        store->update_user(user);
        return Actor{user.id, user.email, user.name, user.role, user.org_id};
    }
    Actor add(const Actor& admin, const std::string& email, Role role) {
        return activate(Directory(*store, clock).invite(admin, {std::nullopt, Email::parse(email), "Name", role}));
    }
};

}  // namespace mcid::test

namespace mcid::test {

inline const char* const k_profile_password = "profile-password-01";

// One Argon2id hash shared by every test profile (hashing is slow on purpose).
inline const std::string& profile_hash() {
    static const std::string hash = make_password_hash(k_profile_password);
    return hash;
}

inline void add_profile(Store& store, std::int64_t mcid, const std::string& login) {
    store.upsert_account(AccountKind::profile, ExternalAccount{mcid, login, "Someone", profile_hash(), 0, 0});
}

inline std::int64_t add_university(Store& store, const std::string& login) {
    return store.upsert_account(AccountKind::university, ExternalAccount{0, login, "Someone", profile_hash(), 0, 0});
}

inline void add_credential(Store& store, std::int64_t mcid, const std::string& code, const char* passed,
                           const char* expires = nullptr) {
    Credential c;
    c.mcid = mcid;
    c.code = code;
    c.title = code + " title";
    c.passed_on = passed ? std::optional(Date::parse(passed)) : std::nullopt;
    c.expires_on = expires ? std::optional(Date::parse(expires)) : std::nullopt;
    store.upsert_credential(c);
}

inline Instant at(const char* date, int hour = 12) { return Date::parse(date).midnight() + hour * 3600; }

}  // namespace mcid::test
