// Running write units again after a server store's transient conflicts (write_unit.hpp).
#include <mcid/write_unit.hpp>

#include <algorithm>
#include <thread>

namespace mcid {

WriteRetries::WriteRetries(Store& store, std::chrono::milliseconds budget)
    : m_store(store),
      m_outermost(!store.in_transaction()),
      m_deadline(std::chrono::steady_clock::now() + budget),
      m_jitter(std::random_device{}()) {
    if (m_outermost) {
        m_store.set_busy_deadline(m_deadline);
    }
}

WriteRetries::~WriteRetries() {
    if (m_outermost) {
        m_store.set_busy_deadline(std::nullopt);
    }
}

void WriteRetries::before_next_run(const std::exception_ptr& error) {
    if (!m_outermost || !is_transient_conflict(error)) {
        std::rethrow_exception(error);
    }
    // Exponential from 5 ms, capped at 200 ms, each pause drawn from half to all of it: processes
    // that collided once do not collide again in step.
    const auto cap = std::chrono::milliseconds(std::min(200, 5 << std::min(m_retries, 6)));
    std::uniform_int_distribution<long> draw(cap.count() / 2, cap.count());
    const auto pause = std::chrono::milliseconds(draw(m_jitter));
    if (std::chrono::steady_clock::now() + pause >= m_deadline) {
        std::rethrow_exception(error);  // reported as busy: exit 9, nothing changed
    }
    std::this_thread::sleep_for(pause);
    ++m_retries;
}

}  // namespace mcid
