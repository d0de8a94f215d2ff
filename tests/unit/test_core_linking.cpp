#include "fixture.hpp"

#include <mcid/audit.hpp>

#include <mcid/error.hpp>
#include <mcid/linking.hpp>
#include <mcid/registry.hpp>

#include <catch2/catch.hpp>

using namespace mcid;
using namespace mcid::test;

namespace {

LinkResult link(World& w, const Actor& who, const std::string& login, Replace replace = Replace::no,
                const char* password = k_profile_password) {
    return Linking(*w.store, w.clock).link(who, ProfileChoice{login}, password, replace);
}

int count_audit(Store& store, const std::string& action) {
    int n = 0;
    store.for_each_audit({}, [&](const AuditRecord& r) { n += r.action == action; });
    return n;
}

}  // namespace

TEST_CASE("rule 1: one organization and one user per MCID, one MCID per user") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    add_profile(*w.store, 87654321, "alice2@outlook.com");
    CHECK(link(w, w.alice, "alice@outlook.com").kind == LinkResult::Kind::linked);
    CHECK(w.store->find_link(AccountKind::profile, 12345678)->user_id == w.alice.user_id);

    SECTION("the same MCID again is a no-op") {
        CHECK(link(w, w.alice, "ALICE@outlook.com").kind == LinkResult::Kind::already_linked);
    }
    SECTION("a second MCID needs --replace, and names the current one") {
        CHECK_THROWS_MATCHES(link(w, w.alice, "alice2@outlook.com"), Conflict, Catch::Matchers::Message(
                                 "you already have MCID 12345678 linked"));
        CHECK(w.store->find_link_of_user(AccountKind::profile, w.alice.user_id)->account_id == 12345678);
    }
    SECTION("--replace ends the old link and starts the new one") {
        const auto r = link(w, w.alice, "alice2@outlook.com", Replace::yes);
        CHECK(r.kind == LinkResult::Kind::replaced);
        CHECK(r.replaced_mcid == 12345678);
        CHECK_FALSE(w.store->find_link(AccountKind::profile, 12345678));
        CHECK(w.store->find_link(AccountKind::profile, 87654321)->user_id == w.alice.user_id);
    }
}

TEST_CASE("rule 2: linking an MCID held in another organization moves it") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    link(w, w.alice, "alice@outlook.com");
    w.clock.advance(3600);
    const auto r = link(w, w.bo, "alice@outlook.com");
    CHECK(r.kind == LinkResult::Kind::transferred);
    CHECK(r.previous_org == "Contoso (1234567)");
    const auto l = w.store->find_link(AccountKind::profile, 12345678);
    CHECK(l->user_id == w.bo.user_id);
    CHECK(l->org_id == *w.bo.org_id);
    CHECK_FALSE(w.store->find_link_of_user(AccountKind::profile, w.alice.user_id));
    CHECK(count_audit(*w.store, "transfer") == 2);
    SECTION("rule 7: the departing organization learns only that the MCID left; the operator sees where") {
        std::vector<AuditRecord> contoso, operator_rows;
        AuditLog log(*w.store, w.clock);
        log.list(w.ga, {}, [&](const AuditRecord& a) { contoso.push_back(a); });
        log.list(w.op, {}, [&](const AuditRecord& a) {
            if (a.action == "transfer" && !a.org_id) operator_rows.push_back(a);
        });
        bool saw_transfer = false;
        for (const auto& a : contoso) {
            CHECK(a.actor.find("fabrikam") == std::string::npos);
            CHECK(a.detail.find("Fabrikam") == std::string::npos);
            CHECK(a.detail.find("7654321") == std::string::npos);
            saw_transfer = saw_transfer || (a.action == "transfer" && a.detail == "left for another organization");
        }
        CHECK(saw_transfer);
        REQUIRE(operator_rows.size() == 1);
        CHECK(operator_rows[0].actor == "bo@fabrikam.com");
        CHECK(operator_rows[0].detail == "from Contoso (1234567) to Fabrikam (7654321)");
    }
}

TEST_CASE("rule 3: self-service only, credentials prove ownership, lockout after five failures") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    SECTION("the operator has no organization") {
        CHECK_THROWS_AS(link(w, w.op, "alice@outlook.com"), PermissionDenied);
    }
    SECTION("a wrong password or unknown sign-in fails the same way and is audited") {
        CHECK_THROWS_WITH(link(w, w.alice, "alice@outlook.com", Replace::no, "wrong-password-123"),
                          "profile sign-in failed: wrong sign-in name or password");
        CHECK_THROWS_WITH(link(w, w.alice, "nobody@outlook.com"),
                          "profile sign-in failed: wrong sign-in name or password");
        int denied = 0;
        w.store->for_each_audit({}, [&](const AuditRecord& r) { denied += r.action == "link" && r.outcome == "denied"; });
        CHECK(denied == 2);
    }
    SECTION("five failures lock the profile for 15 minutes, even for the right password") {
        for (int i = 0; i < 4; ++i) {
            CHECK_THROWS_WITH(link(w, w.alice, "alice@outlook.com", Replace::no, "wrong-password-123"),
                              "profile sign-in failed: wrong sign-in name or password");
        }
        // The fifth failure says it locked the profile, as `login`'s fifth does for an account.
        CHECK_THROWS_WITH(link(w, w.alice, "alice@outlook.com", Replace::no, "wrong-password-123"),
                          Catch::Contains("after 5 failures in a row alice@outlook.com is locked until"));
        CHECK_THROWS_WITH(link(w, w.alice, "alice@outlook.com"), Catch::Contains("locked until"));
        w.clock.advance(15 * 60 + 1);
        CHECK(link(w, w.alice, "alice@outlook.com").kind == LinkResult::Kind::linked);
    }
    SECTION("four failures then a success resets the count") {
        for (int i = 0; i < 4; ++i) {
            CHECK_THROWS_AS(link(w, w.alice, "alice@outlook.com", Replace::no, "wrong-password-123"), AuthError);
        }
        link(w, w.alice, "alice@outlook.com");
        CHECK(w.store->find_account(AccountKind::profile, 12345678)->failed_logins == 0);
    }
}

TEST_CASE("rule 4: --use-university-account reuses the Partner University sign-in name") {
    World w;
    Linking linking(*w.store, w.clock);
    SECTION("without an associated account: not found") {
        CHECK_THROWS_AS(linking.link(w.alice, ProfileChoice{}, k_profile_password, Replace::no), NotFound);
    }
    add_university(*w.store, "alice@outlook.com");
    linking.associate(w.alice, "alice@outlook.com", k_profile_password);
    SECTION("no profile with that sign-in name: not found") {
        CHECK_THROWS_AS(linking.link(w.alice, ProfileChoice{}, k_profile_password, Replace::no), NotFound);
    }
    SECTION("a matching profile links, and the password is still checked") {
        add_profile(*w.store, 12345678, "alice@outlook.com");
        CHECK_THROWS_AS(linking.link(w.alice, ProfileChoice{}, "wrong-password-123", Replace::no), AuthError);
        CHECK(linking.link(w.alice, ProfileChoice{}, k_profile_password, Replace::no).mcid == 12345678);
    }
    SECTION("unlink --university ends Partner University access") {
        linking.unlink(w.alice, AccountKind::university);
        CHECK_FALSE(w.store->find_link_of_user(AccountKind::university, w.alice.user_id));
        CHECK_THROWS_AS(linking.unlink(w.alice, AccountKind::university), NotFound);
    }
}

TEST_CASE("rule 5: at most association.limit associations per account in any 365 days") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    Linking linking(*w.store, w.clock);
    w.clock.set(at("2026-01-10"));
    const Instant first = w.clock.now();
    for (int i = 0; i < 5; ++i) {  // limit - 1 unlinks between 5 links
        link(w, w.alice, "alice@outlook.com");
        linking.unlink(w.alice, AccountKind::profile);
        w.clock.advance(86400);
    }
    SECTION("the sixth is refused with the date it becomes possible, and nothing changes") {
        try {
            link(w, w.alice, "alice@outlook.com");
            FAIL("expected LimitReached");
        } catch (const LimitReached& e) {
            CHECK(std::string(e.what()).find("2027-01-10") != std::string::npos);
        }
        CHECK_FALSE(w.store->find_link_of_user(AccountKind::profile, w.alice.user_id));
        const auto who = linking.whoami(w.alice);
        CHECK(who.profile_quota.used == 5);
        CHECK(who.profile_quota.next_on->str() == "2027-01-10");
    }
    SECTION("day 364 after the first is still refused, day 365 plus a second works") {
        w.clock.set(first + 364 * 86400);
        CHECK_THROWS_AS(link(w, w.alice, "alice@outlook.com"), LimitReached);
        w.clock.set(first + 365 * 86400 + 1);
        CHECK(link(w, w.alice, "alice@outlook.com").kind == LinkResult::Kind::linked);
    }
    SECTION("the edge: one second before 365 days the first still counts; at exactly 365 days it no longer does") {
        w.clock.set(first + 365 * 86400 - 1);
        CHECK_THROWS_AS(link(w, w.alice, "alice@outlook.com"), LimitReached);
        CHECK(linking.whoami(w.alice).profile_quota.used == 5);
        w.clock.set(first + 365 * 86400);
        CHECK(linking.whoami(w.alice).profile_quota.used == 4);
        CHECK(link(w, w.alice, "alice@outlook.com").kind == LinkResult::Kind::linked);
    }
    SECTION("a transfer counts for the new link") {
        w.clock.set(first + 300 * 86400);
        CHECK_THROWS_AS(link(w, w.bo, "alice@outlook.com"), LimitReached);
    }
    SECTION("a lower limit applies at once") {
        w.clock.set(first + 366 * 86400 + 10 * 86400);  // all five out of the window
        Registry(*w.store, w.clock).config_set(w.op, "association.limit", "1");
        link(w, w.alice, "alice@outlook.com");
        linking.unlink(w.alice, AccountKind::profile);
        CHECK_THROWS_AS(link(w, w.alice, "alice@outlook.com"), LimitReached);
    }
}

TEST_CASE("rule 6: reflection delays for existing and new credentials") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    add_credential(*w.store, 12345678, "AZ-104", "2025-01-10");
    w.clock.set(at("2026-03-01", 10));
    link(w, w.alice, "alice@outlook.com");
    add_credential(*w.store, 12345678, "AZ-305", "2026-03-05");
    add_credential(*w.store, 12345678, "AZ-900", "2026-03-01");  // on the day of the link: new
    Linking linking(*w.store, w.clock);
    const auto state = [&](const std::string& code) {
        for (const auto& c : linking.whoami(w.alice).credentials) {
            if (c.code == code) return c;
        }
        FAIL("no credential " << code);
        return CredentialView{};
    };
    CHECK_FALSE(state("AZ-104").reflected);
    CHECK(Date::of(state("AZ-104").reflected_at).str() == "2026-03-04");
    w.clock.set(at("2026-03-01", 10) + 72 * 3600 - 1);
    CHECK_FALSE(state("AZ-104").reflected);
    w.clock.advance(1);
    CHECK(state("AZ-104").reflected);
    CHECK(state("AZ-900").reflected_at == Date::parse("2026-03-11").midnight());
    CHECK(state("AZ-305").reflected_at == Date::parse("2026-03-15").midnight());
    w.clock.set(Date::parse("2026-03-15").midnight() - 1);
    CHECK_FALSE(state("AZ-305").reflected);
    w.clock.advance(1);
    CHECK(state("AZ-305").reflected);
}

TEST_CASE("unlinking with nothing linked is not found; deleted accounts cannot act") {
    World w;
    CHECK_THROWS_AS(Linking(*w.store, w.clock).unlink(w.alice, AccountKind::profile), NotFound);
    auto u = *w.store->find_user(w.alice.user_id);
    u.status = UserStatus::deleted;
    w.store->update_user(u);
    add_profile(*w.store, 12345678, "alice@outlook.com");
    CHECK_THROWS_AS(link(w, w.alice, "alice@outlook.com"), AuthError);
}
