#pragma once
// What every command shares: the global options, the lazily opened store, the clock, the
// session token and the output streams. Commands get it by reference from register_<group>().
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/store.hpp>

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mcid::cli {

enum class Format { table, json, jsonl, csv, xlsx };

struct GlobalOptions {
    std::string db;
    std::string format;
    std::string delimiter;  // CSV: ",", ";" or "tab"
    std::string columns;    // NAME[,NAME...]
    bool quiet = false;
    bool verbose = false;
};

class Context {
public:
    GlobalOptions options;
    int exit_code = 0;

    Format format() const;
    // --delimiter as a character (',' when not given).
    char csv_delimiter() const;
    // --columns as names, lower-cased (empty when not given).
    std::vector<std::string> columns() const;
    // Checks the global options once parsed, before any command runs: --db and the output
    // options (`output_to_file`: the command was given --output).
    void check_global_options(bool output_to_file) const;
    // --db holds no password (other users of the host can read a command line).
    void check_db_option() const;
    // The output options together: --delimiter is for CSV, and a workbook goes to a file or a pipe.
    void check_output_options(bool output_to_file) const;
    // The store path: --db, $MCIDCTL_DB, the config file's `db`, else the XDG default.
    std::string db_path() const;
    // Opens the store on first use.
    Store& store(OpenMode mode = OpenMode::open_existing);
    const Clock& clock() const { return m_clock; }
    // The session file: $MCIDCTL_SESSION, else ${XDG_STATE_HOME:-~/.local/state}/mcidctl/session.
    std::string session_path() const;
    // $MCIDCTL_TOKEN, else the session file's token, else empty.
    std::string token() const;
    bool token_from_environment() const;
    // The signed-in account (AuthError when there is none).
    Actor actor();
    // The account actor() resolved in this run, if any (for auditing refusals).
    const std::optional<Actor>& signed_in() const { return m_actor; }
    // "user.invite": the command being run (the audit action name), set by build_app.
    std::string command_path;
    // After a command that opened the store: erases departed users whose restore window has
    // passed (docs/security.md). Never fails the command: a read-only store just waits.
    void housekeeping();
    // Records a refused command in the audit log (rule 11), when someone was signed in.
    void audit_refusal(const std::string& reason);

    // Informational line on stderr (silenced by -q).
    void info(const std::string& line) const;
    // Detail on stderr (only with -v).
    void debug(const std::string& line) const;
    std::ostream& out() const;
    bool stdout_is_terminal() const;
    bool stderr_is_terminal() const;
    bool stdin_is_terminal() const;
    // Colour on stdout: a terminal and no NO_COLOR.
    bool color() const;
    // The terminal's width, or 0 when stdout is not a terminal.
    int terminal_width() const;

private:
    std::optional<std::string> config_file_value(const std::string& key) const;

    mutable bool m_settings_warned = false;  // the settings file's problems are said once
    std::unique_ptr<Store> m_store;
    std::optional<Actor> m_actor;
    SystemClock m_clock;
};

// ${XDG_<kind>_HOME:-~/<fallback>}
std::string xdg_dir(const char* variable, const char* fallback);

// A URI in `value` (given on the command line as `what`) that holds a password is UsageError,
// without echoing it: other users of the host can read a command line (ps, /proc).
void refuse_password_in_uri(std::string_view what, const std::string& value);

}  // namespace mcid::cli
