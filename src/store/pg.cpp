// The libpq layer of the PostgreSQL store (see pg.hpp).
#include "store/pg.hpp"

#include "core/library.hpp"

#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <libpq-fe.h>  // its types and constants: the functions are loaded (libpq() below)

namespace mcid::store::pg {
namespace {

// libpq's messages end in a newline and may span lines ("connection to server ... failed:
// FATAL:  database "x" does not exist"): one line, single spaces.
std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        out += c;
    }
    return out;
}

void ignore_notice(void*, const char*) {}

// libpq is loaded when a server store is first used, not when mcidctl starts: with the libraries
// it needs in turn (TLS, Kerberos, LDAP: 25 on Debian 12) it took 3.3 ms of every command's
// start, 40% of a single command on a store file, which never calls it.
#define MCID_LIBPQ_FUNCTIONS(X) \
    X(PQcancel)                 \
    X(PQclear)                  \
    X(PQcmdTuples)              \
    X(PQconnectdbParams)        \
    X(PQconninfoFree)           \
    X(PQconninfoParse)          \
    X(PQenterPipelineMode)      \
    X(PQerrorMessage)           \
    X(PQexec)                   \
    X(PQexecParams)             \
    X(PQexecPrepared)           \
    X(PQexitPipelineMode)       \
    X(PQfinish)                 \
    X(PQfreeCancel)             \
    X(PQfreemem)                \
    X(PQgetCancel)              \
    X(PQgetResult)              \
    X(PQgetisnull)              \
    X(PQgetlength)              \
    X(PQgetvalue)               \
    X(PQntuples)                \
    X(PQpipelineSync)           \
    X(PQprepare)                \
    X(PQputCopyData)            \
    X(PQputCopyEnd)             \
    X(PQresultErrorField)       \
    X(PQresultStatus)           \
    X(PQsendPrepare)            \
    X(PQsendQueryParams)        \
    X(PQsendQueryPrepared)      \
    X(PQsetNoticeProcessor)     \
    X(PQsetSingleRowMode)       \
    X(PQstatus)                 \
    X(PQtransactionStatus)

struct Libpq {
#define MCID_LIBPQ_POINTER(name) decltype(&::name) name = nullptr;
    MCID_LIBPQ_FUNCTIONS(MCID_LIBPQ_POINTER)
#undef MCID_LIBPQ_POINTER
};

// PQcancel for the signal handler, which must not run the loader's one-time initialization.
std::atomic<decltype(&::PQcancel)> g_pq_cancel{nullptr};

// The functions, loaded on first use; a missing libpq is the server store being unavailable (9).
const Libpq& libpq() {
    static const Libpq loaded = [] {
        try {
            const LoadedLibrary library("libpq.so.5");
            Libpq l;
#define MCID_LIBPQ_LOAD(name) library.get(l.name, #name);
            MCID_LIBPQ_FUNCTIONS(MCID_LIBPQ_LOAD)
#undef MCID_LIBPQ_LOAD
            g_pq_cancel.store(l.PQcancel);
            return l;
        } catch (const LibraryUnavailable& e) {
            throw StoreError(fmt::format("the server store needs libpq (Debian package libpq5): {}", e.what()),
                             "install it: apt-get install libpq5 (version 14 or later)");
        }
    }();
    return loaded;
}

}  // namespace

std::exception_ptr translate_pg_error(const ServerError& e) {
    const std::string& s = e.sqlstate();
    const std::string cls = s.substr(0, 2);
    const std::string reason = fmt::format("server store: {}", e.what());
    if (cls == "23") {
        return std::make_exception_ptr(Conflict(fmt::format("conflicts with the stored data: {}", e.what())));
    }
    if (s == "55P03") {
        return std::make_exception_ptr(
            StoreError(fmt::format("server store is busy: another writer held it for more than {} s; nothing was "
                                   "changed",
                                   k_busy_budget.count() / 1000),
                       "run the command again"));
    }
    if (e.retryable() || s == "57014") {
        return std::make_exception_ptr(StoreError(
            fmt::format("server store is busy: {}; nothing was changed", e.what()), "run the command again"));
    }
    if (s.empty() || cls == "08" || cls == "28" || cls == "3D" || cls == "53" || cls == "57") {
        return std::make_exception_ptr(StoreError(reason));
    }
    return std::make_exception_ptr(InternalError(fmt::format("server store: {} (SQLSTATE {})", e.what(), s)));
}

Param param(std::int64_t value) {
    return std::to_string(value);
}
Param param(std::string_view value) {
    return std::string(value);
}
Param param(const char* value) {
    return std::string(value);
}
Param param(const std::string& value) {
    return value;
}

bool Row::is_null(int column) const {
    return libpq().PQgetisnull(m_result, m_row, column) != 0;
}
std::string_view Row::text(int column) const {
    return {libpq().PQgetvalue(m_result, m_row, column),
            static_cast<std::size_t>(libpq().PQgetlength(m_result, m_row, column))};
}
std::optional<std::string> Row::opt_text(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return std::string(text(column));
}
std::int64_t Row::int64(int column) const {
    const std::string_view t = text(column);
    std::int64_t v = 0;
    if (!t.empty() && std::from_chars(t.data(), t.data() + t.size(), v).ec != std::errc()) {
        throw InternalError(fmt::format("server store: '{}' is not an integer", t));
    }
    return v;
}
std::optional<std::int64_t> Row::opt_int64(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return int64(column);
}
bool Row::boolean(int column) const {
    return text(column) == "t";
}

Result::~Result() {
    if (m_result) {
        libpq().PQclear(m_result);
    }
}
int Result::rows() const {
    return libpq().PQntuples(m_result);
}
std::int64_t Result::affected() const {
    const char* n = libpq().PQcmdTuples(m_result);
    std::int64_t v = 0;
    std::from_chars(n, n + std::char_traits<char>::length(n), v);
    return v;
}

struct Connection::Cancel {
    PGcancel* handle = nullptr;
};

Connection::Connection(const std::string& conninfo)
    : m_cancel(nullptr, [](Cancel* c) {
          if (c) {
              libpq().PQfreeCancel(c->handle);
              delete c;
          }
      }) {
    // Defaults first: the URI's own settings, later in the list, override them.
    const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"5", "mcidctl", conninfo.c_str(), nullptr};
    m_conn = libpq().PQconnectdbParams(keywords, values, 1);
    if (m_conn == nullptr) {
        throw StoreError("server store: out of memory while connecting");
    }
    if (libpq().PQstatus(m_conn) != CONNECTION_OK) {
        const std::string reason = last_error();
        libpq().PQfinish(m_conn);
        m_conn = nullptr;
        throw StoreError(fmt::format("cannot open the server store: {}", reason));
    }
    libpq().PQsetNoticeProcessor(m_conn, ignore_notice, nullptr);
}

namespace {

// The cancel handles of this process's open server connections (a store, and the destination of
// a db copy), for a signal handler: PQcancel is async-signal-safe.
std::array<std::atomic<pg_cancel*>, 4> g_signal_cancels{};

}  // namespace

void Connection::cancel_on_signal() {
    prepare_cancel();
    for (auto& slot : g_signal_cancels) {
        pg_cancel* expected = nullptr;
        if (m_cancel->handle && slot.compare_exchange_strong(expected, m_cancel->handle)) {
            m_signal_slot = &slot;
            return;
        }
    }
}

Connection::~Connection() {
    if (m_signal_slot) {
        m_signal_slot->store(nullptr);  // before the handle is freed
    }
    if (m_conn) {
        try {
            end_deferred();
        } catch (...) {  // closing anyway
        }
        libpq().PQfinish(m_conn);
    }
}

std::string Connection::last_error() const {
    return one_line(libpq().PQerrorMessage(m_conn));
}

void Connection::fail(pg_result* result) {
    std::string state, message;
    if (result) {
        if (const char* s = libpq().PQresultErrorField(result, PG_DIAG_SQLSTATE)) {
            state = s;
        }
        if (const char* m = libpq().PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) {
            message = one_line(m);
        }
        libpq().PQclear(result);
    }
    if (message.empty()) {
        message = last_error();
    }
    if (libpq().PQstatus(m_conn) == CONNECTION_BAD && state.empty()) {
        state = "08006";  // the connection was lost
    }
    throw ServerError(state, message);
}

void Connection::exec(const std::string& sql) {
    ++m_round_trips;
    std::string text;  // what was deferred goes first, in the same request
    for (const auto& d : m_deferred) {
        text += d + "; ";
    }
    m_deferred.clear();
    text += sql;
    pg_result* r = libpq().PQexec(m_conn, text.c_str());
    const auto status = libpq().PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail(r);
    }
    libpq().PQclear(r);
}

void Connection::defer(std::string_view sql) {
    // A transaction that ran nothing was never begun: it needs no end, and costs nothing.
    if ((sql == "ROLLBACK" || sql == "COMMIT") && !m_deferred.empty() && m_deferred.back().starts_with("BEGIN")) {
        m_deferred.pop_back();
        return;
    }
    m_deferred.emplace_back(sql);
}

void Connection::end_deferred() {
    if (!m_deferred.empty() && m_deferred.back().starts_with("BEGIN")) {
        m_deferred.pop_back();  // never used: nothing to begin or end
    }
    if (!m_deferred.empty() && libpq().PQstatus(m_conn) == CONNECTION_OK) {
        exec("SELECT 1");
    }
    m_deferred.clear();
}

bool Connection::idle() const {
    return libpq().PQtransactionStatus(m_conn) == PQTRANS_IDLE;
}

void Connection::flush_deferred() {
    if (!m_deferred.empty()) {
        exec("SELECT 1");
    }
}

// A statement is prepared the second time it runs: a command that runs it once (most of a
// single-record command's statements) sends it unnamed; a batch that runs it again reuses the
// plan. The Prepare goes in the same round trip as the statement's first named run (query()).
Connection::Statement Connection::statement_for(const std::string& sql) {
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        m_statements.emplace(sql, std::string());
        return {nullptr, {}};
    }
    if (it->second.empty()) {
        return {nullptr, fmt::format("s{}", ++m_prepared_count)};
    }
    return {&it->second, {}};
}

const std::string* Connection::prepare_now(const std::string& sql, Statement& s) {
    if (s.to_prepare.empty()) {
        return s.name;
    }
    ++m_round_trips;
    pg_result* r = libpq().PQprepare(m_conn, s.to_prepare.c_str(), sql.c_str(), 0, nullptr);
    if (libpq().PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail(r);
    }
    libpq().PQclear(r);
    auto& name = m_statements[sql];
    name = std::move(s.to_prepare);
    return &name;
}

namespace {
std::vector<const char*> values_of(const std::vector<Param>& params) {
    std::vector<const char*> v;
    v.reserve(params.size());
    for (const auto& p : params) {
        v.push_back(p ? p->c_str() : nullptr);
    }
    return v;
}
}  // namespace

Result Connection::query(const std::string& sql, const std::vector<Param>& params) {
    Statement s = statement_for(sql);
    if (!m_deferred.empty() || !s.to_prepare.empty()) {
        return pipelined(sql, params, s);
    }
    const auto values = values_of(params);
    const int n = static_cast<int>(values.size());
    ++m_round_trips;
    pg_result* r = s.name ? libpq().PQexecPrepared(m_conn, s.name->c_str(), n, values.data(), nullptr, nullptr, 0)
                          : libpq().PQexecParams(m_conn, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
    const auto status = libpq().PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail(r);
    }
    return Result(r);
}

Result Connection::query_once(const std::string& sql, const std::vector<Param>& params) {
    if (!m_deferred.empty()) {
        Statement unnamed{nullptr, {}};
        return pipelined(sql, params, unnamed);
    }
    const auto values = values_of(params);
    ++m_round_trips;
    pg_result* r = libpq().PQexecParams(m_conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                        nullptr, nullptr, 0);
    const auto status = libpq().PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail(r);
    }
    return Result(r);
}

// One round trip in pipeline mode: the deferred statements (a read's BEGIN, the end of the last
// one), the Prepare of a statement's second run, and the statement, then one Sync. After a failure
// the server skips the rest up to the Sync (PGRES_PIPELINE_ABORTED), as one request would.
Result Connection::pipelined(const std::string& sql, const std::vector<Param>& params, Statement& s) {
    const auto values = values_of(params);
    const int n = static_cast<int>(values.size());
    ++m_round_trips;
    if (libpq().PQenterPipelineMode(m_conn) != 1) {
        fail(nullptr);
    }
    int requests = 0;
    bool sent = true;
    for (const auto& d : m_deferred) {
        sent = sent && libpq().PQsendQueryParams(m_conn, d.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
        ++requests;
    }
    m_deferred.clear();
    const bool preparing = !s.to_prepare.empty();
    if (preparing) {
        sent = sent && libpq().PQsendPrepare(m_conn, s.to_prepare.c_str(), sql.c_str(), 0, nullptr) == 1;
        ++requests;
    }
    const char* name = preparing ? s.to_prepare.c_str() : s.name ? s.name->c_str() : nullptr;
    sent = sent &&
           (name ? libpq().PQsendQueryPrepared(m_conn, name, n, values.data(), nullptr, nullptr, 0)
                 : libpq().PQsendQueryParams(m_conn, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0)) == 1;
    ++requests;
    sent = sent && libpq().PQpipelineSync(m_conn) == 1;
    if (!sent) {
        const std::string reason = last_error();
        throw ServerError(libpq().PQstatus(m_conn) == CONNECTION_BAD ? "08006" : "", reason);
    }
    pg_result* error = nullptr;
    pg_result* last = nullptr;
    for (int i = 0; i < requests; ++i) {
        while (pg_result* r = libpq().PQgetResult(m_conn)) {
            const auto status = libpq().PQresultStatus(r);
            if (status == PGRES_FATAL_ERROR && !error) {
                error = r;
            } else if (i == requests - 1 && !last && (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)) {
                last = r;
            } else {
                if (preparing && i == requests - 2 && status == PGRES_COMMAND_OK) {
                    m_statements[sql] = s.to_prepare;  // prepared, whatever its run gives
                }
                libpq().PQclear(r);
            }
        }
    }
    if (pg_result* sync = libpq().PQgetResult(m_conn)) {  // PGRES_PIPELINE_SYNC
        libpq().PQclear(sync);
    }
    libpq().PQexitPipelineMode(m_conn);
    if (error) {
        if (last) {
            libpq().PQclear(last);
        }
        fail(error);
    }
    if (!last) {
        fail(nullptr);
    }
    return Result(last);
}

void Connection::cursor(const std::string& sql, const std::vector<Param>& params,
                        const std::function<void(const Row&)>& fn, int batch) {
    const std::string name = fmt::format("mcid_cursor_{}", ++m_cursors);
    query_once(fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", name, sql), params);
    const std::string fetch = fmt::format("FETCH {} FROM {}", batch, name);
    try {
        for (;;) {
            const Result r = query_once(fetch);
            for (int i = 0; i < r.rows(); ++i) {
                fn(r.row(i));
            }
            if (r.rows() < batch) {
                break;
            }
        }
    } catch (...) {
        try {
            exec("CLOSE " + name);
        } catch (...) {  // the transaction failed: its cursors are gone with it
        }
        throw;
    }
    exec("CLOSE " + name);
}

void Connection::stream(const std::string& sql, const std::vector<Param>& params,
                        const std::function<void(const Row&)>& fn) {
    flush_deferred();
    Statement s = statement_for(sql);
    const std::string* name = prepare_now(sql, s);
    const auto values = values_of(params);
    const int n = static_cast<int>(values.size());
    ++m_round_trips;
    if (!(name ? libpq().PQsendQueryPrepared(m_conn, name->c_str(), n, values.data(), nullptr, nullptr, 0)
               : libpq().PQsendQueryParams(m_conn, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0))) {
        fail(nullptr);
    }
    libpq().PQsetSingleRowMode(m_conn);
    pg_result* error = nullptr;
    std::exception_ptr thrown;
    while (pg_result* r = libpq().PQgetResult(m_conn)) {
        const auto status = libpq().PQresultStatus(r);
        if (status == PGRES_SINGLE_TUPLE && !thrown && !error) {
            try {
                fn(Row(r, 0));
            } catch (...) {
                thrown = std::current_exception();
                cancel();  // the caller stopped: do not read the rest of a million rows
            }
            libpq().PQclear(r);
        } else if (status == PGRES_FATAL_ERROR && !error) {
            error = r;
        } else {
            libpq().PQclear(r);
        }
    }
    if (thrown) {
        if (error) {
            libpq().PQclear(error);
        }
        std::rethrow_exception(thrown);
    }
    if (error) {
        fail(error);
    }
}

void Connection::copy_begin(const std::string& sql) {
    flush_deferred();
    ++m_round_trips;
    pg_result* r = libpq().PQexec(m_conn, sql.c_str());
    if (libpq().PQresultStatus(r) != PGRES_COPY_IN) {
        fail(r);
    }
    libpq().PQclear(r);
}

void Connection::copy_feed(std::string_view data) {
    if (libpq().PQputCopyData(m_conn, data.data(), static_cast<int>(data.size())) != 1) {
        fail(nullptr);
    }
}

void Connection::copy_finish() {
    ++m_round_trips;
    if (libpq().PQputCopyEnd(m_conn, nullptr) != 1) {
        fail(nullptr);
    }
    pg_result* error = nullptr;
    while (pg_result* r = libpq().PQgetResult(m_conn)) {
        if (libpq().PQresultStatus(r) != PGRES_COMMAND_OK && !error) {
            error = r;
        } else {
            libpq().PQclear(r);
        }
    }
    if (error) {
        fail(error);
    }
}

void Connection::prepare_cancel() {
    if (!m_cancel) {
        m_cancel.reset(new Cancel{libpq().PQgetCancel(m_conn)});
    }
}

bool Connection::cancel() noexcept {
    if (!m_cancel) {
        try {
            prepare_cancel();
        } catch (...) {
            return false;
        }
    }
    char buffer[256];
    return m_cancel->handle && libpq().PQcancel(m_cancel->handle, buffer, sizeof buffer) == 1;
}

void append_copy_field(std::string& line, const Param& value) {
    if (!value) {
        line += "\\N";
        return;
    }
    append_copy_text(line, *value);
}

void append_copy_text(std::string& line, std::string_view text) {
    // Runs of bytes that need no escape go in whole (a report's or an import's every field).
    std::size_t from = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char* escaped = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
        if (escaped) {
            line.append(text, from, i - from);
            line += escaped;
            from = i + 1;
        }
    }
    line.append(text, from, std::string::npos);
}

namespace {

// The keywords libpq's own parser finds in `conninfo` with a non-empty value; nullopt when it
// cannot parse it.
std::optional<std::unordered_map<std::string, std::string>> parse_conninfo(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = libpq().PQconninfoParse(conninfo.c_str(), &error);
    if (error) {
        libpq().PQfreemem(error);
    }
    if (!options) {
        return std::nullopt;
    }
    std::unordered_map<std::string, std::string> values;
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        if (o->val && *o->val) {
            values[o->keyword] = o->val;
        }
    }
    libpq().PQconninfoFree(options);
    return values;
}

}  // namespace

bool conninfo_has_password(const std::string& conninfo) {
    const auto values = parse_conninfo(conninfo);
    if (!values) {
        // Unparseable: look for the URI's user:password@ part ourselves, so it is never echoed.
        const auto scheme = conninfo.find("://");
        const auto at = conninfo.find('@');
        const auto colon = conninfo.find(':', scheme == std::string::npos ? 0 : scheme + 3);
        return scheme != std::string::npos && at != std::string::npos && colon != std::string::npos && colon < at;
    }
    return values->contains("password");
}

std::string display_name(const std::string& conninfo) {
    const auto values = parse_conninfo(conninfo);
    if (!values) {
        return "the server store";
    }
    const auto get = [&](const char* key) {
        const auto it = values->find(key);
        return it == values->end() ? std::string() : it->second;
    };
    const std::string user = get("user"), port = get("port");
    return fmt::format("postgresql://{}{}{}{}/{}", user, user.empty() ? "" : "@", get("host"),
                       port.empty() ? "" : ":" + port, get("dbname"));
}

bool is_postgres_uri(std::string_view db) {
    return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

}  // namespace mcid::store::pg

namespace mcid {

bool is_transient_conflict(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const store::pg::ServerError& e) {
        return e.retryable();
    } catch (...) {
        return false;
    }
}

bool is_server_store_uri(std::string_view db) {
    return store::pg::is_postgres_uri(db);
}

bool server_uri_has_password(const std::string& uri) {
    return store::pg::conninfo_has_password(uri);
}

void cancel_server_statements() noexcept {
    for (auto& slot : store::pg::g_signal_cancels) {
        if (pg_cancel* handle = slot.load()) {
            char reason[256];
            if (const auto cancel = store::pg::g_pq_cancel.load()) {  // set when a connection was made
                cancel(handle, reason, sizeof reason);
            }
        }
    }
}

std::string server_store_name(const std::string& uri) {
    return store::pg::display_name(uri);
}

}  // namespace mcid
