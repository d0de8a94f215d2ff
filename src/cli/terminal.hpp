#pragma once
// Talking to a person at a terminal: password prompts without echo, yes/no confirmations, and
// Ctrl-C handling that restores the terminal and rolls back the write in progress.
#include "cli/context.hpp"

#include <atomic>
#include <string>
#include <string_view>

namespace mcid::cli {

enum class PasswordKind { existing, new_password };

// The first line of stdin with --password-stdin; else a no-echo prompt on a terminal (asked
// twice for a new password); else UsageError saying how to pass one. A new password meets the
// policy (check_new_password) whatever its source.
std::string read_password(const Context& ctx, bool from_stdin, PasswordKind kind, std::string_view prompt);
// A no-echo prompt on the terminal (UsageError when stdin is not one).
std::string read_secret(std::string_view prompt);
// Asks a yes/no question on the terminal; false unless the answer starts with y.
bool confirm(std::string_view question);

// Ctrl-C: exits with 130 at once, unless a batch has called defer_interrupts(), in which case
// interrupted() turns true and the batch throws Interrupted at its next checkpoint.
void install_interrupt_handler();
void defer_interrupts();
bool interrupted();

}  // namespace mcid::cli
