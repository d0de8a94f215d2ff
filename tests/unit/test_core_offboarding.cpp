#include "collect_sink.hpp"
#include "fixture.hpp"
#include "pg_fixture.hpp"
#include "store/pg_store.hpp"

#include <mcid/audit.hpp>
#include <mcid/directory.hpp>
#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/linking.hpp>
#include <mcid/maintenance.hpp>
#include <mcid/offboarding.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/registry.hpp>
#include <mcid/reports.hpp>
#include <mcid/write_unit.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace mcid;
using namespace mcid::test;

namespace {

PurgeTarget email(const char* e) { return {PurgeTarget::Kind::email, e}; }
PurgeTarget mcid_target(const char* m) { return {PurgeTarget::Kind::mcid, m}; }

std::map<std::string, std::string> outcomes(const PurgeReport& r) {
    std::map<std::string, std::string> out;
    for (const auto& row : r.rows) out[row.target] = row.outcome;
    return out;
}

}  // namespace

TEST_CASE("rule 8: purge deletes the account, ends its links, revokes sessions") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    Linking(*w.store, w.clock).link(w.alice, ProfileChoice{"alice@outlook.com"}, k_profile_password, Replace::no);
    w.store->insert_session("hash", w.alice.user_id, w.clock.now(), w.clock.now() + 3600);
    Offboarding off(*w.store, w.clock);
    const auto r = off.purge(w.ga, {email("Alice@Contoso.com"), email("nobody@contoso.com"), email("bo@fabrikam.com"),
                                    email("not-an-email"), email("alice@contoso.com")},
                             DryRun::no, Atomic::no, {});
    CHECK(r.applied);
    CHECK(r.rows.size() == 4);  // the duplicate is processed once
    const auto o = outcomes(r);
    CHECK(o.at("alice@contoso.com") == "purged");
    CHECK(o.at("nobody@contoso.com") == "not-found");
    CHECK(o.at("bo@fabrikam.com") == "denied");
    CHECK(o.at("not-an-email") == "invalid");
    CHECK_FALSE(r.complete());
    const auto alice = w.store->find_user(w.alice.user_id);
    CHECK(alice->status == UserStatus::deleted);
    CHECK_FALSE(w.store->find_session("hash"));
    CHECK_FALSE(w.store->find_link(AccountKind::profile, 12345678));
    CHECK(w.store->find_user(w.bo.user_id)->status == UserStatus::active);

    SECTION("rerunning gives already-deleted") {
        const auto again = off.purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {});
        CHECK(outcomes(again).at("alice@contoso.com") == "already-deleted");
        CHECK(again.complete());
    }
    SECTION("restore within the window reactivates without links; after it, conflict") {
        Directory dir(*w.store, w.clock);
        w.clock.advance(29 * 86400);
        dir.restore(w.ga, Email::parse("alice@contoso.com"));
        CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::active);
        CHECK_FALSE(w.store->find_link_of_user(AccountKind::profile, w.alice.user_id));
        off.purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {});
        w.clock.advance(30 * 86400 + 1);
        CHECK_THROWS_AS(dir.restore(w.ga, Email::parse("alice@contoso.com")), Conflict);
    }
}

TEST_CASE("purge --mcid ends a link of the admin's organization only") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    add_profile(*w.store, 22222222, "bo@outlook.com");
    Linking linking(*w.store, w.clock);
    linking.link(w.alice, ProfileChoice{"alice@outlook.com"}, k_profile_password, Replace::no);
    linking.link(w.bo, ProfileChoice{"bo@outlook.com"}, k_profile_password, Replace::no);
    const auto r = Offboarding(*w.store, w.clock)
                       .purge(w.ga, {mcid_target("12345678"), mcid_target("22222222"), mcid_target("99999999"), mcid_target("12ab")}, DryRun::no,
                              Atomic::no, {});
    const auto o = outcomes(r);
    CHECK(o.at("12345678") == "purged");
    CHECK(o.at("22222222") == "not-found");  // rule 7: linked elsewhere looks like unknown
    CHECK(o.at("99999999") == "not-found");
    CHECK(o.at("12ab") == "invalid");
    CHECK_FALSE(w.store->find_link(AccountKind::profile, 12345678));
    CHECK(w.store->find_link(AccountKind::profile, 22222222));
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::active);
    SECTION("a rerun says already-deleted; an unlinked or unknown MCID answers as one linked elsewhere") {
        add_profile(*w.store, 33333333, "nobody@outlook.com");
        const auto again = Offboarding(*w.store, w.clock)
                               .purge(w.ga, {mcid_target("12345678"), mcid_target("33333333")}, DryRun::no, Atomic::no, {});
        const auto o2 = outcomes(again);
        CHECK(o2.at("12345678") == "already-deleted");
        CHECK(o2.at("33333333") == "not-found");
        const auto unknown = Offboarding(*w.store, w.clock).purge(w.ga, {mcid_target("99999999")}, DryRun::no, Atomic::no, {});
        const auto elsewhere = Offboarding(*w.store, w.clock).purge(w.ga, {mcid_target("22222222")}, DryRun::no, Atomic::no, {});
        const auto answer = [](const PurgeReport& r) { return r.rows.at(0).outcome + "|" + r.rows.at(0).detail; };
        CHECK(answer(unknown) == "not-found|no MCID linked to your organization");
        CHECK(answer(elsewhere) == answer(unknown));
        CHECK(again.rows.at(1).outcome + "|" + again.rows.at(1).detail == answer(unknown));
    }
}

TEST_CASE("dry runs and failed atomic batches change nothing") {
    World w;
    Offboarding off(*w.store, w.clock);
    auto r = off.purge(w.ga, {email("alice@contoso.com")}, DryRun::yes, Atomic::no, {});
    CHECK(outcomes(r).at("alice@contoso.com") == "purged");
    CHECK_FALSE(r.applied);
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::active);
    r = off.purge(w.ga, {email("alice@contoso.com"), email("ghost@contoso.com")}, DryRun::no, Atomic::yes, {});
    CHECK_FALSE(r.applied);
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::active);
    r = off.purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::yes, {});
    CHECK(r.applied);
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::deleted);
}

TEST_CASE("only Global Admins purge; an interrupted batch rolls back") {
    World w;
    Offboarding off(*w.store, w.clock);
    CHECK_THROWS_AS(off.purge(w.pat, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {}), PermissionDenied);
    CHECK_THROWS_AS(off.purge(w.op, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {}), PermissionDenied);
    const Progress interrupt = [](std::size_t done, std::size_t) {
        if (done > 0) throw Interrupted("interrupted");
    };
    std::vector<PurgeTarget> many;
    for (int i = 0; i < 600; ++i) many.push_back(email(i == 0 ? "alice@contoso.com" : "ghost@contoso.com"));
    CHECK_THROWS_AS(off.purge(w.ga, many, DryRun::no, Atomic::no, interrupt), Interrupted);
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::active);
}

TEST_CASE("purge targets come from CSV with an email or mcid column, or a plain list") {
    std::istringstream csv("\xEF\xBB\xBF Email ,Name\r\n\"alice@contoso.com\",\"Smith, Alice\"\r\n\r\n  bo@x.com ,Bo\r\n");
    auto t = read_purge_targets(csv);
    REQUIRE(t.size() == 2);
    CHECK(t[0].text == "alice@contoso.com");
    CHECK(t[1].text == "bo@x.com");
    std::istringstream mcids("MCID\n12345678\n");
    t = read_purge_targets(mcids);
    REQUIRE(t.size() == 1);
    CHECK(t[0].kind == PurgeTarget::Kind::mcid);
    std::istringstream plain("alice@contoso.com\n\nbo@fabrikam.com\n");
    t = read_purge_targets(plain);
    REQUIRE(t.size() == 2);
    CHECK(t[1].text == "bo@fabrikam.com");
    std::istringstream broken("email\n\"alice@contoso.com\n");
    CHECK_THROWS_WITH(read_purge_targets(broken), Catch::Contains("line 2"));
    // A header naming neither column is refused, not read as a list whose first email is "Namn;Mail".
    std::istringstream other_header("\nNamn;Mail\nAlice;alice@contoso.com\n");
    CHECK_THROWS_WITH(read_purge_targets(other_header),
                      Catch::Contains("line 2 looks like a header") && Catch::Contains("no email or mcid") &&
                          !Catch::Contains("Namn"));  // named by its line, never echoed
    std::istringstream one_word("E-mail address\nalice@contoso.com\n");
    CHECK_THROWS_AS(read_purge_targets(one_word), UsageError);
}

TEST_CASE("org show counts the organization's users (not deleted) from kept counts that follow every change") {
    World w;
    Directory dir(*w.store, w.clock);
    const auto count = [&] { return dir.show_org(w.ga, MpnId::parse("1234567")).users; };
    CHECK(count() == 3);  // ga, alice, pat
    w.add(w.ga, "carol@contoso.com", Role::user);
    dir.invite(w.ga, {std::nullopt, Email::parse("dave@contoso.com"), "Dave", Role::user});  // invited counts
    CHECK(count() == 5);
    Offboarding(*w.store, w.clock).purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {});
    CHECK(count() == 4);
    dir.restore(w.ga, Email::parse("alice@contoso.com"));
    CHECK(count() == 5);
    CHECK(dir.show_org(w.gb, MpnId::parse("7654321")).users == 2);
    CHECK(w.store->org_user_count_mismatches() == 0);
    // A batch moves the counts set-wise (schema 5): active and invited users and a Partner Admin,
    // and one already deleted, in one transaction.
    Offboarding(*w.store, w.clock).purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {});
    const auto batch = Offboarding(*w.store, w.clock)
                           .purge(w.ga,
                                  {email("carol@contoso.com"), email("dave@contoso.com"), email("alice@contoso.com"),
                                   email("pat@contoso.com")},
                                  DryRun::no, Atomic::yes, {});
    CHECK(batch.rows.size() == 4);
    CHECK(count() == 1);
    CHECK(dir.show_org(w.gb, MpnId::parse("7654321")).users == 2);
    CHECK(w.store->org_user_count_mismatches() == 0);
}

TEST_CASE("a dry run writes nothing and predicts the real run's outcomes, also for targets that meet in one batch") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    add_profile(*w.store, 22222222, "pat@outlook.com");
    add_profile(*w.store, 33333333, "bo@outlook.com");
    Linking linking(*w.store, w.clock);
    linking.link(w.alice, ProfileChoice{"alice@outlook.com"}, k_profile_password, Replace::no);
    linking.link(w.pat, ProfileChoice{"pat@outlook.com"}, k_profile_password, Replace::no);
    linking.link(w.bo, ProfileChoice{"bo@outlook.com"}, k_profile_password, Replace::no);
    // alice by email then her MCID; pat's MCID then pat by email; another tenant's user and MCID
    const std::vector<PurgeTarget> batch = {email("alice@contoso.com"), mcid_target("12345678"),
                                            mcid_target("22222222"),    email("pat@contoso.com"),
                                            email("bo@fabrikam.com"),   mcid_target("33333333"),
                                            email("nobody@contoso.com")};
    std::int64_t audit_rows = 0;
    const auto count_audit_rows = [&] {
        std::int64_t n = 0;
        w.store->for_each_audit({}, [&](const AuditRecord&) { ++n; });
        return n;
    };
    audit_rows = count_audit_rows();
    Offboarding off(*w.store, w.clock);
    const auto dry = off.purge(w.ga, batch, DryRun::yes, Atomic::no, {});
    CHECK_FALSE(dry.applied);
    CHECK(count_audit_rows() == audit_rows);
    CHECK(w.store->find_link(AccountKind::profile, 12345678));
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::active);
    const auto real = off.purge(w.ga, batch, DryRun::no, Atomic::no, {});
    REQUIRE(real.rows.size() == dry.rows.size());
    for (std::size_t i = 0; i < real.rows.size(); ++i) {
        INFO(real.rows[i].target);
        CHECK(dry.rows[i].target == real.rows[i].target);
        CHECK(dry.rows[i].outcome == real.rows[i].outcome);
        CHECK(dry.rows[i].detail == real.rows[i].detail);
    }
    CHECK(outcomes(real).at("12345678") == "already-deleted");
    CHECK(outcomes(real).at("pat@contoso.com") == "purged");
}

namespace {

// A batch run on `batch_store` while other admins, through w.store (the same connection or
// another one on the same file), change its targets after it planned and before it took the
// write lock: it must purge from what holds under the lock.
void check_plans_from_what_holds(World& w, Store& batch_store) {
    Offboarding off(batch_store, w.clock);
    int calls = 0;
    const Progress meanwhile = [&](std::size_t done, std::size_t) {
        if (calls++ > 0) {
            return;
        }
        REQUIRE(done == 0);
        REQUIRE_FALSE(batch_store.in_transaction());
        Offboarding(*w.store, w.clock).purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {});
        w.add(w.ga, "late@contoso.com", Role::user);
        Linking(*w.store, w.clock).link(w.pat, ProfileChoice{"pat@outlook.com"}, k_profile_password, Replace::no);
    };
    const auto r = off.purge(w.ga, {email("alice@contoso.com"), email("late@contoso.com"), email("pat@contoso.com")},
                             DryRun::no, Atomic::no, meanwhile);
    REQUIRE(calls > 0);
    REQUIRE(r.rows.size() == 3);
    CHECK(r.rows[0].outcome == "already-deleted");  // purged by the other admin meanwhile
    CHECK(r.rows[1].outcome == "purged");           // invited meanwhile
    CHECK(r.rows[2].outcome == "purged");
    CHECK(r.rows[2].detail == "account deleted, MCID 12345678 unlinked");  // linked meanwhile
    CHECK_FALSE(w.store->find_link(AccountKind::profile, 12345678));
    int alice_purges = 0;
    w.store->for_each_audit(AuditFilter{}, [&](const AuditRecord& e) {
        alice_purges += e.action == "purge-user" && e.target == "alice@contoso.com" && e.outcome == "ok";
    });
    CHECK(alice_purges == 1);
    CHECK(AuditLog(*w.store, w.clock).verify_chain().ok);
}

// With nothing committed between the plan and the lock, the purge through `batch_store` goes
// through as planned.
void check_applies_plan(World& w, Store& batch_store) {
    const auto r =
        Offboarding(batch_store, w.clock)
            .purge(w.ga, {email("alice@contoso.com"), email("nobody@contoso.com")}, DryRun::no, Atomic::no, {});
    CHECK(r.applied);
    CHECK(r.rows.at(0).outcome == "purged");
    CHECK(r.rows.at(1).outcome == "not-found");
    CHECK(r.read_again == 0);  // nothing read again: loading the plan (stage_purge) is no change
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::deleted);
    CHECK(AuditLog(*w.store, w.clock).verify_chain().ok);
}

// A batch loads its plan onto its connection without the write lock: while another connection
// holds it, and then purges from what it loaded once it has the lock.
void check_stages_without_lock(World& w, Store& batch_store) {
    std::vector<PurgeSubject> subjects;
    {
        auto snapshot = batch_store.begin_read();
        for (const auto& found : batch_store.find_purge_subjects({"alice@contoso.com", "pat@contoso.com"})) {
            REQUIRE(found);
            subjects.push_back(*found);
        }
    }
    {
        auto held = w.store->begin_write();  // another admin's write transaction, open
        w.store->last_user_id();             // (a server store's begins with its first statement)
        batch_store.set_busy_deadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
        CHECK_NOTHROW(batch_store.stage_purge(subjects));
        batch_store.set_busy_deadline(std::nullopt);
    }  // rolled back
    auto tx = batch_store.begin_write();
    CHECK(batch_store.purge_users(subjects, w.clock.now(), Store::CheckAsRead::yes, Store::Staged::yes));
    tx->commit();
    CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::deleted);
    CHECK(w.store->find_user(w.pat.user_id)->status == UserStatus::deleted);
    CHECK(w.store->org_user_count_mismatches() == 0);
}

// Runs the batch `targets` on `batch_store` while another admin, through w.store, runs `change`
// after the batch planned and before it took the write lock.
PurgeReport purge_with_change_meanwhile(World& w, Store& batch_store, const std::vector<PurgeTarget>& targets,
                                        const std::function<void()>& change) {
    int calls = 0;
    const Progress meanwhile = [&](std::size_t done, std::size_t) {
        if (calls++ == 0) {
            REQUIRE(done == 0);
            REQUIRE_FALSE(batch_store.in_transaction());
            change();
        }
    };
    auto r = Offboarding(batch_store, w.clock).purge(w.ga, targets, DryRun::no, Atomic::no, meanwhile);
    REQUIRE(calls > 0);
    CHECK(r.applied);
    CHECK(AuditLog(*w.store, w.clock).verify_chain().ok);
    CHECK(w.store->org_user_count_mismatches() == 0);
    return r;
}

// Other admins commit while the batch waits for the write lock. A commit that leaves the batch's
// accounts as they were leaves its plan standing: it is applied, and only the targets it does not
// purge are read again. A change to an account it purges is caught by the writes that purge it
// (Store::purge_users): the batch is planned again under the lock, from what holds there.
void check_writes_check_the_plan(World& w, Store& batch_store) {
    Linking linking(*w.store, w.clock);
    const std::vector<PurgeTarget> batch = {email("alice@contoso.com"), email("pat@contoso.com"),
                                            email("nobody@contoso.com"), email("bo@fabrikam.com")};
    SECTION("a commit that leaves the batch's accounts alone: the plan stands, its purged accounts unread") {
        const auto r =
            purge_with_change_meanwhile(w, batch_store, batch, [&] { w.add(w.ga, "late@contoso.com", Role::user); });
        CHECK(r.read_again == 2);  // nobody@ and bo@: the accounts purged are checked by the writes
        CHECK(outcomes(r) == std::map<std::string, std::string>{{"alice@contoso.com", "purged"},
                                                                {"pat@contoso.com", "purged"},
                                                                {"nobody@contoso.com", "not-found"},
                                                                {"bo@fabrikam.com", "denied"}});
        CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::deleted);
        CHECK(w.store->find_user_by_email("late@contoso.com")->status != UserStatus::deleted);
    }
    SECTION("an --atomic batch that rolls back reports what holds under the lock") {
        int calls = 0;
        const Progress meanwhile = [&](std::size_t, std::size_t) {
            if (calls++ == 0) {
                Offboarding(*w.store, w.clock).purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {});
            }
        };
        const auto r = Offboarding(batch_store, w.clock).purge(w.ga, batch, DryRun::no, Atomic::yes, meanwhile);
        CHECK_FALSE(r.applied);  // nobody@ and bo@ fail it
        CHECK(outcomes(r).at("alice@contoso.com") == "already-deleted");
        CHECK(outcomes(r).at("pat@contoso.com") == "purged");
        CHECK(w.store->find_user(w.pat.user_id)->status != UserStatus::deleted);
    }
    SECTION("purged meanwhile: already deleted, and one audit row for it") {
        const auto r = purge_with_change_meanwhile(w, batch_store, batch, [&] {
            Offboarding(*w.store, w.clock).purge(w.ga, {email("alice@contoso.com")}, DryRun::no, Atomic::no, {});
        });
        CHECK(r.read_again == 4);  // planned again under the lock
        CHECK(outcomes(r).at("alice@contoso.com") == "already-deleted");
        CHECK(outcomes(r).at("pat@contoso.com") == "purged");
        int alice_purges = 0;
        w.store->for_each_audit(AuditFilter{}, [&](const AuditRecord& e) {
            alice_purges += e.action == "purge-user" && e.target == "alice@contoso.com" && e.outcome == "ok";
        });
        CHECK(alice_purges == 1);
    }
    SECTION("an invitation readdressed meanwhile: its old address names nobody, and the account stays") {
        Directory dir(*w.store, w.clock);
        dir.invite(w.ga, {std::nullopt, Email::parse("joiner@contoso.com"), "Joiner", Role::user});
        const auto r = purge_with_change_meanwhile(
            w, batch_store, {email("joiner@contoso.com"), email("alice@contoso.com")},
            [&] { dir.update_email(w.ga, Email::parse("joiner@contoso.com"), Email::parse("joiner2@contoso.com")); });
        CHECK(outcomes(r).at("joiner@contoso.com") == "not-found");
        CHECK(outcomes(r).at("alice@contoso.com") == "purged");
        CHECK(w.store->find_user_by_email("joiner2@contoso.com")->status == UserStatus::invited);
    }
    SECTION("an MCID linked meanwhile is unlinked, and said so") {
        const auto r = purge_with_change_meanwhile(w, batch_store, batch, [&] {
            linking.link(w.pat, ProfileChoice{"pat@outlook.com"}, k_profile_password, Replace::no);
        });
        CHECK(r.rows.at(1).detail == "account deleted, MCID 12345678 unlinked");
        CHECK_FALSE(w.store->find_link(AccountKind::profile, 12345678));
    }
    SECTION("an MCID unlinked meanwhile is not said to be") {
        linking.link(w.pat, ProfileChoice{"pat@outlook.com"}, k_profile_password, Replace::no);
        const auto r =
            purge_with_change_meanwhile(w, batch_store, batch, [&] { linking.unlink(w.pat, AccountKind::profile); });
        CHECK(r.rows.at(1).detail == "account deleted");
    }
    SECTION("another MCID linked meanwhile in place of the one read") {
        linking.link(w.pat, ProfileChoice{"pat@outlook.com"}, k_profile_password, Replace::no);
        add_profile(*w.store, 23456789, "pat.two@outlook.com");
        const auto r = purge_with_change_meanwhile(w, batch_store, batch, [&] {
            linking.link(w.pat, ProfileChoice{"pat.two@outlook.com"}, k_profile_password, Replace::yes);
        });
        CHECK(r.rows.at(1).detail == "account deleted, MCID 23456789 unlinked");
        CHECK_FALSE(w.store->find_link(AccountKind::profile, 23456789));
    }
    SECTION("Partner University access begun meanwhile is ended, and said so") {
        add_university(*w.store, "pat@outlook.com");
        const auto r = purge_with_change_meanwhile(
            w, batch_store, batch, [&] { linking.associate(w.pat, "pat@outlook.com", k_profile_password); });
        CHECK(r.rows.at(1).detail == "account deleted, Partner University access ended");
        CHECK_FALSE(w.store->find_link_of_user(AccountKind::university, w.pat.user_id));
    }
    SECTION("Partner University access ended meanwhile is not said to be") {
        add_university(*w.store, "pat@outlook.com");
        linking.associate(w.pat, "pat@outlook.com", k_profile_password);
        const auto r =
            purge_with_change_meanwhile(w, batch_store, batch, [&] { linking.unlink(w.pat, AccountKind::university); });
        CHECK(r.rows.at(1).detail == "account deleted");
    }
}

}  // namespace

TEST_CASE("a purge plans from what holds once it has the write lock, not from its earlier email lookup") {
    World w;
    add_profile(*w.store, 12345678, "pat@outlook.com");
    SECTION("changes made meanwhile are planned from") {
        check_plans_from_what_holds(w, *w.store);
    }
    SECTION("what the writes check") {
        check_writes_check_the_plan(w, *w.store);
    }
}

// The same with two connections to one server database.
TEST_CASE("a purge on a server store sees what another connection committed between its plan and its lock", "[pg]") {
    PgDatabase db;
    World w(open_pg_store(db.uri, OpenMode::create));
    add_profile(*w.store, 12345678, "pat@outlook.com");
    auto batch_store = open_pg_store(db.uri, OpenMode::open_existing);

    SECTION("the change stamp: equal while nothing is committed, moved by a commit or a rollback") {
        const auto stamp = [&] {
            auto tx = batch_store->begin_read();
            return batch_store->change_stamp();
        };
        const auto first = stamp();
        REQUIRE(first);
        CHECK(stamp() == first);
        auto& other = dynamic_cast<store::PgStore&>(*w.store).connection();
        other.exec("BEGIN");
        other.exec("UPDATE orgs SET name = name");  // a row written: the transaction has an id now
        const auto during = stamp();                // (equal, or nullopt: either way read again)
        CHECK((!during || during == first));
        other.exec("COMMIT");
        const auto after = stamp();
        REQUIRE(after);
        CHECK(after != first);
        other.exec("BEGIN; UPDATE orgs SET name = name; ROLLBACK");
        CHECK(stamp() != after);  // a rollback moves it too: it errs towards "changed"
    }
    SECTION("changes made meanwhile are planned from") {
        check_plans_from_what_holds(w, *batch_store);
    }
    SECTION("with nothing committed meanwhile, the plan made before the lock is applied") {
        check_applies_plan(w, *batch_store);
    }
    SECTION("the plan is loaded onto the batch's connection without the write lock") {
        check_stages_without_lock(w, *batch_store);
    }
    SECTION("what the writes check") {
        check_writes_check_the_plan(w, *batch_store);
    }
}

namespace {

// Polls `watcher` (a connection of its own) until some backend waits for the store's write lock
// (an advisory lock not granted); fails after a minute.
void wait_for_write_lock_waiter(store::pg::Connection& watcher) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (watcher.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").row(0).int64(0) ==
           0) {
        REQUIRE(std::chrono::steady_clock::now() < give_up);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace

// The accounts are marked deleted under their own row locks, before the write lock: other writers
// wait only for the rest of the batch (Store::begin_write_marking_purged).
TEST_CASE("a purge on a server store marks its accounts before it waits for the write lock", "[pg]") {
    PgDatabase db;
    World w(open_pg_store(db.uri, OpenMode::create));
    auto batch_store = open_pg_store(db.uri, OpenMode::open_existing);
    store::pg::Connection watcher(db.uri);
    PurgeReport report;
    std::exception_ptr failed;
    std::thread batch;
    const auto start_batch = [&] {
        batch = std::thread([&] {
            try {
                report = Offboarding(*batch_store, w.clock)
                             .purge(w.ga, {email("alice@contoso.com"), email("pat@contoso.com")}, DryRun::no,
                                    Atomic::no, {});
            } catch (...) {
                failed = std::current_exception();
            }
        });
        wait_for_write_lock_waiter(watcher);
    };
    const auto batch_done = [&] {
        batch.join();
        if (failed) {
            std::rethrow_exception(failed);
        }
        CHECK(report.applied);
        CHECK(outcomes(report) ==
              std::map<std::string, std::string>{{"alice@contoso.com", "purged"}, {"pat@contoso.com", "purged"}});
        CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::deleted);
        CHECK(w.store->find_user(w.pat.user_id)->status == UserStatus::deleted);
        CHECK(w.store->org_user_count_mismatches() == 0);
        CHECK(AuditLog(*w.store, w.clock).verify_chain().ok);
    };

    SECTION("while another writer holds the write lock, the batch waits holding its accounts' rows") {
        {
            auto held = w.store->begin_write();  // another admin's write transaction, open
            w.store->last_user_id();             // (a server store's begins with its first statement)
            start_batch();
            std::string row_lock = "free";  // what another transaction finds alice's row
            watcher.exec("BEGIN");
            try {
                watcher.query("SELECT 1 FROM users WHERE email = 'alice@contoso.com' FOR UPDATE NOWAIT");
            } catch (const store::pg::ServerError& e) {
                row_lock = e.sqlstate();
            }
            watcher.exec("ROLLBACK");
            CHECK(row_lock == "55P03");  // lock not available: the batch holds it
            // Not yet deleted for anyone else, and left as it was if the batch rolled back.
            CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::active);
        }  // rolled back: the batch takes the lock
        batch_done();
    }
    SECTION("a link and a session begun while it waits are ended under the lock, the link reported") {
        add_profile(*w.store, 12345678, "pat@outlook.com");
        {
            auto held = w.store->begin_write();
            w.store->last_user_id();
            start_batch();  // pat had no link when the batch ended its accounts' links
            Linking(*w.store, w.clock).link(w.pat, ProfileChoice{"pat@outlook.com"}, k_profile_password, Replace::no);
            w.store->insert_session("alice-meanwhile", w.alice.user_id, w.clock.now(), w.clock.now() + 3600);
            held->commit();
        }
        batch_done();
        CHECK(report.rows.at(1).detail == "account deleted, MCID 12345678 unlinked");
        CHECK_FALSE(w.store->find_link(AccountKind::profile, 12345678));
        CHECK_FALSE(w.store->find_session("alice-meanwhile"));
    }
    SECTION("a writer needing one of its accounts while it waits: the server fails one of the two, both end") {
        // The writer holds the write lock and updates alice, whose row the batch holds while it
        // waits for that lock: a deadlock. The server fails one of them after deadlock_timeout;
        // run_write_unit runs it again (the batch then takes the lock first).
        run_write_unit(*w.store, [&] {
            auto tx = w.store->begin_write();
            User alice = *w.store->find_user(w.alice.user_id);
            if (!batch.joinable()) {  // its first run
                start_batch();
            }
            alice.name = "Alice Renamed";
            w.store->update_user(alice);
            tx->commit();
        });
        batch_done();
        CHECK(w.store->find_user(w.alice.user_id)->name == "Alice Renamed");
    }
}

// SQLite: two connections to one file (the unit suite's SQLite stores are in memory, one
// connection each).
TEST_CASE("a purge sees what another connection committed between its plan and its write lock", "[sqlite]") {
    World w;
    add_profile(*w.store, 12345678, "pat@outlook.com");
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("mcid-purge-{}", ::getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "s.db").string();
    exec_sql(*w.store, "VACUUM INTO '" + path + "'");
    auto batch_store = open_sqlite_store(path, OpenMode::open_existing);
    w.store = open_sqlite_store(path, OpenMode::open_existing);  // the other admins' connection

    SECTION("changes made meanwhile are planned from") {
        check_plans_from_what_holds(w, *batch_store);
    }
    SECTION("with nothing committed meanwhile, the plan made before the lock is applied") {
        check_applies_plan(w, *batch_store);
    }
    SECTION("the plan is loaded onto the batch's connection without the write lock") {
        check_stages_without_lock(w, *batch_store);
    }
    SECTION("what the writes check") {
        check_writes_check_the_plan(w, *batch_store);
    }
    batch_store.reset();
    w.store.reset();
    std::filesystem::remove_all(dir);
}

TEST_CASE("a batch of more than one step drops its users' competency periods after its commit, in steps") {
    World w;
    // Six Contoso users hold AZ-305 through a link; the batch purges five, keeping frank.
    std::vector<Actor> people = {w.alice, w.pat};
    for (const char* name : {"carol", "dave", "erin", "frank"}) {
        people.push_back(w.add(w.ga, std::string(name) + "@contoso.com", Role::user));
    }
    for (std::size_t i = 0; i < people.size(); ++i) {
        const std::int64_t mcid = 60000000 + static_cast<std::int64_t>(i);
        const std::string login = "p" + std::to_string(i) + "@outlook.com";
        add_profile(*w.store, mcid, login);
        add_credential(*w.store, mcid, "AZ-305", "2025-06-01");
        Linking(*w.store, w.clock).link(people[i], ProfileChoice{login}, k_profile_password, Replace::no);
    }
    Registry(*w.store, w.clock).define_competency(w.op, Competency{"Azure", {"AZ-305"}, 1});
    w.clock.advance(4 * 86400);
    const std::int64_t contoso = w.ga.org_id.value();
    // What reports say (from the kept periods, or from the credentials while marked stale) and
    // what the credentials say, for Contoso now.
    const auto qualified = [&] {
        CollectSink sink;
        Reports(*w.store, w.clock).competencies(w.ga, std::nullopt, sink);
        return sink.rows.at(0).at("individuals_qualified");
    };
    const auto kept_agrees = [&] {
        return w.store->competency_ends_mismatches() == 0 &&
               w.store->count_qualified(contoso, w.clock.now()) ==
                   count_qualified_from_holdings(*w.store, contoso, w.clock.now());
    };
    REQUIRE(qualified() == "6");
    REQUIRE(kept_agrees());
    const std::vector<PurgeTarget> targets = {email("alice@contoso.com"), email("pat@contoso.com"),
                                              email("carol@contoso.com"), email("dave@contoso.com"),
                                              email("erin@contoso.com")};
    const auto holders = [&] {
        return w.store->users_with_competency_periods("Azure", 1, w.store->last_user_id());
    };
    const std::vector<std::int64_t> frank_only = {people[5].user_id};

    SECTION("more than one step: marked stale in the batch, dropped after it in steps, the mark cleared by the last") {
        RebuildSteps steps;
        steps.users = 2;
        std::vector<std::int64_t> between;
        steps.between_steps = [&](std::int64_t done, std::int64_t total) {
            between.push_back(done);
            CHECK(total == 5);
            CHECK(w.store->competency_periods_stale());
            CHECK(qualified() == "1");                          // frank, counted from the credentials meanwhile
            CHECK(w.store->competency_ends_mismatches() == 0);  // each step keeps the end counts in step
            CHECK(holders().size() == static_cast<std::size_t>(6 - done));
        };
        bool checked_before_commit = false;
        const auto progress = [&](std::size_t done, std::size_t total) {
            if (done == total && total == 5) {  // in the batch's transaction, just before its commit
                checked_before_commit = true;
                CHECK(w.store->competency_periods_stale());
                CHECK(holders().size() == 6);  // nothing dropped in the batch's own transaction
            }
        };
        const auto r = Offboarding(*w.store, w.clock, steps).purge(w.ga, targets, DryRun::no, Atomic::no, progress);
        CHECK(r.applied);
        CHECK(r.purged == 5);
        CHECK(r.periods_error.empty());
        CHECK(checked_before_commit);
        CHECK(between == std::vector<std::int64_t>{2, 4});  // three steps: 2, 2 and 1 users
        CHECK_FALSE(w.store->competency_periods_stale());
        CHECK(holders() == frank_only);
        CHECK(kept_agrees());
        CHECK(qualified() == "1");
    }
    SECTION("one step's worth: dropped in the batch's own transaction, never marked stale") {
        RebuildSteps steps;
        steps.users = 5;
        int between = 0;
        steps.between_steps = [&](std::int64_t, std::int64_t) {
            ++between;
        };
        bool checked_before_commit = false;
        const auto progress = [&](std::size_t done, std::size_t total) {
            if (done == total && total == 5) {
                checked_before_commit = true;
                CHECK_FALSE(w.store->competency_periods_stale());
                CHECK(holders() == frank_only);  // already gone, before the commit
            }
        };
        const auto r = Offboarding(*w.store, w.clock, steps).purge(w.ga, targets, DryRun::no, Atomic::no, progress);
        CHECK(r.purged == 5);
        CHECK(checked_before_commit);
        CHECK(between == 0);
        CHECK_FALSE(w.store->competency_periods_stale());
        CHECK(holders() == frank_only);
        CHECK(kept_agrees());
    }
    SECTION("a drop that stops part-way: the batch stands, the mark stays, reports stay right, db rebuild ends it") {
        RebuildSteps steps;
        steps.users = 2;
        steps.between_steps = [&](std::int64_t, std::int64_t) {
            throw Interrupted("stopped");
        };
        const auto r = Offboarding(*w.store, w.clock, steps).purge(w.ga, targets, DryRun::no, Atomic::no, {});
        CHECK(r.applied);
        CHECK(r.purged == 5);
        CHECK(r.periods_error.find("2 of 5 purged users' competency periods dropped (stopped)") != std::string::npos);
        CHECK(w.store->find_user(w.alice.user_id)->status == UserStatus::deleted);
        CHECK(w.store->competency_periods_stale_jobs() == std::vector<std::string>{"purge-" + r.batch});
        CHECK(holders().size() == 4);  // frank and the three of the steps not made
        CHECK(qualified() == "1");     // from the credentials: the purged hold nothing
        CHECK(check_store(*w.store, w.clock).ok());
        rebuild_derived(*w.store, w.op, w.clock);
        CHECK_FALSE(w.store->competency_periods_stale());
        CHECK(holders() == frank_only);
        CHECK(kept_agrees());
        CHECK(qualified() == "1");
    }
    SECTION("another job's end leaves the batch's mark standing") {
        RebuildSteps steps;
        steps.users = 2;
        int calls = 0;
        steps.between_steps = [&](std::int64_t, std::int64_t) {
            if (++calls == 1) {  // a competency define, start to end, between two of the batch's steps
                Registry(*w.store, w.clock).define_competency(w.op, Competency{"Other", {"AZ-900"}, 1});
                CHECK(w.store->competency_periods_stale());
                CHECK(qualified() == "1");
            }
        };
        Offboarding(*w.store, w.clock, steps).purge(w.ga, targets, DryRun::no, Atomic::no, {});
        CHECK(calls == 2);
        CHECK_FALSE(w.store->competency_periods_stale());
        CHECK(holders() == frank_only);
        CHECK(kept_agrees());
    }
}
