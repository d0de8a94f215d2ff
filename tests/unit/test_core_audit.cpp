#include "fixture.hpp"

#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>

#include <catch2/catch.hpp>

#include <functional>

using namespace mcid;
using namespace mcid::test;

namespace {

std::vector<AuditRecord> all_rows(Store& store) {
    std::vector<AuditRecord> rows;
    store.for_each_audit({}, [&](const AuditRecord& r) { rows.push_back(r); });
    return rows;
}

}  // namespace

TEST_CASE("rule 11: every change is audited in a hash chain that verify checks") {
    World w;
    AuditLog log(*w.store, w.clock);
    const auto v = log.verify(w.op);
    CHECK(v.ok);
    CHECK(v.rows >= 8);  // init, 2 enrolls, 5 invites
    const auto rows = all_rows(*w.store);
    CHECK(rows.front().action == "init");
    CHECK(rows.front().id == 1);
    CHECK(rows.front().prev_hash.empty());
    for (std::size_t i = 1; i < rows.size(); ++i) {
        CHECK(rows[i].id == static_cast<std::int64_t>(i + 1));
        CHECK(rows[i].prev_hash == rows[i - 1].hash);
    }
    CHECK(v.head_hash == rows.back().hash);
    CHECK(log.head(w.op).rows == static_cast<std::int64_t>(rows.size()));
    CHECK(log.head(w.op).hash == rows.back().hash);
    SECTION("changing any field of a row changes its hash") {
        const AuditRecord& base = rows[3];
        REQUIRE(AuditLog::chain_hash(base) == base.hash);
        const std::vector<std::function<void(AuditRecord&)>> edits = {
            [](AuditRecord& r) { r.id += 1; },           [](AuditRecord& r) { r.at += 1; },
            [](AuditRecord& r) { r.actor += "x"; },      [](AuditRecord& r) { r.org_id = r.org_id.value_or(0) + 1; },
            [](AuditRecord& r) { r.org_id.reset(); },    [](AuditRecord& r) { r.action += "x"; },
            [](AuditRecord& r) { r.target += "x"; },     [](AuditRecord& r) { r.outcome = "denied"; },
            [](AuditRecord& r) { r.detail += "x"; },     [](AuditRecord& r) { r.batch = "b-1"; },
            [](AuditRecord& r) { r.prev_hash[0] ^= 1; },
        };
        for (std::size_t i = 0; i < edits.size(); ++i) {
            AuditRecord forged = base;
            edits[i](forged);
            INFO("edit " << i);
            CHECK(AuditLog::chain_hash(forged) != base.hash);
        }
    }
    SECTION("field boundaries cannot shift: moving text between fields changes the hash") {
        AuditRecord a = rows[3];
        AuditRecord b = a;
        a.target = "x";
        a.detail = "yz";
        b.target = "xy";
        b.detail = "z";
        CHECK(AuditLog::chain_hash(a) != AuditLog::chain_hash(b));
    }
    SECTION("only the operator verifies or reads the head; global admins list their organization") {
        int seen = 0;
        log.list(w.gb, {}, [&](const AuditRecord& r) {
            CHECK(r.org_id == w.gb.org_id);
            ++seen;
        });
        CHECK(seen >= 2);
        CHECK_THROWS_AS(log.list(w.alice, {}, [](const AuditRecord&) {}), PermissionDenied);
        CHECK_THROWS_AS(log.verify(w.pat), PermissionDenied);
        CHECK_THROWS_AS(log.verify(w.ga), PermissionDenied);
        CHECK_THROWS_AS(log.head(w.ga), PermissionDenied);
    }
    SECTION("--expect: the saved head still verifies after more rows; a wrong hash or a longer head does not") {
        const AuditHead saved = log.head(w.op);
        {
            auto tx = w.store->begin_write();
            log.record({"op@example.com", std::nullopt, "config.set", "association.limit", "ok", "3", ""});
            tx->commit();
        }
        CHECK(log.verify(w.op, saved).ok);
        AuditHead wrong = saved;
        wrong.hash[0] = wrong.hash[0] == 'a' ? 'b' : 'a';
        const auto bad = log.verify(w.op, wrong);
        CHECK_FALSE(bad.ok);
        CHECK(bad.first_bad_id == saved.rows);
        const auto longer = log.verify(w.op, AuditHead{saved.rows + 5, saved.hash});
        CHECK_FALSE(longer.ok);
        CHECK(longer.first_bad_id == saved.rows + 2);
    }
}

TEST_CASE("rule 11: the canonical form of an audit row is pinned (known answers)") {
    // If one of these changes, every stored chain stops verifying: a new rule needs a new switch
    // row, as schema 3 recorded for rule 1 (migrations/0003).
    AuditRecord r;
    r.prev_hash = std::string(64, 'a');
    r.id = 7;
    r.at = 1795000000;
    r.actor = "ga@contoso.com";
    r.org_id = 1;
    r.action = "user.invite";
    r.target = "alice@contoso.com";
    r.outcome = "ok";
    r.detail = "role user";
    r.batch = "b-0123456789ab";
    CHECK(AuditLog::chain_hash(r) == "367138fc5043ec1707eade96fd24f30f90bca785833155e8a0764f8d752f5221");
    AuditRecord init;
    init.id = 1;
    init.at = 1795000000;
    init.actor = "op@example.com";
    init.action = "init";
    init.target = "op@example.com";
    init.outcome = "ok";
    init.detail = "store initialized";
    CHECK(AuditLog::chain_hash(init) == "70b194a75b45f06941e7562bbd506ff76341497576ec602d72e3a03c07e9a853");
    SECTION("a sealed row hashes the digests of its original text, whatever its text now says") {
        AuditRecord sealed = r;
        sealed.actor = "erased-1";
        sealed.target = "erased-2";
        sealed.detail = "erased-3";
        sealed.sealed = crypto::digest_hex(r.actor) + " " + crypto::digest_hex(r.target) + " " +
                        crypto::digest_hex(r.detail);
        CHECK(AuditLog::chain_hash(sealed) == AuditLog::chain_hash(r));
        sealed.sealed = crypto::digest_hex("someone@else.com") + " " + crypto::digest_hex(r.target) + " " +
                        crypto::digest_hex(r.detail);
        CHECK(AuditLog::chain_hash(sealed) != AuditLog::chain_hash(r));
    }
}
