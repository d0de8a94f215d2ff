#pragma once
// Write units that a server store may ask to run again. PostgreSQL may end a transaction with a
// serialization failure (SQLSTATE 40001) or a deadlock (40P01) that has nothing to do with what
// the unit asked; the answer is to run the whole unit again. run_write_unit() does so with a
// short jittered pause, within the same busy budget as a wait for the write lock (5 s in all),
// and past it reports the conflict: exit 9, nothing changed. SQLite never reports one (its
// writers queue for the lock), so there a unit runs once.
//
// A unit is re-runnable: it begins its own write transaction, reads no input it cannot read
// again (stdin is read before it), and changes nothing outside the store that a second run
// would repeat. Inside an open transaction the unit runs once: the outermost unit retries.
#include <mcid/store.hpp>

#include <chrono>
#include <exception>
#include <random>

namespace mcid {

// How long a write waits on other writers in all: SQLite's busy timeout, a server store's lock
// timeout and its retries together.
inline constexpr std::chrono::milliseconds k_busy_budget{5000};

// Counts a unit's runs and decides whether a failure is run again (see run_write_unit).
class WriteRetries {
public:
    explicit WriteRetries(Store& store, std::chrono::milliseconds budget = k_busy_budget);
    ~WriteRetries();
    WriteRetries(const WriteRetries&) = delete;
    WriteRetries& operator=(const WriteRetries&) = delete;

    // After a run failed with `error`: rethrows it unless it is a transient conflict, this is
    // the outermost unit and the budget allows another run; then pauses before the next.
    void before_next_run(const std::exception_ptr& error);

private:
    Store& m_store;
    bool m_outermost;
    std::chrono::steady_clock::time_point m_deadline;
    int m_retries = 0;  // runs again so far: each pause may be twice the last
    std::minstd_rand m_jitter;
};

// Runs `unit` (one whole write unit), again while the store reports transient conflicts and
// the budget lasts (tests give a shorter one). Returns what the unit returns.
template <class Unit>
auto run_write_unit(Store& store, Unit&& unit, std::chrono::milliseconds budget = k_busy_budget) -> decltype(unit()) {
    WriteRetries retries(store, budget);
    for (;;) {
        try {
            return unit();
        } catch (...) {
            retries.before_next_run(std::current_exception());
        }
    }
}

}  // namespace mcid
