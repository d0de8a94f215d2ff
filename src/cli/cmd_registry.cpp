// registry add-profile | add-credential | add-university-account | add-assessment | import | hash-password
#include "cli/app.hpp"
#include "cli/input.hpp"
#include "cli/terminal.hpp"

#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/importer.hpp>
#include <mcid/registry.hpp>

#include <fmt/format.h>

namespace mcid::cli {
namespace {

std::optional<Date> date_option(const std::string& text, std::string_view field) {
    return text.empty() ? std::nullopt : std::optional(Date::parse(text, field));
}

}  // namespace

void register_registry(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("registry", "Load certification and Partner University data (operator)");
    group->require_subcommand(1);
    {
        struct Options {
            std::string mcid, login, name;
            bool password_stdin = false;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("add-profile", "Add a certification profile (MCID) with its sign-in");
        cmd->add_option("--mcid", o->mcid, "MCID (6 to 12 digits)")->required();
        cmd->add_option("--login", o->login, "The profile's sign-in name")->required();
        cmd->add_option("--name", o->name, "The person's name")->required();
        cmd->add_flag("--password-stdin", o->password_stdin, "Read the profile's password from stdin");
        examples(cmd, {"mcidctl registry add-profile --mcid 12345678 --login alice@outlook.com --name 'Alice Smith'",
                       "printf '%s\\n' \"$PW\" | mcidctl registry add-profile --mcid 12345678 --login a@outlook.com --name A --password-stdin"});
        cmd->callback([&ctx, o] {
            const Mcid mcid = Mcid::parse(o->mcid);
            const std::string login = parse_text(o->login, "--login", 254);
            const std::string name = parse_text(o->name, "--name");
            const Actor actor = ctx.actor();
            require_operator(actor, "change the registry");
            const std::string pw = read_password(ctx, o->password_stdin, PasswordKind::new_password, "Profile password");
            Registry(ctx.store(), ctx.clock()).add_profile(actor, mcid, login, name, pw);
            ctx.info(fmt::format("added profile {} ({})", mcid.str(), login));
        });
    }
    {
        struct Options {
            std::string mcid, code, title, type, passed_on, expires_on;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("add-credential", "Add a certification or exam to a profile");
        cmd->add_option("--mcid", o->mcid, "MCID of the profile")->required();
        cmd->add_option("--code", o->code, "Credential code, like AZ-104")->required();
        cmd->add_option("--title", o->title, "Credential title")->required();
        cmd->add_option("--type", o->type, "certification or exam")->required();
        cmd->add_option("--passed-on", o->passed_on, "Date passed (YYYY-MM-DD)");
        cmd->add_option("--expires-on", o->expires_on, "Expiry date (YYYY-MM-DD)");
        examples(cmd, {"mcidctl registry add-credential --mcid 12345678 --code AZ-104 --title 'Azure Administrator' "
                       "--type certification --passed-on 2025-01-10 --expires-on 2026-01-10",
                       "mcidctl registry add-credential --mcid 12345678 --code AZ-900 --title Fundamentals --type exam"});
        cmd->callback([&ctx, o] {
            Credential c;
            c.mcid = Mcid::parse(o->mcid).value;
            c.code = parse_code(o->code);
            c.title = parse_text(o->title, "--title");
            c.type = parse_credential_type(o->type);
            c.passed_on = date_option(o->passed_on, "--passed-on");
            c.expires_on = date_option(o->expires_on, "--expires-on");
            const Actor actor = ctx.actor();
            Registry(ctx.store(), ctx.clock()).add_credential(actor, c);
            ctx.info(fmt::format("added {} to profile {}", c.code, c.mcid));
        });
    }
    {
        struct Options {
            std::string login, name;
            bool password_stdin = false;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("add-university-account", "Add a Partner University account");
        examples(cmd, {"mcidctl registry add-university-account --login alice@outlook.com --name 'Alice Smith'",
                       "printf '%s\\n' \"$PW\" | mcidctl registry add-university-account --login pat@example.org --name Pat --password-stdin"});
        cmd->add_option("--login", o->login, "The account's sign-in name")->required();
        cmd->add_option("--name", o->name, "The person's name")->required();
        cmd->add_flag("--password-stdin", o->password_stdin, "Read the account's password from stdin");
        cmd->callback([&ctx, o] {
            const std::string login = parse_text(o->login, "--login", 254);
            const std::string name = parse_text(o->name, "--name");
            const Actor actor = ctx.actor();
            require_operator(actor, "change the registry");
            const std::string pw =
                read_password(ctx, o->password_stdin, PasswordKind::new_password, "Partner University password");
            Registry(ctx.store(), ctx.clock()).add_university_account(actor, login, name, pw);
            ctx.info(fmt::format("added Partner University account {}", login));
        });
    }
    {
        struct Options {
            std::string login, title, code, passed_on;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("add-assessment", "Add a Partner University assessment to an account");
        examples(cmd, {"mcidctl registry add-assessment --login alice@outlook.com --title 'Azure Sales' --passed-on 2025-05-05",
                       "mcidctl registry add-assessment --login alice@outlook.com --title 'Azure Infra' --code PU-AZ-INFRA"});
        cmd->add_option("--login", o->login, "The Partner University sign-in name")->required();
        cmd->add_option("--title", o->title, "Assessment title")->required();
        cmd->add_option("--code", o->code, "Code, when it counts toward a competency");
        cmd->add_option("--passed-on", o->passed_on, "Date passed (YYYY-MM-DD)");
        cmd->callback([&ctx, o] {
            const std::string login = parse_text(o->login, "--login", 254);
            Assessment a;
            a.title = parse_text(o->title, "--title");
            a.code = o->code.empty() ? std::string() : parse_code(o->code);
            a.passed_on = date_option(o->passed_on, "--passed-on");
            const Actor actor = ctx.actor();
            Registry(ctx.store(), ctx.clock()).add_assessment(actor, login, a);
            ctx.info(fmt::format("added '{}' to {}", a.title, login));
        });
    }
    {
        struct Options {
            std::string file, kind;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("import", "Import a CSV feed of profiles, credentials, accounts or assessments");
        cmd->add_option("file", o->file, "CSV file with a header, or - for stdin")->required();
        cmd->add_option("--kind", o->kind, "profiles, credentials, university-accounts or assessments")->required();
        examples(cmd, {"mcidctl registry import profiles.csv --kind profiles",
                       "mcidctl registry import - --kind credentials < credentials.csv"});
        cmd->callback([&ctx, o] {
            const ImportKind kind = parse_import_kind(o->kind);
            const Actor actor = ctx.actor();
            InputFile input(o->file);
            const ImportSummary s = Importer(ctx.store(), ctx.clock())
                                        .import_registry(actor, kind, input.stream(), progress_printer(ctx));
            ctx.info(fmt::format("imported {} {} rows", s.rows, o->kind));
        });
    }
    {
        auto from_stdin = std::make_shared<bool>(false);
        auto* cmd = group->add_subcommand("hash-password", "Print an Argon2id hash for the password_hash import column");
        examples(cmd, {"mcidctl registry hash-password", "HASH=$(printf '%s\\n' \"$PW\" | mcidctl registry hash-password --password-stdin)"});
        cmd->add_flag("--password-stdin", *from_stdin, "Read the password from stdin");
        cmd->callback([&ctx, from_stdin] {
            require_operator(ctx.actor(), "use the registry");
            const std::string pw = read_password(ctx, *from_stdin, PasswordKind::new_password, "Password to hash");
            ctx.out() << make_password_hash(pw) << '\n';
        });
    }
}

}  // namespace mcid::cli
