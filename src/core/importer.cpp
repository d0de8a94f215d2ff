#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/csv.hpp>
#include <mcid/directory.hpp>
#include <mcid/error.hpp>
#include <mcid/importer.hpp>
#include <mcid/qualifications.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

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
    void add(std::size_t line, const std::string& what) {
        if (m_shown.size() < k_errors_shown) {
            m_shown.push_back(fmt::format("line {}: {}", line, what));
        }
        ++m_count;
    }
    bool any() const { return m_count > 0; }
    [[noreturn]] void raise() const {
        std::string text = fmt::format("{} bad row{}, nothing was imported: ", m_count, m_count == 1 ? "" : "s");
        for (std::size_t i = 0; i < m_shown.size(); ++i) {
            text += (i ? "; " : "") + m_shown[i];
        }
        if (m_count > m_shown.size()) {
            text += fmt::format("; and {} more", m_count - m_shown.size());
        }
        throw UsageError(text, "fix the rows and run the same import again");
    }

private:
    std::vector<std::string> m_shown;
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

bool is_constraint_error(const std::exception& e) {
    return std::string_view(e.what()).find("constraint") != std::string_view::npos;
}

}  // namespace

ImportKind parse_import_kind(std::string_view text) {
    if (text == "profiles") return ImportKind::profiles;
    if (text == "credentials") return ImportKind::credentials;
    if (text == "university-accounts") return ImportKind::university_accounts;
    if (text == "assessments") return ImportKind::assessments;
    throw UsageError(fmt::format("--kind: '{}' is not one of profiles, credentials, university-accounts, assessments",
                                 text));
}

ImportSummary Importer::import_registry(const Actor& actor, ImportKind kind, std::istream& in,
                                        const Progress& progress) {
    require_operator(actor, "import into the registry");
    CsvReader reader(in);
    std::vector<std::string> row;
    if (!reader.next(row)) {
        throw UsageError("the file is empty: a header row is needed");
    }
    const Columns cols = [&] {
        switch (kind) {
            case ImportKind::profiles: return Columns(row, {"mcid", "login", "name"}, {"password_hash"});
            case ImportKind::credentials:
                return Columns(row, {"mcid", "code", "title", "type"}, {"passed_on", "expires_on"});
            case ImportKind::university_accounts: return Columns(row, {"login", "name"}, {"password_hash"});
            case ImportKind::assessments: return Columns(row, {"login", "title"}, {"code", "passed_on"});
        }
        throw InternalError("unknown import kind");
    }();
    // Every row is written even after a bad one, so that errors only the store can see (a missing
    // profile) are reported too; a bad row anywhere rolls the whole transaction back.
    auto tx = m_store.begin_write();
    require_operator(refresh_actor(m_store, actor), "import into the registry");
    ImportSummary summary;
    RowErrors errors;
    ChangedAccounts changed(m_store, kind == ImportKind::assessments ? AccountKind::university : AccountKind::profile);
    while (reader.next(row)) {
        if (row.size() == 1 && row[0].empty()) {
            continue;  // a blank line
        }
        ++summary.rows;
        if (progress && summary.rows % 10000 == 0) {
            progress(static_cast<std::size_t>(summary.rows), 0);
        }
        try {
            cols.check_width(row);
            switch (kind) {
                case ImportKind::profiles: {
                    const Mcid mcid = Mcid::parse(cols.get(row, "mcid"), "mcid");
                    ExternalAccount a{mcid.value, parse_text(cols.get(row, "login"), "login", 254),
                                      parse_text(cols.get(row, "name"), "name"),
                                      password_hash_field(cols.get(row, "password_hash")), 0, 0};
                    m_store.upsert_account(AccountKind::profile, a);
                    break;
                }
                case ImportKind::credentials: {
                    Credential c;
                    c.mcid = Mcid::parse(cols.get(row, "mcid"), "mcid").value;
                    c.code = parse_code(cols.get(row, "code"), "code");
                    c.title = parse_text(cols.get(row, "title"), "title");
                    c.type = parse_credential_type(cols.get(row, "type"), "type");
                    c.passed_on = optional_date_field(cols.get(row, "passed_on"), "passed_on");
                    c.expires_on = optional_date_field(cols.get(row, "expires_on"), "expires_on");
                    if (c.passed_on && c.expires_on && *c.expires_on < *c.passed_on) {
                        throw UsageError("expires_on: before passed_on");
                    }
                    try {
                        m_store.upsert_credential(c);
                    } catch (const std::exception& e) {
                        if (!is_constraint_error(e)) throw;
                        throw UsageError(fmt::format("mcid: no profile {} (import profiles first)", c.mcid));
                    }
                    changed.changed(c.mcid, c.code);
                    break;
                }
                case ImportKind::university_accounts: {
                    ExternalAccount a{0, parse_text(cols.get(row, "login"), "login", 254),
                                      parse_text(cols.get(row, "name"), "name"),
                                      password_hash_field(cols.get(row, "password_hash")), 0, 0};
                    m_store.upsert_account(AccountKind::university, a);
                    break;
                }
                case ImportKind::assessments: {
                    const std::string login = parse_text(cols.get(row, "login"), "login", 254);
                    Assessment a;
                    a.title = parse_text(cols.get(row, "title"), "title");
                    const std::string code = cols.get(row, "code");
                    a.code = code.empty() ? std::string() : parse_code(code, "code");
                    a.passed_on = optional_date_field(cols.get(row, "passed_on"), "passed_on");
                    const auto account = m_store.find_account_by_login(AccountKind::university, login);
                    if (!account) {
                        throw UsageError(fmt::format("login: no Partner University account {}", login));
                    }
                    a.account_id = account->id;
                    m_store.upsert_assessment(a);
                    changed.changed(a.account_id, a.code);
                    break;
                }
            }
        } catch (const UsageError& e) {
            errors.add(reader.line(), e.what());
        }
    }
    if (errors.any()) {
        errors.raise();  // the transaction rolls back
    }
    changed.flush();
    static const char* const k_names[] = {"profiles", "credentials", "university-accounts", "assessments"};
    AuditLog(m_store, m_clock).record({actor.email, std::nullopt, "registry.import", k_names[static_cast<int>(kind)],
                                       "ok", fmt::format("{} rows", summary.rows), ""});
    tx->commit();
    summary.inserted = summary.rows;
    return summary;
}

ImportSummary Importer::import_users(const Actor& actor, const std::optional<MpnId>& org, std::istream& in,
                                     RowSink& out, const Progress& progress) {
    CsvReader reader(in);
    std::vector<std::string> row;
    auto tx = m_store.begin_write();
    const Actor me = refresh_actor(m_store, actor);
    const auto scope = resolve_org_scope(m_store, me, org, Need::global_admin);
    if (!scope) {
        throw UsageError("--org: the operator must name the organization to import into");
    }
    if (!reader.next(row)) {
        throw UsageError("the file is empty: a header row is needed");
    }
    const Columns cols(row, {"email", "name"}, {"role"});
    Directory directory(m_store, m_clock);
    const std::string batch = "i-" + crypto::digest_hex(crypto::new_session_token()).substr(0, 12);
    ImportSummary summary;
    RowErrors errors;
    std::vector<Invitation> invitations;  // printed only once every row is known to be good
    while (reader.next(row)) {
        if (row.size() == 1 && row[0].empty()) {
            continue;
        }
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
            auto existing = m_store.find_user_by_email(email.value);
            if (existing) {
                if (existing->org_id != scope->id) {
                    throw UsageError(fmt::format("email: {} is already used outside your organization", email.value));
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
                invitations.push_back(directory.invite_in_transaction(me, *scope, email, name, role, batch));
                ++summary.inserted;
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
    tx->commit();
    static constexpr std::array<std::string_view, 3> k_columns = {"email", "code", "expires_on"};
    out.begin(k_columns);
    for (const auto& inv : invitations) {
        const std::string expires = Date::of(inv.expires_at).str();
        const std::array<Cell, 3> cells = {Cell::of(inv.email), Cell::of(inv.code), Cell::of(expires)};
        out.row(cells);
    }
    out.end();
    return summary;
}

}  // namespace mcid
