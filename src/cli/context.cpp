#include "cli/context.hpp"

#include <mcid/audit.hpp>
#include <mcid/csv.hpp>
#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/retention.hpp>
#include <mcid/types.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mcid::cli {

std::string xdg_dir(const char* variable, const char* fallback) {
    if (const char* v = std::getenv(variable); v && *v) {
        return v;
    }
    const char* home = std::getenv("HOME");
    if (!home || !*home) {
        throw UsageError(fmt::format("neither {} nor HOME is set", variable), "pass --db PATH or set MCIDCTL_DB");
    }
    return std::string(home) + "/" + fallback;
}

std::optional<std::string> Context::config_file_value(const std::string& key) const {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    std::string path;
    if (xdg && *xdg) {
        path = std::string(xdg) + "/mcidctl/config";
    } else if (home && *home) {
        path = std::string(home) + "/.config/mcidctl/config";
    } else {
        return std::nullopt;
    }
    std::ifstream in(path);
    std::string line;
    std::optional<std::string> found;
    const auto trim = [](std::string s) {
        const auto b = s.find_first_not_of(" \t\r");
        const auto e = s.find_last_not_of(" \t\r");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        const std::string text = trim(line);
        if (text.empty() || text[0] == '#') {
            continue;
        }
        const auto eq = line.find('=');
        const std::string name = eq == std::string::npos ? std::string() : trim(line.substr(0, eq));
        if (name != "db" && name != "format") {
            // Said once per run (the file is read for each key): a typo must not pass unnoticed.
            if (!m_settings_warned) {
                std::cerr << fmt::format(
                    "mcidctl: warning: {} line {}: {} (the keys are db and format); it is ignored\n", path, number,
                    eq == std::string::npos ? "not KEY = VALUE" : fmt::format("unknown key '{}'", printable(name)));
            }
            continue;
        }
        if (name == key) {
            found = trim(line.substr(eq + 1));
        }
    }
    if (number > 0) {
        m_settings_warned = true;
    }
    return found;
}

char Context::csv_delimiter() const {
    const std::string& d = options.delimiter;
    if (d.empty() || d == "," || d == "comma")
        return ',';
    if (d == ";" || d == "semicolon")
        return ';';
    if (d == "tab" || d == "\t")
        return '\t';
    throw UsageError(fmt::format("--delimiter: '{}' is not one of ',', ';' or tab", printable(d)),
                     "';' is what Excel expects where the decimal separator is a comma (Swedish, German...)");
}

std::vector<std::string> Context::columns() const {
    std::vector<std::string> out;
    if (options.columns.empty()) {
        return out;
    }
    std::string_view rest = options.columns;
    while (true) {
        const auto comma = rest.find(',');
        const std::string name = normalize_header(rest.substr(0, comma));
        if (name.empty()) {
            throw UsageError("--columns: empty column name", "name columns separated by commas: --columns email,name");
        }
        out.push_back(name);
        if (comma == std::string_view::npos) {
            return out;
        }
        rest.remove_prefix(comma + 1);
    }
}

void Context::check_global_options(bool output_to_file) const {
    check_db_option();
    check_output_options(output_to_file);
}

void Context::check_db_option() const {
    // Other users can read a command line (ps, /proc): a password in --db is refused before
    // anything runs, and never echoed.
    refuse_password_in_uri("--db", options.db);
}

void refuse_password_in_uri(std::string_view what, const std::string& value) {
    if (is_server_store_uri(value) && server_uri_has_password(value)) {
        throw UsageError(
            fmt::format("{}: the URI holds a password, which other users of this host can read on the command line",
                        what),
            "keep the password in ~/.pgpass or $PGPASSFILE, or name a libpq service: 'postgresql:///?service=NAME'");
    }
}

void Context::check_output_options(bool output_to_file) const {
    csv_delimiter();
    columns();
    const Format f = format();
    if (!options.delimiter.empty() && f != Format::csv) {
        throw UsageError("--delimiter applies to CSV output only", "add --format csv");
    }
    if (f == Format::xlsx && !output_to_file && stdout_is_terminal()) {
        throw UsageError("--format xlsx writes an Excel workbook, which a terminal cannot show",
                         "add --output FILE.xlsx (reports) or redirect stdout: '> FILE.xlsx'");
    }
}

Format Context::format() const {
    std::string f = options.format;
    if (f.empty()) {
        if (const char* env = std::getenv("MCIDCTL_FORMAT"); env && *env) {
            f = env;
        } else {
            f = config_file_value("format").value_or("table");
        }
    }
    if (f == "table") return Format::table;
    if (f == "json") return Format::json;
    if (f == "jsonl") return Format::jsonl;
    if (f == "csv") return Format::csv;
    if (f == "xlsx")
        return Format::xlsx;
    throw UsageError(fmt::format("--format: '{}' is not one of table, json, jsonl, csv, xlsx", f));
}

std::string Context::db_path() const {
    if (!options.db.empty()) {
        return options.db;
    }
    if (const char* env = std::getenv("MCIDCTL_DB"); env && *env) {
        return env;
    }
    if (auto v = config_file_value("db"); v && !v->empty()) {
        return *v;
    }
    return xdg_dir("XDG_DATA_HOME", ".local/share") + "/mcidctl/mcidctl.db";
}

void Context::audit_refusal(const std::string& reason) {
    if (!m_actor || !m_store) {
        return;
    }
    try {
        AuditLog(*m_store, m_clock).record_denied(*m_actor, command_path.empty() ? "command" : command_path, reason);
    } catch (...) {  // the refusal is what the user must see; a failed audit write must not hide it
    }
}

void Context::housekeeping() {
    if (!m_store) {
        return;
    }
    try {
        if (const std::size_t n = Retention(*m_store, m_clock).erase_due()) {
            debug(fmt::format("erased the personal data of {} departed user{}", n, n == 1 ? "" : "s"));
        }
    } catch (...) {  // busy or read-only: the next command does it
    }
}

Store& Context::store(OpenMode mode) {
    if (!m_store) {
        const std::string path = db_path();
        if (is_server_store_uri(path)) {
            // Never opened (or created) as a file of that name; messages name it without its
            // password or options (store.path()).
            m_store = open_pg_store(path, mode);
            debug("store: " + m_store->path());
            return *m_store;
        }
        debug("store: " + path);
        m_store = open_sqlite_store(path, mode);
    }
    return *m_store;
}

std::string Context::session_path() const {
    if (const char* env = std::getenv("MCIDCTL_SESSION"); env && *env) {
        return env;
    }
    return xdg_dir("XDG_STATE_HOME", ".local/state") + "/mcidctl/session";
}

std::string Context::token() const {
    if (const char* env = std::getenv("MCIDCTL_TOKEN"); env && *env) {
        return env;
    }
    const std::string path = session_path();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        std::cerr << fmt::format("mcidctl: warning: session file {} can be read by other users (mode {:o}); run "
                                 "'chmod 600 {}' or sign in again\n",
                                 printable(path), st.st_mode & 0777, printable(path));
    }
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
    }
    return token;
}

bool Context::token_from_environment() const {
    const char* env = std::getenv("MCIDCTL_TOKEN");
    return env && *env;
}

Actor Context::actor() {
    Store& s = store();  // a missing or unusable store is reported before the session
    const std::string t = token();
    if (t.empty()) {
        throw AuthError("not signed in", "run 'mcidctl login EMAIL'");
    }
    m_actor = Identity(s, clock()).authenticate(t);
    return *m_actor;
}

void Context::info(const std::string& line) const {
    if (!options.quiet) {
        std::cerr << line << '\n';
    }
}

void Context::debug(const std::string& line) const {
    if (options.verbose) {
        std::cerr << "mcidctl: " << line << '\n';
    }
}

std::ostream& Context::out() const { return std::cout; }
bool Context::stdout_is_terminal() const { return ::isatty(STDOUT_FILENO) == 1; }
bool Context::stderr_is_terminal() const { return ::isatty(STDERR_FILENO) == 1; }
bool Context::stdin_is_terminal() const { return ::isatty(STDIN_FILENO) == 1; }

bool Context::color() const {
    const char* no_color = std::getenv("NO_COLOR");
    return stdout_is_terminal() && !(no_color && *no_color);
}

int Context::terminal_width() const {
    if (!stdout_is_terminal()) {
        return 0;
    }
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    return 80;
}

}  // namespace mcid::cli
