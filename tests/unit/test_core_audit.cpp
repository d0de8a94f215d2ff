#include "fixture.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>

#include <catch2/catch.hpp>

using namespace mcid;
using namespace mcid::test;

TEST_CASE("rule 11: every change is audited in a hash chain that verify checks") {
    World w;
    AuditLog log(*w.store, w.clock);
    const auto v = log.verify(w.op);
    CHECK(v.ok);
    CHECK(v.rows >= 8);  // init, 2 enrolls, 5 invites
    std::vector<AuditRecord> rows;
    w.store->for_each_audit({}, [&](const AuditRecord& r) { rows.push_back(r); });
    CHECK(rows.front().action == "init");
    CHECK(rows.front().prev_hash.empty());
    for (std::size_t i = 1; i < rows.size(); ++i) {
        CHECK(rows[i].prev_hash == rows[i - 1].hash);
    }
    SECTION("a changed row breaks the chain") {
        AuditRecord forged = rows[3];
        forged.id = 0;
        forged.outcome = "denied";
        CHECK(AuditLog::chain_hash(forged) != rows[3].hash);
    }
    SECTION("global admins see only their organization; users are denied") {
        int seen = 0;
        log.list(w.gb, {}, [&](const AuditRecord& r) {
            CHECK(r.org_id == w.gb.org_id);
            ++seen;
        });
        CHECK(seen >= 2);
        CHECK_THROWS_AS(log.list(w.alice, {}, [](const AuditRecord&) {}), PermissionDenied);
        CHECK_THROWS_AS(log.verify(w.pat), PermissionDenied);
    }
}
