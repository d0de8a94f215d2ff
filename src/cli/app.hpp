#pragma once
// Building the command tree and the one error handler main() calls.
#include "cli/context.hpp"

#include <CLI/CLI.hpp>

#include <exception>

namespace mcid::cli {

// Registers the global options and every command group, in one explicit list.
void build_app(CLI::App& app, Context& ctx);
// After a command: flushes stdout and checks that everything written reached it (a full disk, a
// closed file); OutputError when not. Returns the command's exit code.
int finish_output(Context& ctx);
// Prints `mcidctl: error: ...` (and a hint) for any exception and returns the exit code.
int report_error(const CLI::App& app, Context& ctx, std::exception_ptr error);

// Command groups (src/cli/cmd_<group>.cpp).
void register_identity(CLI::App& app, Context& ctx);
void register_org(CLI::App& app, Context& ctx);
void register_user(CLI::App& app, Context& ctx);
void register_registry(CLI::App& app, Context& ctx);
void register_policy(CLI::App& app, Context& ctx);
void register_link(CLI::App& app, Context& ctx);
void register_report(CLI::App& app, Context& ctx);
void register_purge(CLI::App& app, Context& ctx);
void register_audit(CLI::App& app, Context& ctx);
void register_completion(CLI::App& app, Context& ctx);

// The fixed set of values an option or argument of a command takes, space-separated (empty when
// any value goes): for completion and the per-command man pages. The core checks the values
// with its own messages; this only describes them.
std::string_view fixed_values(std::string_view command_path, std::string_view option);
// Adds the worked examples shown at the end of a command's --help.
void examples(CLI::App* command, std::initializer_list<const char*> lines);

}  // namespace mcid::cli
