#include "cli/app.hpp"

#include "cli/terminal.hpp"

#include <mcid/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace mcid::cli {
namespace {

// Whether the command being run was given --output FILE (the deepest parsed subcommand's).
bool output_file_given(const CLI::App& app) {
    const CLI::App* at = &app;
    for (;;) {
        const auto parsed = at->get_subcommands();
        if (parsed.empty()) {
            break;
        }
        at = parsed.front();
    }
    const CLI::Option* output = at->get_option_no_throw("--output");
    return output != nullptr && output->count() > 0;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// The command name `word` most likely meant: the shortest one it begins (`purge` and `purg`
// mean `purge-user`), else the closest by edit distance if that is close enough to be a typo.
std::string closest_command(const CLI::App& app, std::string_view word) {
    std::string best;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        const std::string& name = sub->get_name();
        if (word.size() >= 2 && name.size() > word.size() && name.rfind(word, 0) == 0 &&
            (best.empty() || name.size() < best.size())) {
            best = name;
        }
    }
    if (!best.empty()) {
        return best;
    }
    std::size_t best_distance = 3;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        const std::size_t d = edit_distance(word, sub->get_name());
        if (d < best_distance || (d == best_distance && best.empty() && sub->get_name().rfind(word, 0) == 0)) {
            best_distance = d;
            best = sub->get_name();
        }
    }
    return best;
}

// The long option of `command` (or a global one) closest to `word` ("--logn" -> "--login").
std::string closest_option(const CLI::App& app, const CLI::App& command, std::string_view word) {
    const std::string_view bare = word.substr(0, word.find('='));
    std::string best;
    std::size_t best_distance = 3;
    for (const CLI::App* owner : {&command, &app}) {
        for (const CLI::Option* option : owner->get_options()) {
            for (const auto& name : option->get_lnames()) {
                const std::string candidate = "--" + name;
                const std::size_t d = edit_distance(bare, candidate);
                if (d < best_distance || (bare.size() > 3 && candidate.rfind(bare, 0) == 0 && best.empty())) {
                    best_distance = std::min(d, best_distance);
                    best = candidate;
                }
            }
        }
    }
    return best;
}

void print_error(const std::string& message, const std::string& hint) {
    std::string text = "mcidctl: error: " + message + "\n";
    if (!hint.empty()) {
        text += "hint: " + hint + "\n";
    }
    std::cerr << text << std::flush;
}

void register_help(CLI::App& app) {
    auto* help = app.add_subcommand("help", "Show help for a command: mcidctl help user invite");
    auto words = std::make_shared<std::vector<std::string>>();
    help->add_option("command", *words, "the command (and subcommand)");
    examples(help, {"mcidctl help", "mcidctl help user invite", "mcidctl help report skills"});
    help->callback([&app, words] {
        const CLI::App* target = &app;
        for (const auto& w : *words) {
            const CLI::App* next = nullptr;
            for (const auto* sub : target->get_subcommands([](const CLI::App*) { return true; })) {
                if (sub->get_name() == w) {
                    next = sub;
                }
            }
            if (!next) {
                const std::string guess = closest_command(*target, w);
                throw UsageError(fmt::format("unknown command '{}'", w),
                                 guess.empty() ? "run 'mcidctl --help' for the list of commands"
                                               : fmt::format("did you mean '{}'?", guess));
            }
            target = next;
        }
        std::string name = "mcidctl";  // the full path, as `COMMAND --help` shows it
        for (const auto& w : *words) {
            name += " " + w;
        }
        // The formatter, not App::help(): that would describe the selected `help` command itself.
        std::cout << target->get_formatter()->make_help(target, name, CLI::AppFormatMode::Normal);
    });
}

}  // namespace

void examples(CLI::App* command, std::initializer_list<const char*> lines) {
    std::string text = "\nExamples:\n";
    for (const char* line : lines) {
        text += "  ";
        text += line;
        text += '\n';
    }
    text +=
        "\nGlobal options (before or after the command): --db PATH, --format table|json|jsonl|csv|xlsx,\n"
        "--columns NAME[,NAME...], --delimiter ','|';'|tab, -q, -v. See 'mcidctl --help'.\n";
    command->footer(text);
}

void build_app(CLI::App& app, Context& ctx) {
    install_interrupt_handler();
    // Help in plain words: "--name VALUE (required)", not CLI11's "--name TEXT REQUIRED". Set
    // before the commands are added, which share this formatter.
    app.get_formatter()->label("TEXT", "VALUE");
    app.get_formatter()->label("REQUIRED", "(required)");
    app.set_version_flag("--version", std::string("mcidctl ") + MCID_VERSION);
    // Given twice, the last one wins (as in git and gh): a script can append --format json to a
    // command line that already has one.
    app.add_option("--db", ctx.options.db,
                   "Store file (default: $MCIDCTL_DB, else ${XDG_DATA_HOME:-~/.local/share}/mcidctl/mcidctl.db)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("--format", ctx.options.format, "Output format: table (default), json, jsonl, csv or xlsx")
        ->check(CLI::IsMember({"table", "json", "jsonl", "csv", "xlsx"}))
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("--columns", ctx.options.columns,
                   "Lists and reports: only these columns, in this order (NAME[,NAME...])")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("--delimiter", ctx.options.delimiter, "CSV field separator: ',' (default), ';' or tab")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    // Before any command runs, so a wrong combination changes nothing.
    app.parse_complete_callback([&ctx, &app] { ctx.check_global_options(output_file_given(app)); });
    app.add_flag("-q,--quiet", ctx.options.quiet, "Print only data and errors");
    app.add_flag("-v,--verbose", ctx.options.verbose, "Print more detail on stderr");
    app.require_subcommand(1);
    app.fallthrough();
    app.footer(
        "\nRun 'mcidctl help COMMAND' or 'mcidctl COMMAND --help' for a command's options and examples.\n"
        "Exit codes: 0 ok, 1 internal, 2 usage, 3 not found, 4 denied, 5 conflict, 6 association limit,\n"
        "7 authentication, 8 partial batch, 9 store unavailable, 130 interrupted.");

    register_identity(app, ctx);
    register_org(app, ctx);
    register_user(app, ctx);
    register_registry(app, ctx);
    register_policy(app, ctx);
    register_link(app, ctx);
    register_report(app, ctx);
    register_purge(app, ctx);
    register_audit(app, ctx);
    register_completion(app, ctx);
    register_help(app);
    // Name the command being run, for the audit row of a refusal.
    std::function<void(CLI::App*, const std::string&)> name_commands = [&](CLI::App* parent, const std::string& prefix) {
        for (auto* sub : parent->get_subcommands([](CLI::App*) { return true; })) {
            const std::string path = prefix.empty() ? sub->get_name() : prefix + "." + sub->get_name();
            sub->preparse_callback([&ctx, path](std::size_t) { ctx.command_path = path; });
            name_commands(sub, path);
        }
    };
    name_commands(&app, "");
}

int finish_output(Context& ctx) {
    std::cout.flush();
    const bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
    if (!failed) {
        return ctx.exit_code;
    }
    const std::string why = errno != 0 ? std::strerror(errno) : "write error";
    const std::string& command = ctx.command_path;
    if (command == "org.enroll" || command == "user.invite" || command == "user.resend" || command == "user.import") {
        throw OutputError(fmt::format("the invitation was created, but writing its code to the output failed ({})", why),
                          "run 'mcidctl user resend EMAIL' to issue a new code (the lost one stays unusable)");
    }
    throw OutputError(fmt::format("writing the output failed ({}); it is incomplete", why),
                      "check the disk or the file the output goes to, and run the command again");
}

int report_error(const CLI::App& app, Context& ctx, std::exception_ptr error) {
    error = translate_store_exception(error);
    try {
        std::rethrow_exception(error);
    } catch (const CLI::Success& e) {
        return const_cast<CLI::App&>(app).exit(e);
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        // The command that was being parsed: its own --help is where the answer is.
        const CLI::App* where = &app;
        std::string path = "mcidctl";
        for (auto chosen = app.get_subcommands(); !chosen.empty(); chosen = chosen.front()->get_subcommands()) {
            where = chosen.front();
            path += " " + where->get_name();
        }
        std::string hint = fmt::format("run '{} --help' for its usage and options", path);
        if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && message.find("required") != std::string::npos) {
            // CLI11's "--status: 1 required TEXT missing"
            message = fmt::format("{} needs a value", message.substr(0, message.find(':')));
        }
        if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
            // Words nobody took: an option the command does not have, or one argument too many.
            const auto extras = const_cast<CLI::App&>(app).remaining(true);
            const auto option = std::find_if(extras.begin(), extras.end(),
                                             [](const std::string& w) { return w.size() > 1 && w[0] == '-'; });
            if (option != extras.end()) {
                const std::string name = option->substr(0, option->find('='));
                message = fmt::format("unknown option '{}' for '{}'", name, path);
                const std::string guess = closest_option(app, *where, name);
                hint = guess.empty() ? fmt::format("run '{} --help' for its options", path)
                                     : fmt::format("did you mean '{}'? ('{} --help' lists its options)", guess, path);
            } else if (!extras.empty()) {
                message = fmt::format("unexpected argument '{}' for '{}'", extras.front(), path);
                hint = fmt::format("run '{} --help' for the arguments it takes (quote a value with spaces)", path);
            }
        }
        if (dynamic_cast<const CLI::ExtrasError*>(&e) || dynamic_cast<const CLI::RequiredError*>(&e)) {
            // An unknown word where a command was expected: name it and suggest the closest one.
            const auto subs = where->get_subcommands([](const CLI::App*) { return true; });
            if (dynamic_cast<const CLI::RequiredError*>(&e) && !subs.empty() &&
                message.find("subcommand") != std::string::npos) {
                std::string names;
                for (const auto* sub : subs) names += (names.empty() ? "" : ", ") + sub->get_name();
                message = fmt::format("'{}' needs a command: {}", path, names);
                hint = fmt::format("run '{} COMMAND --help' for one command's options", path);
            }
            for (const auto& word : const_cast<CLI::App&>(app).remaining(true)) {
                if (word.empty() || word[0] == '-') {
                    continue;
                }
                if (!where->get_subcommands([](const CLI::App*) { return true; }).empty()) {
                    message = fmt::format("unknown command '{}' for '{}'", word, path);
                    const std::string guess = closest_command(*where, word);
                    hint = guess.empty() ? fmt::format("run '{} --help' for the list of commands", path)
                                         : fmt::format("did you mean '{} {}'?", path, guess);
                    if (where == &app && (word == "version" || word == "--version")) {
                        hint = "did you mean 'mcidctl --version'?";
                    }
                }
                break;
            }
        }
        print_error(message, hint);
        return static_cast<int>(ExitCode::usage);
    } catch (const PermissionDenied& e) {
        ctx.audit_refusal(e.what());
        print_error(e.what(), e.hint());
        return static_cast<int>(e.code());
    } catch (const Error& e) {
        print_error(e.what(), e.hint());
        return static_cast<int>(e.code());
    } catch (const std::bad_alloc&) {
        print_error("out of memory", "");
    } catch (const std::exception& e) {
        print_error(fmt::format("internal error: {}", e.what()), "please report this with the command you ran");
    } catch (...) {
        print_error("internal error", "please report this with the command you ran");
    }
    return static_cast<int>(ExitCode::internal);
}

}  // namespace mcid::cli
