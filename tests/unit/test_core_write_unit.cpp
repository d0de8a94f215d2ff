// Write units run again after a server's transient conflicts (write_unit.hpp), on both stores:
// the conflicts are thrown by the unit itself here (as libpq's layer throws them); the
// end-to-end suite test_races makes the server raise them.
#include "fixture.hpp"
#include "store/pg.hpp"

#include <mcid/error.hpp>
#include <mcid/write_unit.hpp>

#include <catch2/catch.hpp>

using namespace mcid;
using namespace mcid::test;
using store::pg::ServerError;

namespace {

// One write unit: stores its run number under `key`, and fails with `error` until run `succeed_on`.
struct CountingUnit {
    Store& store;
    const char* error;
    int succeed_on;
    int runs = 0;
    int operator()() {
        auto tx = store.begin_write();
        ++runs;
        store.config_set("test.runs", std::to_string(runs));
        if (runs < succeed_on) {
            throw ServerError(error, "could not serialize access due to concurrent update");
        }
        tx->commit();
        return runs;
    }
};

std::optional<std::string> stored_runs(Store& store) {
    auto tx = store.begin_read();
    return store.config_get("test.runs");
}

}  // namespace

TEST_CASE("write unit: a serialization failure or a deadlock runs the whole unit again", "[write-unit]") {
    World w;
    for (const char* sqlstate : {"40001", "40P01"}) {
        CountingUnit unit{*w.store, sqlstate, 3};
        CHECK(run_write_unit(*w.store, [&] { return unit(); }) == 3);
        CHECK(unit.runs == 3);
        CHECK(stored_runs(*w.store) == "3");  // the third run's write, committed once
    }
}

TEST_CASE("write unit: past the budget the conflict is reported and nothing is changed", "[write-unit]") {
    World w;
    CountingUnit unit{*w.store, "40001", 1000000};
    CHECK_THROWS_AS(run_write_unit(
                        *w.store, [&] { return unit(); }, std::chrono::milliseconds(150)),
                    ServerError);
    CHECK(unit.runs >= 2);  // it was run again before the budget ran out
    CHECK_FALSE(stored_runs(*w.store));
    CHECK(is_transient_conflict(std::make_exception_ptr(ServerError("40001", "x"))));
}

TEST_CASE("write unit: other errors, and units inside an open transaction, run once", "[write-unit]") {
    World w;
    SECTION("a conflict of the data (class 23) is the unit's answer, not a reason to run again") {
        CountingUnit unit{*w.store, "23505", 2};
        CHECK_THROWS_AS(run_write_unit(*w.store, [&] { return unit(); }), ServerError);
        CHECK(unit.runs == 1);
        CHECK_FALSE(is_transient_conflict(std::make_exception_ptr(ServerError("23505", "x"))));
        CHECK_FALSE(is_transient_conflict(std::make_exception_ptr(Conflict("x"))));
    }
    SECTION("inside a transaction the outermost unit decides: the inner one runs once") {
        CountingUnit unit{*w.store, "40001", 2};
        auto outer = w.store->begin_write();
        CHECK(w.store->in_transaction());
        CHECK_THROWS_AS(run_write_unit(*w.store, [&] { return unit(); }), ServerError);
        CHECK(unit.runs == 1);
    }
    CHECK_FALSE(w.store->in_transaction());
}
