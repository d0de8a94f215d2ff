#include "core/signin.hpp"

#include "core/crypto.hpp"

#include <mcid/policy.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

namespace mcid {

AttemptOutcome attempt_sign_in(Store& store, Instant now, const std::function<AttemptCounters()>& counters,
                               const std::function<bool()>& verify,
                               const std::function<void(const AttemptOutcome&)>& record) {
    const auto refused = run_write_unit(store, [&]() -> std::optional<AttemptOutcome> {
        auto tx = store.begin_write();
        const AttemptCounters c = counters();
        Attempts a = c.load();
        if (a.locked_until > now || a.failed >= k_lockout_failures) {
            const AttemptOutcome locked{Verdict::locked,
                                        a.locked_until > now ? a.locked_until : now + k_lockout_seconds, false};
            record(locked);
            tx->commit();
            return locked;
        }
        a.failed += 1;
        c.save(a);
        tx->commit();
        return std::nullopt;
    });
    if (refused) {
        crypto::burn_password_time();
        return *refused;
    }
    const bool good = verify();
    return run_write_unit(store, [&]() -> AttemptOutcome {
        auto tx = store.begin_write();
        const AttemptCounters c = counters();
        Attempts a = c.load();
        AttemptOutcome outcome;
        if (good && a.locked_until <= now) {
            outcome.verdict = Verdict::good;
            a = {};
        } else if (good) {
            outcome = {Verdict::locked, a.locked_until, false};
        } else if (a.failed >= k_lockout_failures && a.locked_until <= now) {
            a = {0, now + k_lockout_seconds};
            outcome = {Verdict::wrong, a.locked_until, true};
        }
        c.save(a);
        record(outcome);
        tx->commit();
        return outcome;
    });
}

std::string denied_detail(const AttemptOutcome& o, const std::string& why) {
    if (o.verdict == Verdict::locked) {
        return fmt::format("refused: locked until {} ({})", format_instant(o.locked_until), why);
    }
    return o.just_locked ? fmt::format("{}; locked until {}", why, format_instant(o.locked_until)) : why;
}

std::string throttle_subject(std::string_view kind, std::string_view name) {
    std::string text(kind);
    text += ':';
    text += name;
    return crypto::digest_hex(text);
}

}  // namespace mcid
