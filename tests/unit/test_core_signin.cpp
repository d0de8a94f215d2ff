#include "fixture.hpp"

#include "core/signin.hpp"

#include <mcid/error.hpp>
#include <mcid/policy.hpp>

#include <catch2/catch.hpp>

#include <functional>

using namespace mcid;
using namespace mcid::test;

namespace {

// The counters of one throttle subject, as attempt_sign_in sees them.
AttemptCounters throttle(Store& store, const std::string& subject) {
    return {[&store, subject] { return store.find_throttle(subject); },
            [&store, subject](const Attempts& a) { store.save_throttle(subject, a); }};
}

}  // namespace

TEST_CASE("lockout: attempts in flight count, so parallel guesses stop at the limit") {
    World w;
    const std::string subject = throttle_subject("test", "x");
    int verified = 0;
    std::vector<Verdict> verdicts;
    // Attempt k verifies while attempt k+1 starts: five wrong guesses in flight at once, as when
    // processes guess in parallel; during the fifth, a sixth wrong one and then the right one.
    std::function<void(int)> attempt = [&](int k) {
        const bool right = k == 7;
        const auto o = attempt_sign_in(
            *w.store, w.clock.now(), [&] { return throttle(*w.store, subject); },
            [&] {
                ++verified;
                if (k < 5) {
                    attempt(k + 1);
                } else if (k == 5) {
                    attempt(6);
                    attempt(7);
                }
                return right;
            },
            [](const AttemptOutcome&) {});
        verdicts.push_back(o.verdict);
    };
    attempt(1);
    CHECK(verified == k_lockout_failures);  // the 6th and later were refused before any hashing
    REQUIRE(verdicts.size() == 7);
    CHECK(verdicts[0] == Verdict::locked);  // attempt 6
    CHECK(verdicts[1] == Verdict::locked);  // attempt 7, the right password: refused
    const Attempts after = w.store->find_throttle(subject);
    CHECK(after.locked_until == w.clock.now() + k_lockout_seconds);
    CHECK(after.failed == 0);
    SECTION("the right password is refused until the lock ends, and works after") {
        const auto right = [&] {
            return attempt_sign_in(*w.store, w.clock.now(), [&] { return throttle(*w.store, subject); },
                                   [] { return true; }, [](const AttemptOutcome&) {})
                .verdict;
        };
        w.clock.advance(k_lockout_seconds - 1);
        CHECK(right() == Verdict::locked);
        w.clock.advance(1);
        CHECK(right() == Verdict::good);
        CHECK(w.store->find_throttle(subject).failed == 0);
    }
}

TEST_CASE("lockout: the 5th failure in a row locks, a success before it resets the count") {
    World w;
    const std::string subject = throttle_subject("test", "y");
    const auto once = [&](bool right) {
        return attempt_sign_in(*w.store, w.clock.now(), [&] { return throttle(*w.store, subject); },
                               [right] { return right; }, [](const AttemptOutcome&) {});
    };
    for (int i = 1; i < k_lockout_failures; ++i) {
        const auto o = once(false);
        CHECK(o.verdict == Verdict::wrong);
        CHECK_FALSE(o.just_locked);
        CHECK(w.store->find_throttle(subject).failed == i);
    }
    CHECK(once(true).verdict == Verdict::good);
    CHECK(w.store->find_throttle(subject).failed == 0);
    for (int i = 1; i < k_lockout_failures; ++i) {
        CHECK_FALSE(once(false).just_locked);
    }
    const auto fifth = once(false);
    CHECK(fifth.just_locked);
    CHECK(fifth.locked_until == w.clock.now() + k_lockout_seconds);
    CHECK(once(true).verdict == Verdict::locked);
}

TEST_CASE("lockout: an unknown account answers as a known one, locked after five failures") {
    World w;
    Identity id(*w.store, w.clock);
    const auto message = [&](const char* email) {
        try {
            id.login(Email::parse(email), "wrong-password-123", std::nullopt);
        } catch (const AuthError& e) {
            return std::string(e.what());
        }
        return std::string("signed in");
    };
    // alice has no password in the fixture (activated directly): her attempts fail like anyone's
    for (int i = 1; i < k_lockout_failures; ++i) {
        CHECK(message("alice@contoso.com") == message("nobody@contoso.com"));
    }
    const std::string known = message("alice@contoso.com");
    const std::string unknown = message("nobody@contoso.com");
    CHECK(known.find("locked until") != std::string::npos);
    CHECK(known == unknown);
    CHECK(message("alice@contoso.com") == message("nobody@contoso.com"));
    CHECK(message("nobody@contoso.com").find("account locked until") == 0);
}
