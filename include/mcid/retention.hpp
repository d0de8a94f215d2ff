#pragma once
// Departed users' personal data (rule 8, docs/security.md): a purged account can be restored
// within retention.restore; after that its email, name, password and invitation are erased. The
// account row stays under a stable pseudonym (a keyed digest of the email), so the associations
// it made still count, and audit rows that named the person are sealed: their text now names
// the pseudonym while the chain still verifies through the original digests.
#include <mcid/clock.hpp>
#include <mcid/policy.hpp>
#include <mcid/store.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace mcid {

// The last instant at which a purged account can be restored; after it, its data is erased.
Instant restorable_until(const User& user, const Policy& policy);

class Retention {
public:
    Retention(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Erases up to `limit` accounts whose restore window has passed, each recorded in the audit,
    // in one write transaction. Returns how many. Cheap when none is due (one indexed read).
    std::size_t erase_due(std::size_t limit = 500);
    // Inside a write transaction: erases these deleted accounts now (one pass over the audit).
    void erase(const std::vector<User>& users);
    // How many accounts are past their window and not erased yet (for db check).
    std::size_t overdue();
    // The pseudonym an erased account keeps: "erased-<16 hex>@erased.invalid".
    std::string pseudonym(const std::string& email);

private:
    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
