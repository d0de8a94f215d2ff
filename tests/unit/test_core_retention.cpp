#include "fixture.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/linking.hpp>
#include <mcid/offboarding.hpp>
#include <mcid/retention.hpp>

#include <catch2/catch.hpp>

#include <cctype>

using namespace mcid;
using namespace mcid::test;

namespace {

// Whether `email` stands in the text as a whole address (not inside a longer one).
bool names(const std::string& text, const std::string& email) {
    for (auto at = text.find(email); at != std::string::npos; at = text.find(email, at + 1)) {
        const char before = at == 0 ? ' ' : text[at - 1];
        if (!std::isalnum(static_cast<unsigned char>(before)) && before != '.' && before != '-' && before != '_') {
            return true;
        }
    }
    return false;
}

bool audit_mentions(Store& store, const std::string& email) {
    bool found = false;
    store.for_each_audit({}, [&](const AuditRecord& r) {
        found = found || names(r.actor, email) || names(r.target, email) || names(r.detail, email);
    });
    return found;
}

}  // namespace

TEST_CASE("rule 8: a purged account's data is erased after the restore window, audit rows sealed") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    Linking(*w.store, w.clock).link(w.alice, ProfileChoice{"alice@outlook.com"}, k_profile_password, Replace::no);
    // malice's address contains alice's: it must not be touched
    const Actor malice = w.add(w.ga, "malice@contoso.com", Role::user);
    Offboarding(*w.store, w.clock)
        .purge(w.ga, {{PurgeTarget::Kind::email, "alice@contoso.com"}}, DryRun::no, Atomic::no, {});
    const Instant purged = w.clock.now();
    Retention retention(*w.store, w.clock);
    REQUIRE(audit_mentions(*w.store, "alice@contoso.com"));

    w.clock.set(purged + 30 * 86400);  // the last instant of the window: restorable, not erased
    CHECK(retention.erase_due() == 0);
    CHECK(w.store->find_user_by_email("alice@contoso.com"));
    CHECK(retention.overdue() == 0);

    w.clock.set(purged + 30 * 86400 + 1);
    CHECK(retention.overdue() == 1);
    CHECK(retention.erase_due() == 1);
    CHECK(retention.overdue() == 0);
    CHECK_FALSE(w.store->find_user_by_email("alice@contoso.com"));
    const std::string alias = retention.pseudonym("alice@contoso.com");
    CHECK(alias == retention.pseudonym("alice@contoso.com"));  // stable
    const auto erased = w.store->find_user_by_email(alias);
    REQUIRE(erased);
    CHECK(erased->id == w.alice.user_id);
    CHECK(erased->name.empty());
    CHECK(erased->password_hash.empty());
    CHECK_FALSE(audit_mentions(*w.store, "alice@contoso.com"));
    CHECK(audit_mentions(*w.store, "malice@contoso.com"));
    int alias_rows = 0;
    w.store->for_each_audit({}, [&](const AuditRecord& r) {
        alias_rows += r.actor == alias || r.target == alias || r.detail.find(alias) != std::string::npos;
    });
    CHECK(alias_rows >= 4);  // invite, link, purge (target and detail), erase: still grouped
    const auto v = AuditLog(*w.store, w.clock).verify(w.op);
    CHECK(v.ok);
    CHECK(retention.erase_due() == 0);  // once
    (void)malice;
}
