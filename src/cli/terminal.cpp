#include "cli/terminal.hpp"

#include <mcid/csv.hpp>
#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/store.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <termios.h>
#include <unistd.h>

namespace mcid::cli {
namespace {

std::atomic<bool> g_deferred{false};
std::atomic<bool> g_interrupted{false};
termios g_saved_termios{};
std::atomic<bool> g_echo_off{false};

void on_sigint(int) {
    if (g_echo_off.load()) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
    }
    if (g_deferred.load()) {
        g_interrupted.store(true);
        return;
    }
    // A server store's running statement is cancelled first, so that its transaction ends now
    // rather than when the statement would have finished; the closed connection rolls it back.
    cancel_server_statements();
    static const char k_message[] = "\nmcidctl: error: interrupted; nothing was changed\n";
    (void)!::write(STDERR_FILENO, k_message, sizeof k_message - 1);
    ::_exit(130);  // an open SQLite transaction is rolled back by the journal on next open
}

std::string read_line_no_echo(std::string_view prompt) {
    std::cerr << prompt << std::flush;
    termios t{};
    const bool have_tty = ::tcgetattr(STDIN_FILENO, &t) == 0;
    if (have_tty) {
        g_saved_termios = t;
        t.c_lflag &= static_cast<tcflag_t>(~ECHO);
        g_echo_off.store(true);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    std::string line;
    std::getline(std::cin, line);
    if (have_tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
        g_echo_off.store(false);
    }
    std::cerr << '\n';
    return line;
}

// A new password on a terminal: checked against the policy as soon as it is typed, before it is
// repeated, and asked again (three tries in all) when it is too short or the two differ.
std::string read_new_password(std::string_view prompt) {
    constexpr int k_tries = 3;
    for (int attempt = 1;; ++attempt) {
        try {
            const std::string password = read_line_no_echo(std::string(prompt) + ": ");
            if (password.empty()) {
                throw UsageError("password: must not be empty");
            }
            check_new_password(password);
            if (read_line_no_echo("Repeat the password: ") != password) {
                throw UsageError("the passwords do not match");
            }
            return password;
        } catch (const UsageError& e) {
            if (attempt == k_tries) {
                throw;
            }
            std::cerr << "mcidctl: " << e.what() << "; try again (" << (k_tries - attempt) << " "
                      << (k_tries - attempt == 1 ? "try" : "tries") << " left)\n";
        }
    }
}

}  // namespace

std::string read_password(const Context& ctx, bool from_stdin, PasswordKind kind, std::string_view prompt) {
    std::string password;
    if (from_stdin) {
        if (!std::getline(std::cin, password) && password.empty()) {
            throw UsageError("--password-stdin: no password on standard input");
        }
        if (!password.empty() && password.back() == '\r') {
            password.pop_back();
        }
    } else if (ctx.stdin_is_terminal()) {
        if (kind == PasswordKind::existing) {
            password = read_line_no_echo(std::string(prompt) + ": ");
        } else {
            password = read_new_password(prompt);
        }
    } else {
        throw UsageError("no password: use --password-stdin or run on a terminal",
                         "printf '%s\\n' \"$PASSWORD\" | mcidctl ... --password-stdin");
    }
    if (password.empty()) {
        throw UsageError("password: must not be empty");
    }
    if (kind == PasswordKind::new_password) {
        check_new_password(password);  // from any source, before the command goes on
    }
    return password;
}

std::string read_secret(std::string_view prompt) {
    if (::isatty(STDIN_FILENO) != 1) {
        throw UsageError(fmt::format("{}: not on a terminal; pass it as an option", prompt));
    }
    return read_line_no_echo(std::string(prompt) + ": ");
}

bool confirm(std::string_view question) {
    std::cerr << question << " [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) {
        return false;
    }
    // "y" or "yes" in any case, as the man page says; "yep", "yeah" or a stray "Y..." are no.
    std::string a(trim_blanks(answer));
    std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return a == "y" || a == "yes";
}

void install_interrupt_handler() {
    struct sigaction sa{};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    // Past RLIMIT_FSIZE a write must fail (SQLite reports a full disk, exit 9), not kill us.
    ::signal(SIGXFSZ, SIG_IGN);
}

void defer_interrupts() { g_deferred.store(true); }
bool interrupted() { return g_interrupted.load(); }

}  // namespace mcid::cli
