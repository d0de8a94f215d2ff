// Rule 10 kept current: the periods behind `report competencies` (qualifications.hpp) against a
// count straight from the credentials, after every kind of change and at many instants.
#include "collect_sink.hpp"
#include "fixture.hpp"
#include "store/pg_store.hpp"

#include <mcid/error.hpp>
#include <mcid/importer.hpp>
#include <mcid/linking.hpp>
#include <mcid/maintenance.hpp>
#include <mcid/offboarding.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/reflection.hpp>
#include <mcid/registry.hpp>
#include <mcid/reports.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <sstream>

using namespace mcid;
using namespace mcid::test;

namespace {

constexpr Instant k_day = 86400;

Holding holding(const char* code, const char* passed, const char* expires, Instant linked_at) {
    return Holding{code, passed ? passed : "", expires ? expires : "", linked_at};
}

// The counts kept in the store must equal the counts from the credentials at every instant
// around every boundary, in both organizations; competency_ends must match the periods.
void require_agreement(World& w, const std::string& when) {
    INFO("after " << when);
    REQUIRE(w.store->competency_ends_mismatches() == 0);
    const Instant now = w.clock.now();
    std::vector<Instant> instants = {now - 400 * k_day, now - 30 * k_day, now - 1, now, now + 1, now + 3600};
    for (Instant d : {1, 2, 3, 4, 9, 10, 11, 12, 30, 200, 365, 366, 400, 800}) {
        instants.push_back(now + d * k_day);
        instants.push_back(Date::of(now + d * k_day).midnight());
        instants.push_back(Date::of(now + d * k_day).midnight() - 1);
    }
    for (const auto& org : w.store->list_orgs()) {
        w.store->for_each_holding(org.id, [&](const HoldingRow& h) {  // each credential's own boundaries
            const Instant r = reflection_time(h.passed_on, h.linked_at, Policy::load(*w.store));
            instants.insert(instants.end(), {r - 1, r, r + 1});
            if (!h.expires_on.empty()) {
                const Instant e = Date::parse(h.expires_on).midnight();
                instants.insert(instants.end(), {e - 1, e, e + 1});
            }
        });
    }
    for (const auto& org : w.store->list_orgs()) {
        for (const Instant t : instants) {
            INFO("organization " << org.mpn_id << " at " << format_instant(t));
            REQUIRE(w.store->count_qualified(org.id, t) == count_qualified_from_holdings(*w.store, org.id, t));
        }
    }
}

std::string import_csv(World& w, ImportKind kind, const std::string& csv) {
    std::istringstream in(csv);
    Importer(*w.store, w.clock).import_registry(w.op, kind, in, {});
    return csv;
}

}  // namespace

TEST_CASE("qualifying periods: from reflection to expiry, merged per competency") {
    const Competency azure{"Azure", {"AZ-104", "AZ-305"}, 1};
    const Competency infra{"Infra", {"AZ-305"}, 2};
    const CompetencyIndex index({azure, infra});
    const Policy policy;  // 72h for existing credentials, 10d for new ones
    const Instant linked = at("2026-03-01", 9);

    SECTION("a credential passed before the link day counts 72h after the link, until its expiry date") {
        const auto p = qualifying_periods({holding("AZ-104", "2025-01-10", "2027-01-10", linked)}, index, policy);
        REQUIRE(p == std::vector<CompetencyPeriod>{{"Azure", linked + 72 * 3600, Date::parse("2027-01-10").midnight()}});
    }
    SECTION("one passed on or after the link day counts 10 days after its passed date; no expiry is never") {
        const auto p = qualifying_periods({holding("AZ-104", "2026-03-01", nullptr, linked)}, index, policy);
        REQUIRE(p == std::vector<CompetencyPeriod>{{"Azure", Date::parse("2026-03-11").midnight(), k_never}});
    }
    SECTION("a code required by two competencies gives a period in each") {
        const auto p = qualifying_periods({holding("AZ-305", "2025-06-01", nullptr, linked)}, index, policy);
        REQUIRE(p.size() == 2);
        CHECK(p[0].competency == "Azure");
        CHECK(p[1].competency == "Infra");
    }
    SECTION("overlapping and touching periods of one competency merge; gaps stay") {
        const auto p = qualifying_periods(
            {holding("AZ-104", "2025-01-10", "2026-06-01", linked),   // [link+72h, 06-01)
             holding("AZ-305", "2026-05-22", "2026-09-01", linked),   // [06-01, 09-01): touches
             holding("AZ-104", "2026-11-01", nullptr, linked)},       // [11-11, never): a gap before
            CompetencyIndex({azure}), policy);
        REQUIRE(p == std::vector<CompetencyPeriod>{
                         {"Azure", linked + 72 * 3600, Date::parse("2026-09-01").midnight()},
                         {"Azure", Date::parse("2026-11-11").midnight(), k_never}});
    }
    SECTION("a credential that expires before it is reflected never counts; other codes never count") {
        CHECK(qualifying_periods({holding("AZ-104", "2025-01-10", "2026-03-02", linked)}, index, policy).empty());
        CHECK(qualifying_periods({holding("MS-700", "2025-01-10", nullptr, linked)}, index, policy).empty());
    }
}

TEST_CASE("rule 10 kept current: competency status agrees with the credentials after every change") {
    World w;
    std::vector<std::string> codes = {"AZ-104", "AZ-305", "AZ-900", "MS-700", "PU-1"};
    std::vector<std::string> names = {"Azure", "cloud", "Data"};  // "cloud" redefines "Cloud"
    std::mt19937 rng(20261124);
    const auto pick = [&](auto& v) -> auto& { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
    const auto date_near = [&](int from_days, int to_days) {
        return Date::of(w.clock.now() + std::uniform_int_distribution<int>(from_days, to_days)(rng) * k_day).str();
    };

    std::vector<std::string> profiles;
    for (int i = 0; i < 6; ++i) {
        const std::int64_t mcid = 30000000 + i;
        profiles.push_back("p" + std::to_string(i) + "@outlook.com");
        add_profile(*w.store, mcid, profiles.back());
    }
    std::vector<std::string> university;
    for (int i = 0; i < 3; ++i) {
        university.push_back("u" + std::to_string(i) + "@university.example");
        add_university(*w.store, university.back());
    }
    std::vector<Actor> users = {w.alice, w.pat, w.ga, w.bo, w.gb, w.add(w.ga, "carol@contoso.com", Role::user),
                                w.add(w.gb, "dan@fabrikam.com", Role::user)};
    Registry registry(*w.store, w.clock);
    registry.define_competency(w.op, Competency{"Azure", {"AZ-104", "AZ-305"}, 2});
    registry.define_competency(w.op, Competency{"Cloud", {"AZ-305", "AZ-900", "PU-1"}, 1});
    registry.define_competency(w.op, Competency{"Work", {"MS-700"}, 1});
    require_agreement(w, "defining competencies");

    // What the organizations' counts look like, for telling which steps changed them.
    const auto snapshot = [&] {
        std::vector<QualifiedCounts> out;
        for (const auto& org : w.store->list_orgs()) {
            for (const Instant d : {-1, 0, 1, 20, 400}) {
                out.push_back(count_qualified_from_holdings(*w.store, org.id, w.clock.now() + d * k_day));
            }
        }
        return out;
    };
    std::map<std::string, int> effective;  // steps of each kind that changed competency status
    for (int step = 0; step < 160; ++step) {
        w.clock.advance(std::uniform_int_distribution<Instant>(0, 6 * k_day)(rng));
        const auto before = snapshot();
        const int op = std::uniform_int_distribution<int>(0, 9)(rng);
        std::string what;
        try {
            Actor& who = pick(users);
            switch (op) {
                case 0:
                case 1:
                    what = "link";
                    Linking(*w.store, w.clock).link(who, ProfileChoice{pick(profiles)}, k_profile_password, Replace::yes);
                    break;
                case 2:
                    what = "associate";
                    Linking(*w.store, w.clock).associate(who, pick(university), k_profile_password);
                    break;
                case 3:
                    what = "unlink";
                    Linking(*w.store, w.clock).unlink(who, std::uniform_int_distribution<int>(0, 1)(rng) ? AccountKind::profile
                                                                                                       : AccountKind::university);
                    break;
                case 4: {
                    what = "registry import --kind credentials";
                    std::string csv = "mcid,code,title,type,passed_on,expires_on\n";
                    for (int r = 0; r < 4; ++r) {
                        const std::string passed = date_near(-700, 5);
                        const bool expires = std::uniform_int_distribution<int>(0, 2)(rng) > 0;
                        csv += std::to_string(30000000 + std::uniform_int_distribution<int>(0, 5)(rng)) + "," +
                               pick(codes) + ",T,certification," + passed + "," +
                               (expires ? Date::of(Date::parse(passed).midnight() + std::uniform_int_distribution<int>(1, 500)(rng) * k_day).str() : "") + "\n";
                    }
                    import_csv(w, ImportKind::credentials, csv);
                    break;
                }
                case 5:
                    what = "registry import --kind assessments";
                    import_csv(w, ImportKind::assessments,
                               "login,title,code,passed_on\n" + pick(university) + ",A" + std::to_string(step) + "," +
                                   pick(codes) + "," + date_near(-60, 0) + "\n");
                    break;
                case 6: {
                    // a user with a link, by email (then restored, to link again later), or a linked MCID
                    std::vector<std::pair<Actor, std::optional<Link>>> linked;
                    for (const Actor& u : users) {
                        const auto link = w.store->find_link_of_user(AccountKind::profile, u.user_id);
                        if (u.role != Role::global_admin &&
                            (link || w.store->find_link_of_user(AccountKind::university, u.user_id))) {
                            linked.emplace_back(u, link);
                        }
                    }
                    if (linked.empty()) {
                        break;
                    }
                    const auto& [target, link] = pick(linked);
                    const Actor& admin = target.org_id == w.ga.org_id ? w.ga : w.gb;
                    const bool by_mcid = link && std::uniform_int_distribution<int>(0, 1)(rng);
                    what = by_mcid ? "purge-user --mcid" : "purge-user";
                    const auto report = Offboarding(*w.store, w.clock).purge(
                        admin, {by_mcid ? PurgeTarget{PurgeTarget::Kind::mcid, std::to_string(link->account_id)}
                                        : PurgeTarget{PurgeTarget::Kind::email, target.email}},
                        DryRun::no, Atomic::no, {});
                    REQUIRE(report.purged == 1);
                    if (!by_mcid) {
                        Directory(*w.store, w.clock).restore(admin, Email::parse(target.email));
                    }
                    break;
                }
                case 7:
                    what = "competency define";
                    registry.define_competency(w.op, Competency{pick(names),
                                                                {pick(codes), pick(codes)}, 1});
                    break;
                case 8:
                    what = "config set reflection";
                    registry.config_set(w.op, std::uniform_int_distribution<int>(0, 1)(rng) ? "reflection.new" : "reflection.existing",
                                        std::to_string(std::uniform_int_distribution<int>(1, 15)(rng)) + "d");
                    break;
                case 9: {
                    what = "registry add-credential";
                    Credential c;
                    c.mcid = 30000000 + std::uniform_int_distribution<int>(0, 5)(rng);
                    c.code = pick(codes);
                    c.title = "T";
                    c.passed_on = Date::parse(date_near(-5, 2));
                    registry.add_credential(w.op, c);
                    break;
                }
            }
        } catch (const Error&) {
            // limits, conflicts and not-found are part of the walk; what happened must still agree
        }
        require_agreement(w, std::to_string(step) + ": " + what);
        effective[what] += snapshot() != before;
    }
    // Every kind of change moved competency status at least once, so each kept up for real.
    for (const char* kind : {"link", "associate", "unlink", "registry import --kind credentials",
                             "registry import --kind assessments", "purge-user", "purge-user --mcid",
                             "competency define", "config set reflection", "registry add-credential"}) {
        INFO(kind);
        CHECK(effective[kind] > 0);
    }
}

TEST_CASE("a store without kept competency status counts from the credentials until rebuilt") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    add_credential(*w.store, 12345678, "AZ-305", "2025-06-01");
    Linking(*w.store, w.clock).link(w.alice, ProfileChoice{"alice@outlook.com"}, k_profile_password, Replace::no);
    Registry(*w.store, w.clock).define_competency(w.op, Competency{"Azure", {"AZ-305"}, 1});
    w.clock.advance(4 * k_day);
    const auto qualified = [&] {
        CollectSink sink;
        Reports(*w.store, w.clock).competencies(w.ga, std::nullopt, sink);
        return sink.rows.at(0).at("individuals_qualified");
    };
    REQUIRE(qualified() == "1");

    // What a store migrated from schema 1 looks like: stale, and nothing kept.
    w.store->clear_competency_periods("Azure");
    w.store->mark_competency_periods_stale("");  // the mark of no job
    CHECK(qualified() == "1");  // counted from the credentials
    CHECK(check_store(*w.store, w.clock).ok());
    CHECK(check_store(*w.store, w.clock).competency_status_stale);

    CHECK_THROWS_AS(rebuild_derived(*w.store, w.ga, w.clock), PermissionDenied);
    const RebuildResult r = rebuild_derived(*w.store, w.op, w.clock);
    CHECK(r.users == 1);
    CHECK(r.periods == 1);
    CHECK_FALSE(w.store->competency_periods_stale());
    CHECK(qualified() == "1");

    // Kept status that disagrees with the credentials is a finding of db check.
    w.store->clear_competency_periods("Azure");
    const StoreCheck check = check_store(*w.store, w.clock);
    REQUIRE(check.derived.size() == 1);
    CHECK(check.derived[0].find("'Azure' has 0 qualified individuals kept, 1 from the credentials") != std::string::npos);
    CHECK(qualified() == "0");  // the report trusts what is kept: the check is how drift is found
    rebuild_derived(*w.store, w.op, w.clock);
    CHECK(check_store(*w.store, w.clock).ok());
}

TEST_CASE("a full rebuild goes in steps: writes between them, a rebuild that stops, another one under way") {
    World w;
    const std::vector<Actor> people = {w.alice, w.pat, w.bo, w.add(w.ga, "carol@contoso.com", Role::user)};
    for (std::size_t i = 0; i < people.size(); ++i) {
        const std::int64_t mcid = 40000000 + static_cast<std::int64_t>(i);
        add_profile(*w.store, mcid, "q" + std::to_string(i) + "@outlook.com");
        add_credential(*w.store, mcid, "AZ-305", "2025-06-01");
        if (i < 3) {  // carol links between the steps
            Linking(*w.store, w.clock)
                .link(people[i], ProfileChoice{"q" + std::to_string(i) + "@outlook.com"}, k_profile_password,
                      Replace::no);
        }
    }
    Registry(*w.store, w.clock).define_competency(w.op, Competency{"Azure", {"AZ-305"}, 1});
    w.clock.advance(4 * k_day);
    require_agreement(w, "setup");
    const std::int64_t last = w.store->last_user_id();
    REQUIRE(last >= 7);

    SECTION("one user per step; a link between steps; the stale mark lasts until the last step") {
        w.store->clear_competency_periods("Azure");  // drift for the rebuild to repair
        int calls = 0;
        RebuildSteps steps;
        steps.users = 1;
        steps.between_steps = [&](std::int64_t done, std::int64_t at_start) {
            ++calls;
            CHECK(done == calls);
            CHECK(at_start == last);
            CHECK(w.store->competency_periods_stale());
            CHECK(check_store(*w.store, w.clock).ok());  // nothing kept is compared while stale
            if (calls == 2) {
                Linking(*w.store, w.clock)
                    .link(people[3], ProfileChoice{"q3@outlook.com"}, k_profile_password, Replace::no);
            }
        };
        int finished = 0;
        const RebuildResult r = rebuild_competency_status(
            *w.store, [&](const RebuildResult&) { ++finished; }, steps);
        CHECK(calls == last - 1);  // every step but the last
        CHECK(finished == 1);
        CHECK(r.users == 4);
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "a rebuild in steps with a link between them");
        CHECK(check_store(*w.store, w.clock).ok());
    }
    SECTION("end counts below the periods they count are repaired, not made negative") {
        exec_sql(*w.store, "UPDATE competency_ends SET periods = 1");
        REQUIRE(w.store->competency_ends_mismatches() > 0);  // Contoso's two holders counted once
        RebuildSteps steps;
        steps.users = 3;  // alice and pat in one step that is not the last
        rebuild_competency_status(*w.store, {}, steps);
        require_agreement(w, "a rebuild over drifted end counts");
    }
    SECTION("end counts above the periods they count, and counts of nothing, are recounted") {
        exec_sql(*w.store, "UPDATE competency_ends SET periods = periods + 5");
        const std::int64_t fabrikam = w.gb.org_id.value();
        exec_sql(*w.store, "INSERT INTO competency_ends(org_id, competency, ends_at, periods) VALUES (" +
                               std::to_string(fabrikam) + ", 'Azure', 4102444800, 3)");
        REQUIRE(w.store->orgs_with_competency_ends_mismatches().size() == 2);  // Contoso and Fabrikam
        RebuildSteps steps;
        steps.users = 3;
        rebuild_competency_status(*w.store, {}, steps);
        CHECK(w.store->orgs_with_competency_ends_mismatches().empty());
        require_agreement(w, "a rebuild over end counts too high");
    }
    SECTION("a rebuild that stops part-way leaves the stale mark, and correct counts; db rebuild completes it") {
        w.store->clear_competency_periods("Azure");
        RebuildSteps steps;
        steps.users = 2;
        steps.between_steps = [&](std::int64_t done, std::int64_t) {
            if (done >= 4)
                throw Interrupted("stopped");
        };
        CHECK_THROWS_AS(rebuild_competency_status(*w.store, {}, steps), Interrupted);
        CHECK(w.store->competency_periods_stale());
        CollectSink sink;
        Reports(*w.store, w.clock).competencies(w.ga, std::nullopt, sink);
        CHECK(sink.rows.at(0).at("individuals_qualified") == "2");  // alice and pat, from the credentials
        rebuild_derived(*w.store, w.op, w.clock);
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "db rebuild after one that stopped");
    }
    SECTION("a rebuild that ends while a later one is under way leaves the mark to the later one") {
        std::string later;
        RebuildSteps steps;
        steps.users = 2;
        steps.between_steps = [&](std::int64_t done, std::int64_t) {
            if (done == 2) {  // what another process's rebuild does in its first step
                auto tx = w.store->begin_write();
                later = mark_rebuild_started(*w.store);
                tx->commit();
            }
        };
        rebuild_competency_status(*w.store, {}, steps);
        CHECK(w.store->competency_periods_stale_jobs() == std::vector<std::string>{later});
        rebuild_competency_status(*w.store);  // the later one, to its end
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "two rebuilds");
    }
    SECTION("a job that starts later and ends sooner leaves the earlier one's mark standing") {
        // A competency define (its holders only) runs whole between two steps of the rebuild.
        // With one mark for all jobs, the define's end cleared it while the rebuild was halfway,
        // and reports trusted periods not all rewritten yet.
        w.store->clear_competency_periods("Azure");  // what the rebuild is there to repair
        int calls = 0;
        RebuildSteps steps;
        steps.users = 1;
        steps.between_steps = [&](std::int64_t, std::int64_t) {
            if (++calls == 1) {
                Registry(*w.store, w.clock).define_competency(w.op, Competency{"Other", {"AZ-900"}, 1});
                CHECK(w.store->competency_periods_stale());  // the rebuild's mark stands
                CollectSink sink;
                Reports(*w.store, w.clock).competencies(w.ga, std::nullopt, sink);
                CHECK(sink.rows.at(0).at("individuals_qualified") == "2");  // alice and pat, from the credentials
            }
        };
        rebuild_competency_status(*w.store, {}, steps);
        CHECK(calls > 1);
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "a define inside a rebuild");
    }
    SECTION("a full rebuild clears the marks that stood when it began, not those made since") {
        auto tx = w.store->begin_write();
        w.store->mark_competency_periods_stale("");  // never built
        w.store->mark_competency_periods_stale("stopped-job");
        tx->commit();
        RebuildSteps steps;
        steps.users = 2;
        steps.between_steps = [&](std::int64_t done, std::int64_t) {
            if (done == 2) {
                w.store->mark_competency_periods_stale("started-since");
            }
        };
        rebuild_competency_status(*w.store, {}, steps);
        CHECK(w.store->competency_periods_stale_jobs() == std::vector<std::string>{"started-since"});
        w.store->clear_competency_periods_stale("started-since");
        CHECK_FALSE(w.store->competency_periods_stale());
        CHECK(w.store->competency_periods_stale_jobs().empty());
    }
}

TEST_CASE("competency define recomputes its holders in steps: writes between them, a define that stops, stale stores") {
    World w;
    const std::vector<Actor> people = {w.alice, w.pat, w.add(w.ga, "dave@contoso.com", Role::user),
                                       w.add(w.ga, "carol@contoso.com", Role::user), w.bo};
    const std::vector<std::string> codes = {"AZ-305", "AZ-305", "AZ-204", "AZ-204", "AZ-204"};
    for (std::size_t i = 0; i < people.size(); ++i) {
        const std::int64_t mcid = 50000000 + static_cast<std::int64_t>(i);
        add_profile(*w.store, mcid, "d" + std::to_string(i) + "@outlook.com");
        add_credential(*w.store, mcid, codes[i], "2025-06-01");
    }
    const auto link = [&](std::size_t i) {
        Linking(*w.store, w.clock)
            .link(people[i], ProfileChoice{"d" + std::to_string(i) + "@outlook.com"}, k_profile_password, Replace::no);
    };
    for (std::size_t i = 0; i < people.size(); ++i) {
        if (i != 3) {  // carol links later
            link(i);
        }
    }
    Registry registry(*w.store, w.clock);
    registry.define_competency(w.op, Competency{"Azure", {"AZ-305"}, 1});
    registry.define_competency(w.op, Competency{"Other", {"AZ-204"}, 1});
    w.clock.advance(4 * k_day);
    require_agreement(w, "setup");
    REQUIRE_FALSE(w.store->competency_periods_stale());
    const auto qualified = [&](const std::string& competency) {
        CollectSink sink;
        Reports(*w.store, w.clock).competencies(w.ga, std::nullopt, sink);
        for (const auto& row : sink.rows) {
            if (row.at("competency") == competency) {
                return row.at("individuals_qualified");
            }
        }
        return std::string("none");
    };
    REQUIRE(qualified("Azure") == "2");

    SECTION("a new code list, one user per step, a link between steps") {
        // The old holders (alice, pat) lose their periods, the new ones (dave; bo of Fabrikam) gain
        // one, and carol, who links during the define, gets hers from her own link under the new
        // definition.
        int calls = 0;
        RebuildSteps steps;
        steps.users = 1;
        steps.between_steps = [&](std::int64_t done, std::int64_t found) {
            ++calls;
            CHECK(done == calls);
            CHECK(found == 4);  // alice and pat (a period of Azure), dave and bo (hold AZ-204)
            CHECK(w.store->competency_periods_stale());
            CHECK(check_store(*w.store, w.clock).ok());
            CHECK(qualified("Azure") == "1");  // dave, counted from the credentials
            if (calls == 1) {
                link(3);
            }
        };
        registry.define_competency(w.op, Competency{"Azure", {"AZ-204"}, 1}, steps);
        CHECK(calls == 3);  // every step but the last
        CHECK_FALSE(w.store->competency_periods_stale());
        w.clock.advance(4 * k_day);  // carol's period is reflected
        require_agreement(w, "a define in steps with a link between them");
        CHECK(qualified("Azure") == "2");  // dave and carol
        CHECK(w.store->users_with_competency_periods("Azure", 1, w.store->last_user_id()).size() == 3);
    }
    SECTION("a competency nobody holds, or nobody held, is one step") {
        int calls = 0;
        RebuildSteps steps;
        steps.users = 1;
        steps.between_steps = [&](std::int64_t, std::int64_t) {
            ++calls;
        };
        registry.define_competency(w.op, Competency{"Rare", {"XX-999"}, 1}, steps);
        CHECK(calls == 0);
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "a define nobody holds");
    }
    SECTION("a define that stops part-way: the definition stands, reports count from the credentials") {
        RebuildSteps steps;
        steps.users = 1;
        steps.between_steps = [&](std::int64_t, std::int64_t) {
            throw Interrupted("stopped");
        };
        CHECK_THROWS_AS(registry.define_competency(w.op, Competency{"Azure", {"AZ-204"}, 1}, steps), Interrupted);
        CHECK(w.store->competency_periods_stale());
        CHECK(registry.list_competencies().at(0).codes == std::vector<std::string>{"AZ-204"});
        CHECK(qualified("Azure") == "1");  // dave, from the credentials
        rebuild_derived(*w.store, w.op, w.clock);
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "db rebuild after a define that stopped");
        CHECK(qualified("Azure") == "1");
    }
    SECTION("a define on a stale store rebuilds every competency") {
        w.store->clear_competency_periods("Other");
        w.store->mark_competency_periods_stale("");  // never built: a store from schema 1
        registry.define_competency(w.op, Competency{"Azure", {"AZ-305"}, 1});
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "a define on a stale store");
        CHECK(qualified("Other") == "1");
    }
    SECTION("a define that ends while a rebuild is under way leaves the mark to the rebuild") {
        RebuildSteps steps;
        steps.users = 1;
        steps.between_steps = [&](std::int64_t done, std::int64_t) {
            if (done == 1) {  // what another process's db rebuild does in its first step
                auto tx = w.store->begin_write();
                mark_rebuild_started(*w.store);
                tx->commit();
            }
        };
        registry.define_competency(w.op, Competency{"Azure", {"AZ-204"}, 1}, steps);
        CHECK(w.store->competency_periods_stale());
        rebuild_competency_status(*w.store);
        CHECK_FALSE(w.store->competency_periods_stale());
        require_agreement(w, "a define and a rebuild");
    }
    SECTION("a define while another job's mark stands rewrites its holders only, and leaves that mark") {
        w.store->mark_competency_periods_stale("another-job");
        int calls = 0;
        RebuildSteps steps;
        steps.users = 1;
        steps.between_steps = [&](std::int64_t, std::int64_t) {
            ++calls;
        };
        registry.define_competency(w.op, Competency{"Azure", {"AZ-204"}, 1}, steps);
        CHECK(calls == 3);  // its four holders, one per step (a full rebuild: one step per user id)
        CHECK(w.store->competency_periods_stale_jobs() == std::vector<std::string>{"another-job"});
        w.store->clear_competency_periods_stale("another-job");
        CHECK_FALSE(w.store->competency_periods_stale());
    }
}

TEST_CASE("a rebuild's step is the store's own size (a server store's is smaller) unless the caller sets one") {
    World w;
    const bool server = dynamic_cast<store::PgStore*>(w.store.get()) != nullptr;
    const std::int64_t size = w.store->rewrite_step_users();
    CHECK(size == (server ? 500 : 5000));  // a server store's user takes a few round trips
    // The last user id just past two steps: the full rebuild goes by ranges of ids.
    exec_sql(*w.store,
             "UPDATE users SET id = " + std::to_string(2 * size + 1) + " WHERE id = " + std::to_string(w.bo.user_id));
    std::vector<std::int64_t> between;
    RebuildSteps steps;  // users 0: the store's size
    steps.between_steps = [&](std::int64_t done, std::int64_t) {
        between.push_back(done);
    };
    rebuild_competency_status(*w.store, {}, steps);
    CHECK(between == std::vector<std::int64_t>{size, 2 * size});
    SECTION("a size set by the caller wins") {
        between.clear();
        steps.users = size;  // the same ranges, from the caller
        rebuild_competency_status(*w.store, {}, steps);
        CHECK(between == std::vector<std::int64_t>{size, 2 * size});
        between.clear();
        steps.users = 2 * size + 1;
        rebuild_competency_status(*w.store, {}, steps);
        CHECK(between.empty());  // one step
    }
}
