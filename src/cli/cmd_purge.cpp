// purge-user: remove departed users, one at a time or in batches from a file or stdin.
#include "cli/app.hpp"
#include "cli/input.hpp"
#include "cli/output.hpp"
#include "cli/terminal.hpp"

#include <mcid/error.hpp>
#include <mcid/offboarding.hpp>

#include <fmt/format.h>

namespace mcid::cli {
namespace {

// "purged 3, not found 1"; before anything happened, "would purge 3, not found 1".
std::string summary_line(const PurgeReport& r, bool would = false) {
    std::string out;
    const auto add = [&](std::size_t n, const char* what) {
        if (n) out += (out.empty() ? "" : ", ") + fmt::format("{} {}", what, grouped(n));
    };
    add(r.purged, would ? "would purge" : "purged");
    add(r.already_deleted, "already deleted");
    add(r.not_found, "not found");
    add(r.denied, "denied");
    add(r.invalid, "invalid");
    return out.empty() ? "no targets" : out;
}

struct Options {
    std::vector<std::string> emails;
    std::vector<std::string> mcids;
    std::string from;
    bool dry_run = false, yes = false, atomic = false;
};

}  // namespace

void register_purge(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("purge-user", "Remove departed users: delete accounts and end their links");
    cmd->add_option("email", o->emails, "Emails of the users to purge");
    cmd->add_option("--mcid", o->mcids, "MCIDs still linked to your organization to remove")->expected(1, -1);
    cmd->add_option("--from", o->from, "CSV with an email or mcid column, or one email per line; - for stdin");
    cmd->add_flag("--dry-run", o->dry_run, "Show what would happen; change nothing");
    cmd->add_flag("-y,--yes", o->yes, "Do not ask for confirmation (needed outside a terminal)");
    cmd->add_flag("--atomic", o->atomic, "Change nothing unless every target can be purged");
    examples(cmd, {"mcidctl purge-user alice@contoso.com",
                   "mcidctl purge-user --from departed.csv --dry-run",
                   "mcidctl purge-user --from - --yes --format csv < hr-export.csv > results.csv",
                   "mcidctl purge-user --mcid 12345678 --yes"});
    cmd->callback([&ctx, o] {
        std::vector<PurgeTarget> targets;
        for (const auto& e : o->emails) targets.push_back({PurgeTarget::Kind::email, e});
        for (const auto& m : o->mcids) targets.push_back({PurgeTarget::Kind::mcid, m});
        if (!o->from.empty()) {
            InputFile input(o->from);
            auto more = read_purge_targets(input.stream());
            targets.insert(targets.end(), more.begin(), more.end());
        }
        if (targets.empty() && o->from.empty()) {
            throw UsageError("nothing to purge: name EMAIL..., --mcid MCID or --from FILE");
        }
        const bool can_ask = ctx.stdin_is_terminal() && o->from != "-";
        if (!o->yes && !o->dry_run && !can_ask) {
            throw UsageError("purge-user needs --yes when not run on a terminal",
                             "preview with --dry-run, then run again with --yes");
        }
        static constexpr std::array<std::string_view, 3> k_columns = {"target", "outcome", "detail"};
        check_columns(ctx, k_columns);  // the results are printed after the commit
        const Actor actor = ctx.actor();
        Offboarding offboarding(ctx.store(), ctx.clock());
        const DryRun dry = o->dry_run ? DryRun::yes : DryRun::no;
        const Atomic atomic = o->atomic ? Atomic::yes : Atomic::no;
        if (!o->yes && !o->dry_run) {
            const PurgeReport preview = offboarding.purge(actor, targets, DryRun::yes, atomic, {});
            if (preview.purged == 0) {
                ctx.info("nothing to purge: " + summary_line(preview));
                return;
            }
            // What would happen, before anything does: the first targets, then the question.
            constexpr std::size_t k_shown = 5;
            std::string list;
            std::size_t shown = 0;
            for (const auto& r : preview.rows) {
                if (r.outcome == "purged" && shown < k_shown) {
                    list += fmt::format("  {}: {}\n", printable(r.target), r.detail);
                    ++shown;
                }
            }
            if (preview.purged > shown) {
                list += fmt::format("  ... and {} more\n", grouped(preview.purged - shown));
            }
            std::cerr << "This would purge:\n" << list << std::flush;
            if (!confirm(fmt::format("Purge {} account(s) or link(s) ({})?", grouped(preview.purged),
                                     summary_line(preview, true)))) {
                ctx.info("cancelled; nothing was changed");
                return;
            }
        }
        const PurgeReport report = offboarding.purge(actor, targets, dry, atomic, progress_printer(ctx));
        auto writer = make_writer(ctx.out(), writer_options(ctx));
        writer->begin(k_columns);
        for (const auto& r : report.rows) {
            const std::array<Cell, 3> cells = {Cell::of(r.target), Cell::of(r.outcome), Cell::of(r.detail)};
            writer->row(cells);
        }
        writer->end();
        if (!report.periods_error.empty()) {  // the batch stands; reports are right, only slower
            std::cerr << fmt::format(
                "mcidctl: warning: the batch is committed, but {}: reports count competency status from the "
                "credentials (slower) until the operator runs 'mcidctl db rebuild'\n",
                report.periods_error);
        }
        std::string line = summary_line(report);
        if (o->dry_run) {
            line = "dry run: nothing was changed; " + line;
        } else if (!report.applied) {
            line = "--atomic: nothing was changed because some targets could not be purged; " + line;
        } else {
            ctx.debug(fmt::format("batch id {} (audit list --action purge-user shows it)", report.batch));
        }
        if (!report.complete()) {
            std::cerr << line << '\n';
            ctx.exit_code = static_cast<int>(ExitCode::partial);
        } else {
            ctx.info(line);
        }
    });
}

}  // namespace mcid::cli
