// competency define | list; config get | set | list
#include "cli/app.hpp"
#include "cli/output.hpp"

#include <mcid/error.hpp>
#include <mcid/policy.hpp>
#include <mcid/registry.hpp>

#include <fmt/format.h>

namespace mcid::cli {

void register_policy(CLI::App& app, Context& ctx) {
    auto* competency = app.add_subcommand("competency", "Define and list competencies (operator)");
    competency->require_subcommand(1);
    {
        struct Options {
            std::string name, requires_codes, individuals;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = competency->add_subcommand("define", "Define (or redefine) a competency");
        cmd->add_option("name", o->name, "Competency name")->required();
        cmd->add_option("--requires", o->requires_codes, "Credential codes, comma-separated (any of them counts)")
            ->required();
        cmd->add_option("--individuals", o->individuals, "How many distinct individuals must hold one")->required();
        examples(cmd, {"mcidctl competency define 'Azure Infrastructure' --requires AZ-104,AZ-305 --individuals 2",
                       "mcidctl competency define Security --requires SC-100 --individuals 1   # redefines if it exists"});
        cmd->callback([&ctx, o] {
            Competency c;
            c.name = parse_text(o->name, "NAME");
            std::string_view rest = o->requires_codes;
            while (true) {
                const auto comma = rest.find(',');
                std::string_view code = rest.substr(0, comma);
                while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
                while (!code.empty() && code.back() == ' ') code.remove_suffix(1);
                c.codes.push_back(parse_code(code, "--requires"));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
            c.individuals = parse_count(o->individuals, "--individuals", 1000000);
            const Actor actor = ctx.actor();
            Registry(ctx.store(), ctx.clock()).define_competency(actor, c);
            ctx.info(fmt::format("defined competency '{}'", c.name));
        });
    }
    {
        auto* cmd = competency->add_subcommand("list", "List competencies");
        examples(cmd, {"mcidctl competency list", "mcidctl competency list --format json"});
        cmd->callback([&ctx] {
            ctx.actor();
            std::vector<Json> rows;
            for (const auto& c : Registry(ctx.store(), ctx.clock()).list_competencies()) {
                std::string codes;
                for (const auto& code : c.codes) codes += (codes.empty() ? "" : ";") + code;
                rows.push_back(Json{{"competency", c.name}, {"required_codes", codes},
                                    {"individuals_required", c.individuals}});
            }
            print_rows(ctx, {"competency", "required_codes", "individuals_required"}, rows);
        });
    }

    auto* config = app.add_subcommand("config", "Read and change policy settings");
    config->require_subcommand(1);
    {
        auto key = std::make_shared<std::string>();
        auto* cmd = config->add_subcommand("get", "Print one setting");
        examples(cmd, {"mcidctl config get association.limit", "mcidctl config get session.ttl --format json"});
        cmd->add_option("key", *key, "Setting name")->required();
        cmd->callback([&ctx, key] {
            ctx.actor();
            const std::string value = Registry(ctx.store(), ctx.clock()).config_get(*key);
            if (ctx.format() == Format::table) {
                ctx.out() << value << '\n';
            } else {
                print_object(ctx, Json{{"key", *key}, {"value", value}});
            }
        });
    }
    {
        auto key = std::make_shared<std::string>();
        auto value = std::make_shared<std::string>();
        auto* cmd = config->add_subcommand("set", "Change one setting (operator)");
        cmd->add_option("key", *key, "Setting name")->required();
        cmd->add_option("value", *value, "New value")->required();
        examples(cmd, {"mcidctl config set association.limit 3", "mcidctl config set session.ttl 8h"});
        cmd->callback([&ctx, key, value] {
            const std::string normalized = normalize_config_value(*key, *value);
            const Actor actor = ctx.actor();
            Registry(ctx.store(), ctx.clock()).config_set(actor, *key, *value);
            ctx.info(fmt::format("{} = {}", *key, normalized));
        });
    }
    {
        auto* cmd = config->add_subcommand("list", "List every setting with its value");
        examples(cmd, {"mcidctl config list", "mcidctl config list --format csv"});
        cmd->callback([&ctx] {
            ctx.actor();
            std::vector<Json> rows;
            const auto values = Registry(ctx.store(), ctx.clock()).config_list();
            for (std::size_t i = 0; i < values.size(); ++i) {
                rows.push_back(Json{{"key", values[i].first},
                                    {"value", values[i].second},
                                    {"default", std::string(config_keys()[i].default_value)},
                                    {"description", std::string(config_keys()[i].description)}});
            }
            print_rows(ctx, {"key", "value", "default", "description"}, rows);
        });
    }
}

}  // namespace mcid::cli
