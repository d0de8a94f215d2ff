// link | unlink | associate: self-service only; there is deliberately no option naming a user.
#include "cli/app.hpp"
#include "cli/terminal.hpp"

#include <mcid/error.hpp>
#include <mcid/linking.hpp>

#include <fmt/format.h>

namespace mcid::cli {

void register_link(CLI::App& app, Context& ctx) {
    {
        struct Options {
            std::string login;
            bool use_university = false;
            bool password_stdin = false;
            bool replace = false;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = app.add_subcommand("link", "Link your certification profile (MCID) to your organization");
        auto* login = cmd->add_option("--login", o->login, "Your certification profile's sign-in name");
        auto* uni = cmd->add_flag("--use-university-account", o->use_university,
                                  "Use the sign-in name of your Partner University account");
        login->excludes(uni);
        cmd->add_flag("--password-stdin", o->password_stdin, "Read the profile's password from stdin");
        cmd->add_flag("--replace", o->replace, "Replace the MCID you have linked now");
        examples(cmd, {"mcidctl link --login alice@outlook.com",
                       "mcidctl link --use-university-account",
                       "mcidctl link --login alice.new@outlook.com --replace"});
        cmd->callback([&ctx, o] {
            if (o->login.empty() && !o->use_university) {
                throw UsageError("name the profile with --login LOGIN, or use --use-university-account");
            }
            ProfileChoice choice;
            if (!o->use_university) {
                choice.login = parse_text(o->login, "--login", 254);
            }
            const Actor actor = ctx.actor();
            Linking linking(ctx.store(), ctx.clock());
            if (actor.is_operator()) {
                linking.link(actor, choice, "", Replace::no);  // throws: the operator has no organization
            }
            const std::string pw = read_password(ctx, o->password_stdin, PasswordKind::existing, "Profile password");
            const LinkResult r = linking.link(actor, choice, pw, o->replace ? Replace::yes : Replace::no);
            switch (r.kind) {
                case LinkResult::Kind::already_linked:
                    ctx.info(fmt::format("MCID {} is already linked to you in {}", r.mcid, r.org_name));
                    break;
                case LinkResult::Kind::transferred:
                    ctx.info(fmt::format("moved MCID {} from {} to {}; the old link ended", r.mcid, *r.previous_org,
                                         r.org_name));
                    break;
                case LinkResult::Kind::replaced:
                    ctx.info(fmt::format("linked MCID {} to {} (replacing MCID {})", r.mcid, r.org_name,
                                         *r.replaced_mcid));
                    break;
                case LinkResult::Kind::linked:
                    ctx.info(fmt::format("linked MCID {} to {}", r.mcid, r.org_name));
                    break;
            }
        });
    }
    {
        auto university = std::make_shared<bool>(false);
        auto* cmd = app.add_subcommand("unlink", "Remove access: end your MCID link (or Partner University access)");
        cmd->add_flag("--university", *university, "End your Partner University access instead");
        examples(cmd, {"mcidctl unlink", "mcidctl unlink --university"});
        cmd->callback([&ctx, university] {
            const Actor actor = ctx.actor();
            Linking(ctx.store(), ctx.clock()).unlink(actor, *university ? AccountKind::university : AccountKind::profile);
            ctx.info(*university ? "Partner University access ended" : "MCID link ended");
        });
    }
    {
        struct Options {
            std::string login;
            bool password_stdin = false;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = app.add_subcommand("associate", "Get Partner University access with your Partner University account");
        cmd->add_option("--login", o->login, "Your Partner University sign-in name")->required();
        cmd->add_flag("--password-stdin", o->password_stdin, "Read the password from stdin");
        examples(cmd, {"mcidctl associate --login alice@outlook.com",
                       "printf '%s\\n' \"$PW\" | mcidctl associate --login alice@outlook.com --password-stdin"});
        cmd->callback([&ctx, o] {
            const std::string login = parse_text(o->login, "--login", 254);
            const Actor actor = ctx.actor();
            Linking linking(ctx.store(), ctx.clock());
            if (actor.is_operator()) {
                linking.associate(actor, login, "");  // throws: the operator has no organization
            }
            const std::string pw =
                read_password(ctx, o->password_stdin, PasswordKind::existing, "Partner University password");
            const AssociateResult r = linking.associate(actor, login, pw);
            if (r.already) {
                ctx.info(fmt::format("Partner University account {} is already associated with you", r.login));
            } else if (r.previous_org) {
                ctx.info(fmt::format("Partner University account {} moved to you from {}", r.login, *r.previous_org));
            } else {
                ctx.info(fmt::format("Partner University access granted with {}", r.login));
            }
        });
    }
}

}  // namespace mcid::cli
