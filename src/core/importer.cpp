#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/csv.hpp>
#include <mcid/directory.hpp>
#include <mcid/error.hpp>
#include <mcid/importer.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace mcid {
namespace {

constexpr std::size_t k_errors_shown = 5;

// Maps the header's column names (any case, any order) to positions; rejects unknown and
// missing columns.
class Columns {
public:
    Columns(const std::vector<std::string>& header, std::vector<std::string_view> required,
            std::vector<std::string_view> optional) {
        std::vector<std::string_view> known = required;
        known.insert(known.end(), optional.begin(), optional.end());
        for (std::size_t i = 0; i < header.size(); ++i) {
            const std::string name = normalize_header(header[i]);
            if (std::find(known.begin(), known.end(), name) == known.end()) {
                // Named by position; its text only when short and plain (the file may be someone
                // else's, read with rights the caller lacks: never echo what could be a secret).
                const bool plain = name.size() <= 24 && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_ -") ==
                                                            std::string::npos;
                throw UsageError(fmt::format("line 1: column {}{} is not a known column (expected {})", i + 1,
                                             plain ? fmt::format(" ('{}')", name) : std::string(), list(known)));
            }
            m_index[name] = i;
        }
        m_width = header.size();
        for (auto r : required) {
            if (!m_index.count(std::string(r))) {
                throw UsageError(fmt::format("line 1: missing column '{}' (needed: {})", r, list(required)));
            }
        }
    }
    // UsageError for a row with more fields than the header: an unquoted comma split a value
    // (an Argon2 hash has commas), and the rest of it would be dropped silently.
    void check_width(const std::vector<std::string>& row) const {
        if (row.size() > m_width) {
            throw UsageError(fmt::format("{} fields but the header has {} (quote a value that contains a comma)",
                                         row.size(), m_width));
        }
    }
    std::string get(const std::vector<std::string>& row, std::string_view name) const {
        const auto it = m_index.find(std::string(name));
        if (it == m_index.end() || it->second >= row.size()) {
            return {};
        }
        return std::string(trim_blanks(row[it->second]));
    }

private:
    static std::string list(const std::vector<std::string_view>& names) {
        std::string out;
        for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
        return out;
    }
    std::map<std::string, std::size_t> m_index;
    std::size_t m_width = 0;
};

// Collects the first bad rows; the import goes on validating so the count is complete.
class RowErrors {
public:
    // Rows may be found bad out of order (profiles are looked up in groups): the first lines
    // are the ones shown.
    void add(std::size_t line, const std::string& what) {
        ++m_count;
        if (!shows(line)) {
            return;  // counted only
        }
        m_shown.emplace(line, fmt::format("line {}: {}", line, what));
        if (m_shown.size() > k_errors_shown) {
            m_shown.erase(std::prev(m_shown.end()));
        }
    }
    // The same, making the message only if its line is shown (a file of 300,000 rows of a
    // missing profile formats ten messages, not 300,000).
    template <class What>
    void add_made(std::size_t line, What&& what) {
        if (shows(line)) {
            add(line, what());
        } else {
            ++m_count;
        }
    }
    bool any() const { return m_count > 0; }
    [[noreturn]] void raise() const {
        std::string text = fmt::format("{} bad row{}, nothing was imported: ", m_count, m_count == 1 ? "" : "s");
        bool first = true;
        for (const auto& [line, message] : m_shown) {
            text += (first ? "" : "; ") + message;
            first = false;
        }
        if (m_count > m_shown.size()) {
            text += fmt::format("; and {} more", m_count - m_shown.size());
        }
        throw UsageError(text, "fix the rows and run the same import again");
    }

private:
    bool shows(std::size_t line) const {
        return m_shown.size() < k_errors_shown || line < std::prev(m_shown.end())->first;
    }

    std::multimap<std::size_t, std::string> m_shown;  // by line
    std::size_t m_count = 0;
};

std::optional<Date> optional_date_field(const std::string& text, std::string_view field) {
    return text.empty() ? std::nullopt : std::optional(Date::parse(text, field));
}

std::string password_hash_field(const std::string& text) {
    if (!text.empty() && !crypto::is_password_hash(text)) {
        throw UsageError("password_hash: not an Argon2id hash (use 'mcidctl registry hash-password')");
    }
    return text;
}

// The accounts whose credentials or assessments that count toward a competency an import
// changed: their linked users' competency periods are refreshed. A file usually holds an
// account's rows together, so each account is refreshed once, when the next one starts.
class ChangedAccounts {
public:
    ChangedAccounts(Store& store, AccountKind kind) : m_status(store), m_kind(kind) {}
    void changed(std::int64_t account_id, std::string_view code) {
        if (!m_status.counts(code)) {
            return;
        }
        if (m_pending && *m_pending != account_id) {
            flush();
        }
        m_pending = account_id;
    }
    void flush() {
        if (m_pending) {
            m_status.refresh_account(m_kind, *m_pending);
            m_pending.reset();
        }
    }

private:
    CompetencyStatus m_status;
    AccountKind m_kind;
    std::optional<std::int64_t> m_pending;
};

}  // namespace

ImportKind parse_import_kind(std::string_view text) {
    if (text == "profiles") return ImportKind::profiles;
    if (text == "credentials") return ImportKind::credentials;
    if (text == "university-accounts") return ImportKind::university_accounts;
    if (text == "assessments") return ImportKind::assessments;
    throw UsageError(fmt::format("--kind: '{}' is not one of profiles, credentials, university-accounts, assessments",
                                 text));
}

namespace {

// The input, read more than once (a registry import's two passes; a user import's write unit
// run again after a server's transient conflict): the stream itself when it can seek back (a
// file), otherwise (a pipe) a copy in an unlinked temporary file, made before the first read.
class ReadAgain {
public:
    explicit ReadAgain(std::istream& in) : m_in(&in) {
        if (in.tellg() != std::streampos(-1)) {
            m_start = in.tellg();
            return;
        }
        const char* env = std::getenv("TMPDIR");
        const std::string dir = env && *env ? env : "/tmp";
        std::string path = dir + "/mcidctl-import-XXXXXX";
        const int fd = mkstemp(path.data());
        if (fd < 0) {
            throw UsageError(
                fmt::format("cannot make a temporary copy of the input in {}: {}", dir, std::strerror(errno)),
                "set TMPDIR to a writable folder, or give the file by name");
        }
        ::close(fd);
        m_copy.open(path, std::ios::in | std::ios::out | std::ios::binary | std::ios::trunc);
        ::unlink(path.c_str());
        m_copy << in.rdbuf();
        if (!m_copy) {
            throw UsageError("cannot make a temporary copy of the input (is the disk full?)",
                             "set TMPDIR to a folder with room, or give the file by name");
        }
        m_in = &m_copy;
        m_start = 0;
    }
    std::istream& rewind() {
        m_in->clear();
        m_in->seekg(m_start);
        return *m_in;
    }

private:
    std::istream* m_in;
    std::fstream m_copy;
    std::streampos m_start = 0;
};

// One registry row, parsed and checked on its own.
struct RegistryRow {
    ExternalAccount account;  // profiles, university accounts
    Credential credential;
    Assessment assessment;
    std::string login;  // an assessment's account
};

// A profile or Partner University account row; `id` 0: the store assigns one.
ExternalAccount account_row(const Columns& cols, const std::vector<std::string>& row, std::int64_t id) {
    return ExternalAccount{id,
                           parse_text(cols.get(row, "login"), "login", 254),
                           parse_text(cols.get(row, "name"), "name"),
                           password_hash_field(cols.get(row, "password_hash")),
                           0,
                           0};
}

RegistryRow parse_registry_row(ImportKind kind, const Columns& cols, const std::vector<std::string>& row) {
    cols.check_width(row);
    RegistryRow r;
    switch (kind) {
        case ImportKind::profiles:
            r.account = account_row(cols, row, Mcid::parse(cols.get(row, "mcid"), "mcid").value);
            break;
        case ImportKind::credentials: {
            Credential& c = r.credential;
            c.mcid = Mcid::parse(cols.get(row, "mcid"), "mcid").value;
            c.code = parse_code(cols.get(row, "code"), "code");
            c.title = parse_text(cols.get(row, "title"), "title");
            c.type = parse_credential_type(cols.get(row, "type"), "type");
            c.passed_on = optional_date_field(cols.get(row, "passed_on"), "passed_on");
            c.expires_on = optional_date_field(cols.get(row, "expires_on"), "expires_on");
            if (c.passed_on && c.expires_on && *c.expires_on < *c.passed_on) {
                throw UsageError("expires_on: before passed_on");
            }
            break;
        }
        case ImportKind::university_accounts:
            r.account = account_row(cols, row, 0);
            break;
        case ImportKind::assessments: {
            r.login = parse_text(cols.get(row, "login"), "login", 254);
            Assessment& a = r.assessment;
            a.title = parse_text(cols.get(row, "title"), "title");
            const std::string code = cols.get(row, "code");
            a.code = code.empty() ? std::string() : parse_code(code, "code");
            a.passed_on = optional_date_field(cols.get(row, "passed_on"), "passed_on");
            break;
        }
    }
    return r;
}

// The header row; UsageError for an empty file.
void read_header(CsvReader& reader, std::vector<std::string>& row) {
    if (!reader.next(row)) {
        throw UsageError("the file is empty: a header row is needed");
    }
}

// The next row that is not a blank line.
bool next_row(CsvReader& reader, std::vector<std::string>& row) {
    while (reader.next(row)) {
        if (row.size() != 1 || !row[0].empty()) {
            return true;
        }
    }
    return false;
}

Columns registry_columns(ImportKind kind, const std::vector<std::string>& header) {
    switch (kind) {
        case ImportKind::profiles:
            return Columns(header, {"mcid", "login", "name"}, {"password_hash"});
        case ImportKind::credentials:
            return Columns(header, {"mcid", "code", "title", "type"}, {"passed_on", "expires_on"});
        case ImportKind::university_accounts:
            return Columns(header, {"login", "name"}, {"password_hash"});
        case ImportKind::assessments:
            return Columns(header, {"login", "title"}, {"code", "passed_on"});
    }
    throw InternalError("unknown import kind");
}

// Reads the input from its start: fn(line, cols, row) for each row after the header.
void each_registry_row(ReadAgain& input, ImportKind kind,
                       const std::function<void(std::size_t, const Columns&, const std::vector<std::string>&)>& fn) {
    CsvReader reader(input.rewind());
    std::vector<std::string> row;
    read_header(reader, row);
    const Columns cols = registry_columns(kind, row);
    while (next_row(reader, row)) {
        fn(reader.line(), cols, row);
    }
}

// A credentials import as one load, where the store has one (Store::begin_credentials_load):
// one pass over the file, every row into the load, committed whole with its audit row. False,
// having changed nothing, when the store has none or it does not apply, or the file is not clean
// (a bad row, a key twice, an MCID with no profile): the import in blocks then runs, and names
// every bad row by its line.
bool load_credentials_whole(Store& store, const Clock& clock, const Actor& actor, ReadAgain& input,
                            ImportSummary& summary, const Progress& progress) {
    return run_write_unit(store, [&] {
        const auto load = store.begin_credentials_load();
        if (!load) {
            return false;
        }
        require_operator(refresh_actor(store, actor), "import into the registry");
        std::int64_t rows = 0;
        try {
            each_registry_row(input, ImportKind::credentials,
                              [&](std::size_t, const Columns& cols, const std::vector<std::string>& row) {
                                  load->add(parse_registry_row(ImportKind::credentials, cols, row).credential);
                                  ++rows;
                                  if (progress && rows % 10000 == 0) {
                                      progress(static_cast<std::size_t>(rows), 0);
                                  }
                              });
        } catch (const UsageError&) {
            return false;
        }
        if (!load->finish()) {
            return false;
        }
        if (progress && rows > 0) {
            progress(static_cast<std::size_t>(rows), static_cast<std::size_t>(rows));  // done (a terminal's line goes)
        }
        summary.rows = rows;
        AuditLog(store, clock)
            .record(
                {actor.email, std::nullopt, "registry.import", "credentials", "ok", fmt::format("{} rows", rows), ""});
        load->commit();
        return true;
    });
}

}  // namespace

ImportSummary Importer::import_registry(const Actor& actor, ImportKind kind, std::istream& source,
                                        const Progress& progress) {
    require_operator(actor, "import into the registry");
    ReadAgain input(source);
    ImportSummary summary;
    if (kind == ImportKind::credentials && load_credentials_whole(m_store, m_clock, actor, input, summary, progress)) {
        summary.inserted = summary.rows;
        return summary;
    }
    // Pass 1, against one read snapshot and holding no lock: every row is checked, including
    // what only the store can tell (a missing profile); a bad row anywhere and nothing is written.
    {
        auto tx = m_store.begin_read();
        require_operator(refresh_actor(m_store, actor), "import into the registry");
        RowErrors errors;
        // Credentials' profiles are looked up together, for every kProfileLookupRows rows (one
        // query on a server store): (line, MCID) of the rows not checked yet.
        constexpr std::size_t kProfileLookupRows = 50000;
        std::vector<std::pair<std::size_t, std::int64_t>> unchecked;
        const auto check_profiles = [&] {
            std::vector<std::int64_t> mcids;
            for (const auto& [line, mcid] : unchecked) {
                if (mcids.empty() || mcids.back() != mcid) {  // a file holds a profile's rows together
                    mcids.push_back(mcid);
                }
            }
            const auto missing = m_store.missing_profiles(mcids);
            const std::unordered_set<std::int64_t> absent(missing.begin(), missing.end());
            for (const auto& [line, mcid] : unchecked) {
                if (absent.count(mcid)) {
                    errors.add_made(
                        line, [id = mcid] { return fmt::format("mcid: no profile {} (import profiles first)", id); });
                }
            }
            unchecked.clear();
        };
        std::unordered_set<std::string> known_logins;
        each_registry_row(input, kind, [&](std::size_t line, const Columns& cols, const std::vector<std::string>& row) {
            ++summary.rows;
            if (progress && summary.rows % 10000 == 0) {
                progress(static_cast<std::size_t>(summary.rows), 0);
            }
            try {
                const RegistryRow r = parse_registry_row(kind, cols, row);
                if (kind == ImportKind::credentials) {
                    unchecked.emplace_back(line, r.credential.mcid);
                    if (unchecked.size() >= kProfileLookupRows) {
                        check_profiles();
                    }
                }
                if (kind == ImportKind::assessments && !known_logins.count(normalize_header(r.login))) {
                    if (!m_store.find_account_by_login(AccountKind::university, r.login)) {
                        throw UsageError(fmt::format("login: no Partner University account {}", r.login));
                    }
                    if (known_logins.size() < 100000) {
                        known_logins.insert(normalize_header(r.login));
                    }
                }
            } catch (const UsageError& e) {
                errors.add(line, e.what());
            }
        });
        check_profiles();
        if (errors.any()) {
            errors.raise();
        }
    }
    // Pass 2: the checked rows are written in blocks of m_chunk_rows rows, each its own write
    // unit (a transaction, run again whole after a server's transient conflict), so other
    // writers wait for one block at most. Every row is an upsert: a run that stops part-way
    // leaves the rows of the blocks done, and running the same import again completes it.
    const AccountKind changed_kind = kind == ImportKind::assessments ? AccountKind::university : AccountKind::profile;
    std::vector<ExternalAccount> accounts;
    std::vector<Credential> credentials;
    struct PendingAssessment {
        std::size_t line;
        std::string login;  // its account's, looked up when the block is written
        Assessment assessment;
    };
    std::vector<PendingAssessment> assessments;
    std::int64_t written = 0;
    std::int64_t committed = 0;
    const auto write_block = [&](bool last) {
        run_write_unit(m_store, [&] {
            auto tx = m_store.begin_write();
            ChangedAccounts changed(m_store, changed_kind);
            switch (kind) {
                case ImportKind::profiles:
                    m_store.upsert_accounts(AccountKind::profile, accounts);
                    break;
                case ImportKind::university_accounts:
                    m_store.upsert_accounts(AccountKind::university, accounts);
                    break;
                case ImportKind::credentials:
                    m_store.upsert_credentials(credentials);
                    for (const Credential& c : credentials) {
                        changed.changed(c.mcid, c.code);
                    }
                    break;
                case ImportKind::assessments:
                    for (auto& a : assessments) {
                        const auto account = m_store.find_account_by_login(AccountKind::university, a.login);
                        if (!account) {  // checked in pass 1; accounts are never removed
                            throw InternalError(fmt::format(
                                "line {}: Partner University account {} vanished during the import", a.line, a.login));
                        }
                        a.assessment.account_id = account->id;
                        m_store.upsert_assessment(a.assessment);
                        changed.changed(a.assessment.account_id, a.assessment.code);
                    }
                    break;
            }
            changed.flush();
            if (last) {
                static const char* const k_names[] = {"profiles", "credentials", "university-accounts", "assessments"};
                AuditLog(m_store, m_clock)
                    .record({actor.email, std::nullopt, "registry.import", k_names[static_cast<int>(kind)], "ok",
                             fmt::format("{} rows", summary.rows), ""});
            }
            tx->commit();
        });
        committed = written;
        accounts.clear();
        credentials.clear();
        assessments.clear();
    };
    try {
        each_registry_row(input, kind, [&](std::size_t line, const Columns& cols, const std::vector<std::string>& row) {
            RegistryRow r = parse_registry_row(kind, cols, row);
            switch (kind) {
                case ImportKind::profiles:
                case ImportKind::university_accounts:
                    accounts.push_back(std::move(r.account));
                    break;
                case ImportKind::credentials:
                    credentials.push_back(std::move(r.credential));
                    break;
                case ImportKind::assessments:
                    assessments.push_back({line, std::move(r.login), std::move(r.assessment)});
                    break;
            }
            ++written;
            if (progress && written % 10000 == 0) {
                progress(static_cast<std::size_t>(written), static_cast<std::size_t>(summary.rows));
            }
            if (written % m_chunk_rows == 0 && written < summary.rows) {
                write_block(false);
                pause_for_other_writers();
            }
        });
        write_block(true);
    } catch (...) {
        if (committed == 0) {
            throw;  // the first chunk: nothing was written, as the message says
        }
        try {
            std::rethrow_exception(translate_store_exception(std::current_exception()));
        } catch (const Error& e) {
            std::string message = e.what();
            const std::string nothing = "nothing was changed";
            const std::string done = fmt::format("the first {} of {} rows were imported (committed in chunks of {})",
                                                 grouped(static_cast<std::size_t>(committed)),
                                                 grouped(static_cast<std::size_t>(summary.rows)),
                                                 grouped(static_cast<std::size_t>(m_chunk_rows)));
            const auto at = message.find(nothing);
            message = at == std::string::npos ? message + "; " + done : message.replace(at, nothing.size(), done);
            throw Error(e.code(), message, "run the same import again to complete it (rows are upserted)");
        }
    }
    summary.inserted = summary.rows;
    return summary;
}

namespace {
constexpr std::size_t k_user_block = 5000;
}  // namespace

ImportSummary Importer::import_users(const Actor& actor, const std::optional<MpnId>& org, std::istream& in,
                                     RowSink& out, const Progress& progress) {
    // One write unit, run again whole after a server's transient conflict: it reads the input
    // again each time (a pipe from a temporary copy), and prints invitations once it committed.
    ReadAgain input(in);
    struct Done {
        ImportSummary summary;
        std::vector<Invitation> invitations;
    };
    const Done done = run_write_unit(m_store, [&]() -> Done {
        CsvReader reader(input.rewind());
        std::vector<std::string> row;
        auto tx = m_store.begin_write();
        const Actor me = refresh_actor(m_store, actor);
        const auto scope = resolve_org_scope(m_store, me, org, Need::global_admin);
        if (!scope) {
            throw UsageError("--org: the operator must name the organization to import into");
        }
        read_header(reader, row);
        const Columns cols(row, {"email", "name"}, {"role"});
        Directory directory(m_store, m_clock);
        Directory::InviteBatch batch{
            "i-" + crypto::digest_hex(crypto::new_session_token()).substr(0, 12), Policy::load(m_store), {}, {}};
        ImportSummary summary;
        RowErrors errors;
        std::vector<Invitation> invitations;  // printed only once every row is known to be good
        // New accounts are stored in blocks (one COPY each on a server store); until then `pending`
        // finds them by email.
        std::unordered_map<std::string, std::size_t> pending;
        const auto store_users = [&] {
            m_store.insert_users(batch.users);
            batch.users.clear();
            pending.clear();
        };
        while (next_row(reader, row)) {
            ++summary.rows;
            if (progress && summary.rows % 1000 == 0) {
                progress(static_cast<std::size_t>(summary.rows), 0);
            }
            try {
                cols.check_width(row);
                const Email email = Email::parse(cols.get(row, "email"), "email");
                const std::string name = parse_text(cols.get(row, "name"), "name");
                const std::string role_text = cols.get(row, "role");
                const Role role = role_text.empty() ? Role::user : parse_role(role_text, "role");
                // An email seen earlier in this file, not stored yet: as for a stored one below.
                if (const auto it = pending.find(email.value); it != pending.end()) {
                    User& earlier = batch.users[it->second];
                    if (!errors.any() && (earlier.name != name || earlier.role != role)) {
                        earlier.name = name;
                        earlier.role = role;
                        ++summary.updated;
                    }
                    continue;
                }
                auto existing = m_store.find_user_by_email(email.value);
                if (existing) {
                    if (existing->org_id != scope->id) {
                        throw UsageError(
                            fmt::format("email: {} is already used outside your organization", email.value));
                    }
                    if (!errors.any() && (existing->name != name || existing->role != role)) {
                        existing->name = name;
                        existing->role = role;
                        m_store.update_user(*existing);
                        ++summary.updated;
                    }
                    continue;
                }
                if (!errors.any()) {
                    invitations.push_back(directory.invite_in_transaction(me, *scope, email, name, role, &batch));
                    pending.emplace(email.value, batch.users.size() - 1);
                    ++summary.inserted;
                    if (batch.users.size() == k_user_block) {
                        store_users();
                    }
                }
            } catch (const UsageError& e) {
                errors.add(reader.line(), e.what());
            } catch (const Conflict& e) {
                errors.add(reader.line(), e.what());
            }
        }
        if (errors.any()) {
            errors.raise();
        }
        store_users();
        AuditLog(m_store, m_clock).record_all(batch.audit);
        tx->commit();
        return Done{summary, std::move(invitations)};
    });
    out.begin(k_invitation_columns);
    for (const auto& inv : done.invitations) {
        const std::string expires = Date::of(inv.expires_at).str();
        const std::array<Cell, 3> cells = {Cell::of(inv.email), Cell::of(inv.code), Cell::of(expires)};
        out.row(cells);
    }
    out.end();
    return done.summary;
}

}  // namespace mcid
