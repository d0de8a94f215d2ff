// user invite | accept | resend | update-email | rename | set-role | list | show | restore | import
#include "cli/app.hpp"
#include "cli/input.hpp"
#include "cli/output.hpp"
#include "cli/terminal.hpp"

#include <mcid/directory.hpp>
#include <mcid/error.hpp>
#include <mcid/importer.hpp>

#include <fmt/format.h>

namespace mcid::cli {

Json invitation_json(const Invitation& inv);
void print_invitation(const Context& ctx, const Invitation& inv);

namespace {

std::optional<MpnId> org_option(const std::string& text) {
    return text.empty() ? std::nullopt : std::optional(MpnId::parse(text, "--org"));
}

Json user_json(const UserView& v, Instant now) {
    const User& u = v.user;
    const auto date = [](const std::optional<Instant>& t) { return t ? Json(Date::of(*t).str()) : Json(); };
    Json j{{"email", u.email},
           {"name", u.name},
           {"role", std::string(to_string(u.role))},
           {"status", std::string(to_string(u.status))},
           {"mpn_id", v.mpn_id.empty() ? Json() : Json(v.mpn_id)},
           {"invited_on", Date::of(u.invited_at).str()},
           {"age_days", u.status == UserStatus::invited ? Json((now - u.invited_at) / 86400) : Json()},
           {"expires_on", u.status == UserStatus::invited ? date(u.invite_expires_at) : Json()},
           {"accepted_on", date(u.accepted_at)},
           {"deleted_on", date(u.deleted_at)}};
    return j;
}

const std::vector<std::string_view> k_user_list_columns = {"email", "name", "role", "status", "mpn_id",
                                                           "invited_on", "age_days", "expires_on"};

}  // namespace

void register_user(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("user", "Invite, list and manage the users of an organization");
    group->require_subcommand(1);
    {
        struct Options {
            std::string email, name, role = "user", org;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("invite", "Invite a user by work email; prints the one-time code");
        cmd->add_option("email", o->email, "Work email")->required();
        cmd->add_option("--name", o->name, "Display name")->required();
        cmd->add_option("--role", o->role, "user (default), partner-admin or global-admin");
        cmd->add_option("--org", o->org, "MPN ID (the operator names the organization)");
        examples(cmd, {"mcidctl user invite alice@contoso.com --name 'Alice Smith'",
                       "mcidctl user invite pat@contoso.com --name Pat --role partner-admin --format json"});
        cmd->callback([&ctx, o] {
            InviteRequest r{org_option(o->org), Email::parse(o->email), parse_text(o->name, "--name"),
                            parse_role(o->role)};
            const Actor actor = ctx.actor();
            print_invitation(ctx, Directory(ctx.store(), ctx.clock()).invite(actor, r));
        });
    }
    {
        struct Options {
            std::string email, code;
            bool password_stdin = false;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("accept", "Accept an invitation and choose a password (no sign-in needed)");
        cmd->add_option("email", o->email, "The invited email")->required();
        cmd->add_option("--code", o->code, "The invitation code (asked for without echo on a terminal when left out)");
        cmd->add_flag("--password-stdin", o->password_stdin, "Read the new password from the first line of stdin");
        examples(cmd, {"mcidctl user accept alice@contoso.com --code ABCD-EFGH-JKMN-PQRS",
                       "printf '%s\\n' \"$PW\" | mcidctl user accept alice@contoso.com --code ABCD-EFGH-JKMN-PQRS --password-stdin"});
        cmd->callback([&ctx, o] {
            const Email email = Email::parse(o->email);
            if (o->code.empty() && !ctx.stdin_is_terminal()) {
                throw UsageError("--code: the invitation code is needed (or run on a terminal to be asked for it)");
            }
            // On a terminal without --code, the code is asked for without echo: then it is never
            // in the process's arguments, where other local users could read it.
            const InvitationCode code =
                InvitationCode::parse(o->code.empty() ? read_secret("Invitation code") : o->code, "--code");
            Directory directory(ctx.store(), ctx.clock());
            directory.check_invitation(email, code);  // before asking for a password
            const std::string pw = read_password(ctx, o->password_stdin, PasswordKind::new_password, "New password");
            directory.accept(email, code, pw);
            ctx.info(fmt::format("welcome: {} is active; sign in with 'mcidctl login {}'", email.value, email.value));
        });
    }
    {
        auto email = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("resend", "Issue a new invitation code (the old one stops working)");
        examples(cmd, {"mcidctl user resend alice@contoso.com", "mcidctl user resend alice@contoso.com --format json"});
        cmd->add_option("email", *email, "The invited email")->required();
        cmd->callback([&ctx, email] {
            const Email e = Email::parse(*email);
            const Actor actor = ctx.actor();
            print_invitation(ctx, Directory(ctx.store(), ctx.clock()).resend(actor, e));
        });
    }
    {
        auto from = std::make_shared<std::string>();
        auto to = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("update-email", "Correct the email of a pending invitation");
        cmd->add_option("old", *from, "Current email")->required();
        cmd->add_option("new", *to, "Corrected email")->required();
        examples(cmd, {"mcidctl user update-email alice@contso.com alice@contoso.com",
                       "mcidctl user update-email ALICE@contso.com alice@contoso.com --format json"});
        cmd->callback([&ctx, from, to] {
            const Email a = Email::parse(*from, "OLD");
            const Email b = Email::parse(*to, "NEW");
            const Actor actor = ctx.actor();
            Directory(ctx.store(), ctx.clock()).update_email(actor, a, b);
            ctx.info(fmt::format("invitation moved from {} to {}; run 'mcidctl user resend {}' for a new code",
                                 a.value, b.value, b.value));
        });
    }
    {
        auto email = std::make_shared<std::string>();
        auto name = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("rename", "Change a user's display name (Global Admin)");
        cmd->add_option("email", *email, "The user's email")->required();
        cmd->add_option("name", *name, "The new name (quote it: 'Ana Silva')")->required();
        examples(cmd, {"mcidctl user rename ga@contoso.com 'Gita Amin'",
                       "mcidctl user rename ana@contoso.com 'Ana Silva Lind'"});
        cmd->callback([&ctx, email, name] {
            const Email e = Email::parse(*email);
            const std::string n = parse_text(*name, "NAME");
            const Actor actor = ctx.actor();
            Directory(ctx.store(), ctx.clock()).rename(actor, e, n);
            ctx.info(fmt::format("{} is now named '{}'", e.value, n));
        });
    }
    {
        auto email = std::make_shared<std::string>();
        auto role = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("set-role", "Change a user's role (Global Admin)");
        cmd->add_option("email", *email, "The user's email")->required();
        cmd->add_option("role", *role, "user, partner-admin or global-admin")->required();
        examples(cmd, {"mcidctl user set-role pat@contoso.com partner-admin", "mcidctl user set-role ga2@contoso.com global-admin"});
        cmd->callback([&ctx, email, role] {
            const Email e = Email::parse(*email);
            const Role r = parse_role(*role, "ROLE");
            const Actor actor = ctx.actor();
            Directory(ctx.store(), ctx.clock()).set_role(actor, e, r);
            ctx.info(fmt::format("{} is now {}", e.value, to_string(r)));
        });
    }
    {
        struct Options {
            std::string status, role, org;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("list", "List users (pending invitations show their age)");
        cmd->add_option("--status", o->status, "invited, active or deleted");
        cmd->add_option("--role", o->role, "user, partner-admin or global-admin");
        cmd->add_option("--org", o->org, "MPN ID (operator; default all organizations)");
        examples(cmd, {"mcidctl user list --status invited", "mcidctl user list --role global-admin --format csv"});
        cmd->callback([&ctx, o] {
            UserFilter f;
            if (!o->status.empty()) f.status = parse_status(o->status);
            if (!o->role.empty()) f.role = parse_role(o->role);
            const auto org = org_option(o->org);
            const Actor actor = ctx.actor();
            const Instant now = ctx.clock().now();
            // Streamed row by row: memory stays flat at a million users (a table sizes its
            // columns from the first rows only).
            auto writer = make_writer(ctx.out(), writer_options(ctx));
            writer->begin(k_user_list_columns);
            std::size_t rows = 0;
            Directory(ctx.store(), ctx.clock()).list_users(actor, org, f, [&](const UserView& v) {
                const User& u = v.user;
                const bool invited = u.status == UserStatus::invited;
                const std::string invited_on = Date::of(u.invited_at).str();
                const std::string expires_on =
                    invited && u.invite_expires_at ? Date::of(*u.invite_expires_at).str() : std::string();
                const std::array<Cell, 8> cells = {
                    Cell::of(u.email), Cell::of(u.name), Cell::of(to_string(u.role)), Cell::of(to_string(u.status)),
                    Cell::maybe(v.mpn_id), Cell::of(invited_on),
                    invited ? Cell::of((now - u.invited_at) / 86400) : Cell::none(), Cell::maybe(expires_on)};
                writer->row(cells);
                ++rows;
            });
            writer->end();
            if (rows == 0 && ctx.format() == Format::table) {
                ctx.info("no users match");
            }
        });
    }
    {
        auto email = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("show", "Show one user");
        examples(cmd, {"mcidctl user show alice@contoso.com", "mcidctl user show alice@contoso.com --format json"});
        cmd->add_option("email", *email, "The user's email")->required();
        cmd->callback([&ctx, email] {
            const Email e = Email::parse(*email);
            const Actor actor = ctx.actor();
            print_object(ctx, user_json(Directory(ctx.store(), ctx.clock()).show_user(actor, e), ctx.clock().now()));
        });
    }
    {
        auto email = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("restore", "Reactivate a purged account within retention.restore");
        examples(cmd, {"mcidctl user restore alice@contoso.com", "mcidctl user restore alice@contoso.com -q"});
        cmd->add_option("email", *email, "The purged user's email")->required();
        cmd->callback([&ctx, email] {
            const Email e = Email::parse(*email);
            const Actor actor = ctx.actor();
            Directory(ctx.store(), ctx.clock()).restore(actor, e);
            ctx.info(fmt::format("{} restored; links are not restored: the user links again", e.value));
        });
    }
    {
        struct Options {
            std::string file, org;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("import", "Invite many users from a CSV (email,name,role); prints the codes");
        cmd->add_option("file", o->file, "CSV file, or - for stdin")->required();
        cmd->add_option("--org", o->org, "MPN ID (operator)");
        examples(cmd, {"mcidctl user import new-hires.csv --format csv > codes.csv",
                       "mcidctl user import - --org 1234567 --format json < users.csv   # the operator"});
        cmd->callback([&ctx, o] {
            const auto org = org_option(o->org);
            check_columns(ctx, k_invitation_columns);  // the codes are printed after the commit
            const Actor actor = ctx.actor();
            InputFile input(o->file);
            auto writer = make_writer(ctx.out(), writer_options(ctx));
            Importer importer(ctx.store(), ctx.clock());
            const ImportSummary s = importer.import_users(actor, org, input.stream(), *writer, progress_printer(ctx));
            ctx.info(fmt::format("invited {} users", s.inserted));
        });
    }
}

}  // namespace mcid::cli
