#pragma once
// Departed users' personal data (rule 8, docs/security.md): a purged account can be restored
// within retention.restore; after that its email, name, password and invitation are erased. The
// account row stays under a stable pseudonym (a keyed digest of the email), so the links and
// associations it made still count and the audit can name the erasure without the person.
#include <mcid/clock.hpp>
#include <mcid/store.hpp>

#include <cstddef>
#include <string>

namespace mcid {

class Retention {
public:
    Retention(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Erases up to `limit` accounts whose restore window has passed, each recorded in the audit,
    // in one write transaction. Returns how many. Cheap when none is due (one indexed read).
    std::size_t erase_due(std::size_t limit = 500);
    // Inside a write transaction: erases one deleted account now (its window has passed).
    void erase(const User& user);
    // The pseudonym an erased account keeps: "erased-<16 hex>@erased.invalid".
    std::string pseudonym(const std::string& email);

private:
    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
