#pragma once
// One sign-in attempt against an account (ours, a certification profile or a Partner University
// account) with the lockout counted before the password is checked, so parallel guesses cannot
// run past it: attempts in flight count as failures until they are settled.
#include <mcid/records.hpp>
#include <mcid/store.hpp>

#include <functional>

namespace mcid {

// Where an attempt's counters live: the account's own row, or the throttle row of a name with
// no account (which then answers exactly as an account would).
struct AttemptCounters {
    std::function<Attempts()> load;
    std::function<void(const Attempts&)> save;
};

enum class Verdict { good, wrong, locked };

struct AttemptOutcome {
    Verdict verdict = Verdict::wrong;
    Instant locked_until = 0;  // set for Verdict::locked
    bool just_locked = false;  // this failure started the lock
};

// 1. reserve, in a write transaction: refused (locked) when a lock runs or failures plus attempts
//    in flight reach k_lockout_failures; else the attempt is counted as a failure in advance;
// 2. verify(), outside any transaction: exactly one Argon2 run whatever the account (a refused
//    attempt burns one too, so every answer takes the same time);
// 3. settle, in a write transaction: success clears the counters unless a lock began meanwhile
//    (then the attempt is refused as locked); a failure keeps its count and locks at the limit.
// `counters` is called inside each transaction to find the row anew; `record` runs inside the
// transaction that decides (audit rows, the session) and commits with it.
AttemptOutcome attempt_sign_in(Store& store, Instant now, const std::function<AttemptCounters()>& counters,
                               const std::function<bool()>& verify,
                               const std::function<void(const AttemptOutcome&)>& record);

// The audit detail of a refused or failed attempt: `why` ("wrong password", "unknown account"),
// with the lock it met or started.
std::string denied_detail(const AttemptOutcome& outcome, const std::string& why);

// The throttle subject of a name with no account: a digest, so the store keeps no guessed name.
std::string throttle_subject(std::string_view kind, std::string_view name);

}  // namespace mcid
