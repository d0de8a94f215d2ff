#pragma once
// A small RAII layer over libpq (Debian's libpq-dev) for the PostgreSQL store: a connection,
// results, prepared statements by their SQL text, a read's BEGIN and end sent with its
// statements (one pipeline), single-row streaming and COPY FROM STDIN. Only src/store sees
// libpq, and loads it on first use (pg.cpp). Errors carry the server's SQLSTATE;
// translate_pg_error() maps them to mcidctl's exit codes by that code, never by message text.
#include <mcid/error.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_cancel;
struct pg_conn;
struct pg_result;

namespace mcid::store::pg {

// A failed statement or connection, as the server (or libpq) reported it.
class ServerError : public std::runtime_error {
public:
    ServerError(std::string sqlstate, const std::string& message)
        : std::runtime_error(message), m_sqlstate(std::move(sqlstate)) {}
    // Five characters ("23505"); empty when libpq failed before the server answered.
    const std::string& sqlstate() const noexcept { return m_sqlstate; }
    // 40001 (serialization failure) and 40P01 (deadlock): the whole unit may be run again.
    bool retryable() const noexcept { return m_sqlstate == "40001" || m_sqlstate == "40P01"; }

private:
    std::string m_sqlstate;
};

// The mcidctl error for a server error: class 23 is a conflict (5); 40001/40P01 (after retries),
// 55P03 (lock not available), 57014 (cancelled: a timeout), and classes 08 (connection), 28
// (authentication), 3D (no such database), 53 (resources) and 57 (shutdown) are the store being
// unavailable (9); anything else is an internal error (1): a statement mcidctl got wrong.
// (An exception_ptr, so that the error keeps its class: Conflict, StoreError, InternalError.)
std::exception_ptr translate_pg_error(const ServerError& e);

// A bind parameter in text format; nullopt is SQL NULL.
using Param = std::optional<std::string>;
Param param(std::int64_t value);
Param param(std::string_view value);
Param param(const char* value);
Param param(const std::string& value);
template <class T>
Param param(const std::optional<T>& value) {
    return value ? param(*value) : Param{};
}

// One row of a result (valid while its Result lives).
class Row {
public:
    Row(const pg_result* result, int row) : m_result(result), m_row(row) {}
    bool is_null(int column) const;
    std::string_view text(int column) const;  // "" for NULL
    std::optional<std::string> opt_text(int column) const;
    std::int64_t int64(int column) const;  // 0 for NULL
    std::optional<std::int64_t> opt_int64(int column) const;
    bool boolean(int column) const;  // 't'

private:
    const pg_result* m_result;
    int m_row;
};

class Result {
public:
    explicit Result(pg_result* result) : m_result(result) {}
    Result(Result&& other) noexcept : m_result(other.m_result) { other.m_result = nullptr; }
    Result& operator=(Result&&) = delete;
    Result(const Result&) = delete;
    ~Result();
    int rows() const;
    Row row(int i) const { return Row(m_result, i); }
    // Rows an INSERT/UPDATE/DELETE touched (PQcmdTuples).
    std::int64_t affected() const;

private:
    pg_result* m_result;
};

class Connection {
public:
    // Connects with a libpq URI or keyword string. Throws StoreError (9) with the server's reason
    // on one line: unreachable, no such database, authentication failed.
    explicit Connection(const std::string& conninfo);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one or more statements without parameters (migrations, BEGIN, COMMIT).
    void exec(const std::string& sql);
    // Sends `sql` (a statement without parameters and without a result: a read's BEGIN, its
    // ROLLBACK) with the next request, in the same round trip, rather than on its own. An end
    // deferred right after its BEGIN cancels both: that transaction never ran a statement.
    void defer(std::string_view sql);
    std::size_t deferred() const noexcept { return m_deferred.size(); }
    // Sends a deferred end now, and drops a BEGIN that nothing used, so that the session is idle
    // when it closes (the destructor does it: a command that failed after a read). PostgreSQL
    // would roll it back anyway, but a pooler (PgBouncer) drops a server connection that its
    // client left inside a transaction.
    void end_deferred();
    // No transaction open on the server (as libpq last heard).
    bool idle() const;
    // Runs one statement with parameters ($1, $2, ...); prepared by its text the second time it
    // runs on this connection.
    Result query(const std::string& sql, const std::vector<Param>& params = {});
    // Runs one statement with parameters without preparing it (statements run once).
    Result query_once(const std::string& sql, const std::vector<Param>& params = {});
    // Reads the rows of one query through a cursor, `batch` rows per round trip: memory does not
    // grow with the rows, and `fn` may run other statements on this connection between rows
    // (which single-row mode forbids). Must run inside a transaction.
    void cursor(const std::string& sql, const std::vector<Param>& params, const std::function<void(const Row&)>& fn,
                int batch = 2000);
    // Streams the rows of one statement in single-row mode: memory does not grow with the rows;
    // `fn` must not use this connection.
    void stream(const std::string& sql, const std::vector<Param>& params, const std::function<void(const Row&)>& fn);
    // COPY ... FROM STDIN: `copy` starts it; then feed() lines in COPY text format (escape with
    // copy_field), then finish(). A failure rolls the COPY back with the transaction.
    void copy_begin(const std::string& sql);
    void copy_feed(std::string_view data);
    void copy_finish();

    // Asks the server to cancel the running statement (from another thread or a signal-safe
    // context that has prepared it: see prepare_cancel()).
    void prepare_cancel();
    bool cancel() noexcept;
    // Lets cancel_server_statements() (Ctrl-C) cancel what runs on this connection, until it closes.
    void cancel_on_signal();

    // The server's reason for the last failure, on one line.
    std::string last_error() const;
    // Requests this connection has sent and waited for (statements, Prepare, COPY start and end):
    // what a command's fixed cost on a server is counted in (the tests hold it down).
    std::uint64_t round_trips() const noexcept { return m_round_trips; }
    pg_conn* raw() const { return m_conn; }

private:
    [[noreturn]] void fail(pg_result* result);
    // How a statement runs: by `name` when prepared, else unnamed; `to_prepare` names it when
    // this run is the one to prepare it (its second).
    struct Statement {
        const std::string* name;
        std::string to_prepare;
    };
    Statement statement_for(const std::string& sql);
    const std::string* prepare_now(const std::string& sql, Statement& s);  // in its own round trip
    Result pipelined(const std::string& sql, const std::vector<Param>& params, Statement& s);
    void flush_deferred();

    pg_conn* m_conn = nullptr;
    struct Cancel;
    std::unique_ptr<Cancel, void (*)(Cancel*)> m_cancel;
    std::atomic<pg_cancel*>* m_signal_slot = nullptr;
    std::unordered_map<std::string, std::string> m_statements;  // SQL text -> prepared name ("": run once)
    std::size_t m_prepared_count = 0;
    int m_cursors = 0;
    std::uint64_t m_round_trips = 0;
    std::vector<std::string> m_deferred;  // see defer()
};

// A field in COPY text format: backslash, tab, newline and carriage return escaped; NULL as \N.
void append_copy_field(std::string& line, const Param& value);
// The same for a value that is not NULL.
void append_copy_text(std::string& line, std::string_view text);

// Whether `conninfo` (a URI or keyword string) carries a password; libpq's own parser decides.
bool conninfo_has_password(const std::string& conninfo);
// A name for messages: postgresql://USER@HOST:PORT/DATABASE, never the password or options.
std::string display_name(const std::string& conninfo);
// Whether a --db value names a server store: postgresql:// or postgres://.
bool is_postgres_uri(std::string_view db);

}  // namespace mcid::store::pg
