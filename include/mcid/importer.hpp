#pragma once
// Bulk imports: registry feeds (operator) and user invitations (Global Admin). Streamed row by
// row inside one write transaction; a bad row anywhere means nothing is imported and the error
// names the first bad rows with their line numbers. Re-importing a file updates, never duplicates.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/offboarding.hpp>
#include <mcid/rows.hpp>
#include <mcid/store.hpp>

#include <istream>
#include <optional>

namespace mcid {

enum class ImportKind { profiles, credentials, university_accounts, assessments };
ImportKind parse_import_kind(std::string_view text);

struct ImportSummary {
    std::int64_t rows = 0;
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
};

class Importer {
public:
    Importer(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Operator only. Throws UsageError listing bad rows (nothing imported).
    ImportSummary import_registry(const Actor& actor, ImportKind kind, std::istream& in, const Progress& progress);
    // Invites every row (email, name, role); writes email, code, expires_on for each new
    // invitation to `out` once the whole file is valid (existing users of the organization are
    // updated and get no new code).
    ImportSummary import_users(const Actor& actor, const std::optional<MpnId>& org, std::istream& in, RowSink& out,
                               const Progress& progress);

private:
    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
