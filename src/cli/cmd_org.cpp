// org enroll | list | show
#include "cli/app.hpp"
#include "cli/output.hpp"

#include <mcid/directory.hpp>

#include <fmt/format.h>

namespace mcid::cli {

Json invitation_json(const Invitation& inv) {
    return Json{{"email", inv.email}, {"code", inv.code}, {"expires_on", Date::of(inv.expires_at).str()}};
}

void print_invitation(const Context& ctx, const Invitation& inv) {
    print_object(ctx, invitation_json(inv));
    ctx.info(fmt::format("the code is shown only now: give it to {}, who runs 'mcidctl user accept {} --code CODE'",
                         inv.email, inv.email));
}

namespace {

Json org_json(const Org& org) {
    return Json{{"mpn_id", org.mpn_id}, {"name", org.name}, {"enrolled_on", Date::of(org.created_at).str()}};
}

}  // namespace

void register_org(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("org", "Enroll and view partner organizations (MPN memberships)");
    group->require_subcommand(1);
    {
        struct Options {
            std::string mpn_id, name, admin, admin_name;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = group->add_subcommand("enroll", "Enroll an organization and invite its first Global Admin (operator)");
        cmd->add_option("--mpn-id", o->mpn_id, "MPN ID (6 to 10 digits)")->required();
        cmd->add_option("--name", o->name, "Organization name")->required();
        cmd->add_option("--admin", o->admin, "Email of the first Global Admin")->required();
        auto* admin_name_option = cmd->add_option(
            "--admin-name", o->admin_name, "The first Global Admin's name (default: the part of the email before '@')");
        examples(cmd,
                 {"mcidctl org enroll --mpn-id 1234567 --name Contoso --admin ga@contoso.com --admin-name 'Gita Amin'",
                  "mcidctl org enroll --mpn-id 1234567 --name Contoso --admin ga@contoso.com --format json"});
        cmd->callback([&ctx, o, admin_name_option] {
            const MpnId mpn = MpnId::parse(o->mpn_id);
            const std::string name = parse_text(o->name, "--name");
            const Email admin = Email::parse(o->admin, "--admin");
            const std::optional<std::string> admin_name =
                admin_name_option->count() == 0 ? std::nullopt
                                                : std::optional(parse_text(o->admin_name, "--admin-name"));
            const Actor actor = ctx.actor();
            print_invitation(ctx, Directory(ctx.store(), ctx.clock()).enroll_org(actor, mpn, name, admin, admin_name));
        });
    }
    {
        auto* cmd = group->add_subcommand("list", "List organizations (the operator sees all, others their own)");
        examples(cmd, {"mcidctl org list", "mcidctl org list --format json | jq -r '.[].mpn_id'"});
        cmd->callback([&ctx] {
            const Actor actor = ctx.actor();
            std::vector<Json> rows;
            for (const auto& org : Directory(ctx.store(), ctx.clock()).list_orgs(actor)) {
                rows.push_back(org_json(org));
            }
            print_rows(ctx, {"mpn_id", "name", "enrolled_on"}, rows);
        });
    }
    {
        auto id = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("show", "Show one organization");
        cmd->add_option("id", *id, "MPN ID")->required();
        examples(cmd, {"mcidctl org show 1234567", "mcidctl org show 1234567 --format json"});
        cmd->callback([&ctx, id] {
            const MpnId mpn = MpnId::parse(*id, "ID");
            const Actor actor = ctx.actor();
            const OrgSummary s = Directory(ctx.store(), ctx.clock()).show_org(actor, mpn);
            Json j = org_json(s.org);
            j["users"] = s.users;
            print_object(ctx, j);
        });
    }
}

}  // namespace mcid::cli
