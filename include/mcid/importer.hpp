#pragma once
// Bulk imports: registry feeds (operator) and user invitations (Global Admin). Streamed row by
// row inside one write transaction; a bad row anywhere means nothing is imported and the error
// names the first bad rows with their line numbers. Re-importing a file updates, never duplicates.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/offboarding.hpp>
#include <mcid/rows.hpp>
#include <mcid/store.hpp>

#include <array>
#include <istream>
#include <optional>
#include <string_view>

namespace mcid {

enum class ImportKind { profiles, credentials, university_accounts, assessments };
ImportKind parse_import_kind(std::string_view text);

struct ImportSummary {
    std::int64_t rows = 0;
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
};

// The columns of the invitations `user import` prints (the codes, shown this once).
inline constexpr std::array<std::string_view, 3> k_invitation_columns = {"email", "code", "expires_on"};

class Importer {
public:
    // A registry import writes `chunk_rows` rows per transaction, by default the store's own
    // (Store::import_chunk_rows): other writers wait for one chunk at most.
    Importer(Store& store, const Clock& clock, std::int64_t chunk_rows = 0)
        : m_store(store), m_clock(clock), m_chunk_rows(chunk_rows > 0 ? chunk_rows : store.import_chunk_rows()) {}

    // Operator only. Checks every row first (a pass that writes nothing, against one snapshot):
    // throws UsageError listing bad rows, nothing imported. Then writes in chunks; an error or a
    // crash after the first chunk leaves the rows of the chunks done (the error says how many),
    // and running the same import again completes it.
    ImportSummary import_registry(const Actor& actor, ImportKind kind, std::istream& in, const Progress& progress);
    // Invites every row (email, name, role); writes email, code, expires_on for each new
    // invitation to `out` once the whole file is valid (existing users of the organization are
    // updated and get no new code).
    ImportSummary import_users(const Actor& actor, const std::optional<MpnId>& org, std::istream& in, RowSink& out,
                               const Progress& progress);

private:
    Store& m_store;
    const Clock& m_clock;
    std::int64_t m_chunk_rows;
};

}  // namespace mcid
