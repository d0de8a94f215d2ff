// The table list and the row pump of copy.hpp.
#include "store/copy.hpp"

#include <mcid/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace mcid::store {
namespace {

CopyTable table(std::string name, const std::string& columns, bool seeded = false, bool identity = false) {
    CopyTable t = copy_table_of(std::move(name), columns);
    t.seeded = seeded;
    t.identity = identity;
    return t;
}

TableIo& table_io(Store& store) {
    auto* io = dynamic_cast<TableIo*>(&store);
    if (!io) {
        throw InternalError("this store cannot be copied");
    }
    return *io;
}

}  // namespace

CopyTable copy_table_of(std::string name, const std::string& columns) {
    CopyTable t{std::move(name), {}};
    std::string spaced = columns;  // commas separate names too: an SQL column list reads as is
    std::replace(spaced.begin(), spaced.end(), ',', ' ');
    std::istringstream words(spaced);
    for (std::string word; words >> word;) {
        const bool integer = word.front() == '#';
        t.columns.push_back({integer ? word.substr(1) : word, integer});
    }
    return t;
}

std::string CopyTable::column_list() const {
    std::string out;
    for (const CopyColumn& c : columns) {
        out += (out.empty() ? "" : ", ") + c.name;
    }
    return out;
}

const std::vector<CopyTable>& copy_tables() {
    static const std::vector<CopyTable> tables = {
        table("config", "key value", true),
        table("orgs", "#id mpn_id name #created_at", false, true),
        table("users",
              "#id email name role #org_id status password_hash invite_code_hash #invited_at #invite_expires_at "
              "#accepted_at #deleted_at #failed_logins #locked_until #erased_at",
              false, true),
        table("sessions", "token_hash #user_id #created_at #expires_at"),
        table("signin_throttle", "subject #failed #locked_until"),
        table("profiles", "#mcid login name password_hash #failed_logins #locked_until"),
        table("credentials", "#mcid code title type passed_on expires_on"),
        table("university_accounts", "#id login name password_hash #failed_logins #locked_until", false, true),
        table("assessments", "#account_id title code passed_on"),
        table("links", "#mcid #user_id #org_id #linked_at"),
        table("university_links", "#account_id #user_id #org_id #associated_at"),
        table("associations", "#id kind #subject #user_id #at", false, true),
        table("competencies", "name #individuals"),
        table("competency_codes", "competency code"),
        table("competency_periods", "#user_id competency #org_id #starts_at #ends_at"),
        table("competency_ends", "#org_id competency #ends_at #periods"),
        table("derived_stale", "name", true),
        table("audit", "#id #at actor #org_id action target outcome detail batch prev_hash hash sealed"),
    };
    return tables;
}

const CopyTable& copy_table(std::string_view name) {
    for (const CopyTable& t : copy_tables()) {
        if (t.name == name) {
            return t;
        }
    }
    throw InternalError(fmt::format("no table {} to copy", name));
}

void copy_rows(Store& from, Store& to) {
    TableIo& in = table_io(from);
    TableIo& out = table_io(to);
    for (const CopyTable& t : copy_tables()) {
        const auto sink = out.write_table(t);
        in.read_table(t, [&](const CopyRow& row) { sink->add(row); });
        sink->finish();
    }
    out.copy_finished();
}

}  // namespace mcid::store
