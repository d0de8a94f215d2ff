// The policy every command reads, and the fixed statements every command sends: a command on a
// server store pays one round trip per statement, so these are held down here ([pg] counts them).
#include "fixture.hpp"
#include "pg_fixture.hpp"
#include "store/pg_store.hpp"

#include <mcid/policy.hpp>
#include <mcid/retention.hpp>

#include <catch2/catch.hpp>

using namespace mcid;
using namespace mcid::test;

TEST_CASE("the policy is read from the keys set, and defaults stand for the others") {
    World w;
    const Policy defaults = Policy::load(*w.store);
    CHECK(defaults.association_limit == 5);
    CHECK(defaults.session_ttl.str() == "12h");
    CHECK(defaults.retention_restore.str() == "30d");

    Registry registry(*w.store, w.clock);
    registry.config_set(w.op, "association.limit", "2");
    registry.config_set(w.op, "retention.restore", "7d");
    w.store->config_set("unrelated.key", "kept apart");

    const auto all = w.store->config_all();
    CHECK(all.at("association.limit") == "2");
    CHECK(all.at("retention.restore") == "7d");
    CHECK(all.at("unrelated.key") == "kept apart");
    CHECK(all.count("session.ttl") == 0);

    const Policy p = Policy::load(*w.store);
    CHECK(p.association_limit == 2);
    CHECK(p.retention_restore.str() == "7d");
    CHECK(p.session_ttl.str() == "12h");
    CHECK(p.invitation_ttl.str() == defaults.invitation_ttl.str());

    const auto listed = registry.config_list();
    REQUIRE(listed.size() == config_keys().size());
    for (const auto& [key, value] : listed) {
        if (key == "association.limit") {
            CHECK(value == "2");
        } else if (key == "retention.restore") {
            CHECK(value == "7d");
        } else if (key == "session.ttl") {
            CHECK(value == "12h");
        }
    }
}

TEST_CASE("a command's fixed statements on a server store: sign-in 2, policy 1, retention check 2", "[pg]") {
    PgDatabase db;
    World w(open_pg_store(db.uri, OpenMode::create));
    auto& c = dynamic_cast<store::PgStore&>(*w.store).connection();
    Identity identity(*w.store, w.clock);
    const std::string token = identity.login(Email::parse(w.op.email), "operator-pass-0001", std::nullopt).token;

    const auto trips = [&](const auto& step) {
        const auto before = c.round_trips();
        step();
        return c.round_trips() - before;
    };
    CHECK(trips([&] { identity.authenticate(token); }) == 2);
    CHECK(trips([&] { Policy::load(*w.store); }) == 1);
    std::size_t erased = 1;
    CHECK(trips([&] { erased = Retention(*w.store, w.clock).erase_due(); }) == 2);
    CHECK(erased == 0);
    // A read's BEGIN and end go with its statements: one statement read, one round trip.
    CHECK(trips([&] {
              auto read = w.store->begin_read();
              w.store->find_user(w.op.user_id);
              read->commit();
          }) == 1);
    // ...which is why a read is READ ONLY: its end may be a COMMIT or a ROLLBACK, sent later.
    {
        auto read = w.store->begin_read();
        CHECK_THROWS(w.store->config_set("test.key", "x"));
    }
    CHECK_FALSE(w.store->config_all().count("test.key"));
}
