#pragma once
// Time is injected: services read "now" from a Clock, the binary passes the system clock and
// unit tests a FixedClock they move by hand. Nothing else reads the wall clock.
#include <mcid/types.hpp>

namespace mcid {

class Clock {
public:
    virtual ~Clock() = default;
    virtual Instant now() const = 0;
};

class SystemClock final : public Clock {
public:
    Instant now() const override;
};

class FixedClock final : public Clock {
public:
    explicit FixedClock(Instant t) : m_now(t) {}
    Instant now() const override { return m_now; }
    void set(Instant t) { m_now = t; }
    void advance(std::int64_t seconds) { m_now += seconds; }

private:
    Instant m_now;
};

}  // namespace mcid
