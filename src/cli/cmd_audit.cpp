// audit list | verify; db check | backup | copy
#include "cli/app.hpp"
#include "cli/files.hpp"
#include "cli/output.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/maintenance.hpp>
#include <mcid/qualifications.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace mcid::cli {
namespace {

// "ROWS:HASH" as printed by `audit head`.
AuditHead parse_audit_head(const std::string& text) {
    const auto colon = text.find(':');
    const std::string rows = colon == std::string::npos ? std::string() : text.substr(0, colon);
    const std::string hash = colon == std::string::npos ? std::string() : text.substr(colon + 1);
    const bool hex = hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (rows.empty() || rows.size() > 18 || rows.find_first_not_of("0123456789") != std::string::npos || !hex ||
        std::stoll(rows) < 1) {
        throw UsageError("--expect: not ROWS:HASH as 'mcidctl audit head' prints it (a row count, ':', 64 hex digits)");
    }
    return AuditHead{std::stoll(rows), hash};
}

// `db backup -`: the verified copy is made in a private temporary folder, then copied to stdout.
void backup_to_stdout(Context& ctx, const Actor& actor) {
    if (ctx.stdout_is_terminal()) {
        throw UsageError("db backup -: stdout is a terminal", "redirect it to a file: 'mcidctl db backup - > FILE'");
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/mcidctl-backup.XXXXXX";
    if (!::mkdtemp(pattern.data())) {
        throw StoreError(fmt::format("cannot create a temporary folder in {}: {}", tmp && *tmp ? tmp : "/tmp",
                                     std::strerror(errno)));
    }
    const std::filesystem::path dir(pattern);
    std::error_code ec;
    try {
        const std::string copy = (dir / "backup.db").string();
        const BackupResult r = backup_store(ctx.store(), actor, copy, ctx.clock(), "-");
        std::ifstream in(copy, std::ios::binary);
        ctx.out() << in.rdbuf();
        std::filesystem::remove_all(dir, ec);
        ctx.info(fmt::format("backup written to stdout ({} bytes) and verified", r.bytes));
    } catch (...) {
        std::filesystem::remove_all(dir, ec);
        throw;
    }
}

}  // namespace

void register_audit(CLI::App& app, Context& ctx) {
    auto* audit = app.add_subcommand("audit", "Read and verify the tamper-evident audit log");
    audit->require_subcommand(1);
    {
        struct Options {
            std::string since, until, actor, action;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = audit->add_subcommand("list", "List audit events (Global Admins: their organization)");
        cmd->add_option("--since", o->since, "Only events on or after DATE (YYYY-MM-DD)");
        cmd->add_option("--until", o->until, "Only events on or before DATE (YYYY-MM-DD, the whole day)");
        cmd->add_option("--actor", o->actor, "Only events by this email");
        cmd->add_option("--action", o->action, "Only this action (login, link, purge-user, ...)");
        examples(cmd, {"mcidctl audit list --since 2026-11-01 --until 2026-11-30",
                       "mcidctl audit list --action purge-user --format csv"});
        cmd->callback([&ctx, o] {
            AuditFilter f;
            if (!o->since.empty())
                f.since = Date::parse(o->since, "--since").midnight();
            if (!o->until.empty())
                f.until = Date::parse(o->until, "--until").midnight() + 86400;  // through that day
            if (f.since && f.until && *f.until <= *f.since) {
                throw UsageError(fmt::format("--until {} is before --since {}", o->until, o->since));
            }
            if (!o->actor.empty())
                f.actor = Email::parse(o->actor, "--actor").value;
            if (!o->action.empty())
                f.action = parse_text(o->action, "--action", 64);
            const Actor actor = ctx.actor();
            AuditLog::require_reader(actor);  // before the header: a refused reader gets no output
            static constexpr std::array<std::string_view, 9> k_columns = {
                "id", "at", "actor", "mpn_id", "action", "target", "outcome", "detail", "batch"};
            auto writer = make_writer(ctx.out(), writer_options(ctx));
            writer->begin(k_columns);
            Store& store = ctx.store();
            std::map<std::int64_t, std::string> mpn;
            AuditLog(store, ctx.clock()).list(actor, f, [&](const AuditRecord& r) {
                std::string org;
                if (r.org_id) {
                    auto it = mpn.find(*r.org_id);
                    if (it == mpn.end()) {
                        const auto found = store.find_org(*r.org_id);
                        it = mpn.emplace(*r.org_id, found ? found->mpn_id : "").first;
                    }
                    org = it->second;
                }
                const std::string at = format_instant(r.at);
                const std::array<Cell, 9> cells = {Cell::of(r.id),      Cell::of(at),          Cell::of(r.actor),
                                                   Cell::maybe(org),    Cell::of(r.action),    Cell::of(r.target),
                                                   Cell::of(r.outcome), Cell::maybe(r.detail), Cell::maybe(r.batch)};
                writer->row(cells);
            });
            writer->end();
        });
    }
    {
        auto expect = std::make_shared<std::string>();
        auto* cmd = audit->add_subcommand("verify", "Check the audit log's hash chain (operator)");
        cmd->add_option("--expect", *expect,
                        "ROWS:HASH from an earlier 'audit head': the log must still have row ROWS with that hash");
        examples(cmd, {"mcidctl audit verify", "mcidctl audit verify --expect \"$(cat /srv/audit-head.txt)\"",
                       "mcidctl audit verify --format json"});
        cmd->callback([&ctx, expect] {
            std::optional<AuditHead> wanted;
            if (!expect->empty()) {
                wanted = parse_audit_head(*expect);
            }
            const Actor actor = ctx.actor();
            const AuditVerification v = AuditLog(ctx.store(), ctx.clock()).verify(actor, wanted);
            if (!v.ok) {
                throw StoreError(fmt::format("audit log broken at row {}: {}", v.first_bad_id, v.problem),
                                 "the store was changed outside mcidctl; restore it from a backup and compare");
            }
            if (ctx.format() == Format::table) {
                ctx.out() << fmt::format("ok: {} rows, hash chain intact from the init row{}\n", v.rows,
                                         wanted ? fmt::format(", row {} as expected", wanted->rows) : "");
            } else {
                print_object(ctx, Json{{"status", "ok"}, {"rows", v.rows}, {"hash", v.head_hash}});
            }
        });
    }
    {
        auto* cmd = audit->add_subcommand(
            "head", "Print the log's row count and last hash, to keep outside the store (operator)");
        examples(cmd, {"mcidctl audit head",
                       "mcidctl audit head --format json | mail -s 'mcidctl audit head' audit@example.com",
                       "mcidctl audit head > /srv/elsewhere/audit-head-$(date +%F).txt"});
        cmd->callback([&ctx] {
            const Actor actor = ctx.actor();
            const AuditHead head = AuditLog(ctx.store(), ctx.clock()).head(actor);
            if (ctx.format() == Format::table) {
                ctx.out() << fmt::format("{}:{}\n", head.rows, head.hash);
                ctx.info(
                    fmt::format("keep this line elsewhere; later, 'mcidctl audit verify --expect {}:{}' "
                                "detects a cut or rewritten log",
                                head.rows, head.hash));
            } else {
                print_object(ctx, Json{{"rows", head.rows}, {"hash", head.hash}});
            }
        });
    }

    auto* db = app.add_subcommand("db", "Check, repair and back up the store");
    db->require_subcommand(1);
    {
        auto* cmd = db->add_subcommand(
            "check",
            "Run SQLite's integrity and foreign key checks, and check competency status against the credentials");
        examples(cmd,
                 {"mcidctl db check", "mcidctl --db /srv/mcidctl/mcidctl.db db check || echo \"restore from backup\""});
        cmd->callback([&ctx] {
            const StoreCheck check = check_store(ctx.store(), ctx.clock());
            if (!check.ok()) {
                for (const auto& f : check.damage) {
                    ctx.out() << f << '\n';
                }
                for (const auto& f : check.derived) {
                    ctx.out() << f << '\n';
                }
                for (const auto& f : check.overdue) {
                    ctx.out() << f << '\n';
                }
                const std::size_t n = check.damage.size() + check.derived.size() + check.overdue.size();
                throw StoreError(
                    fmt::format("store {} failed its check ({} finding{})", ctx.store().path(), n, n == 1 ? "" : "s"),
                    !check.damage.empty() ? "restore from a backup made with 'mcidctl db backup'"
                    : !check.derived.empty()
                        ? "run 'mcidctl db rebuild' (operator) to recompute competency status"
                        : "any command that can write the store erases them (is it read-only or always busy?)");
            }
            const bool never_built = periods_never_built(check.stale_jobs);
            const char* status = !check.competency_status_stale ? "current"
                                 : never_built                  ? "not built"
                                                                : "being rewritten";
            if (ctx.format() == Format::table) {
                ctx.out() << "ok\n";
                if (never_built) {
                    ctx.info(
                        "competency status is not built yet (a store from an older mcidctl): reports count from "
                        "the credentials; run 'mcidctl db rebuild' to make them fast");
                } else if (check.competency_status_stale) {
                    const std::size_t n = check.stale_jobs.size();
                    ctx.info(fmt::format(
                        "competency status is being rewritten by {} job{} (a rebuild, a competency define, a large "
                        "purge): reports count from the credentials until {} ends; if none is running (one "
                        "stopped part-way), run 'mcidctl db rebuild'",
                        n, n == 1 ? "" : "s", n == 1 ? "it" : "they"));
                }
            } else {
                print_object(ctx, Json{{"status", "ok"}, {"findings", Json::array()}, {"competency_status", status}});
            }
        });
    }
    {
        auto* cmd =
            db->add_subcommand("rebuild", "Recompute competency status from the links and credentials (operator)");
        examples(cmd, {"mcidctl db rebuild", "mcidctl db rebuild --format json"});
        cmd->callback([&ctx] {
            const Actor actor = ctx.actor();
            const RebuildResult r = rebuild_derived(ctx.store(), actor, ctx.clock());
            if (ctx.format() == Format::table) {
                ctx.info(fmt::format("competency status rebuilt: {} individuals, {} periods", r.users, r.periods));
            } else {
                print_object(ctx, Json{{"status", "ok"}, {"individuals", r.users}, {"periods", r.periods}});
            }
        });
    }
    {
        auto file = std::make_shared<std::string>();
        auto force = std::make_shared<bool>(false);
        auto* cmd = db->add_subcommand("backup", "Write a consistent copy of the store while others use it (operator)");
        cmd->add_option("file", *file, "Where to write the copy (a new file), or - for stdout")->required();
        cmd->add_flag("--force", *force, "Replace FILE if it exists (once the new copy is written and verified)");
        examples(cmd, {"mcidctl db backup /var/backups/mcidctl-$(date +%F).db",
                       "mcidctl db backup ./copy.db && mcidctl --db ./copy.db db check",
                       "mcidctl db backup - > mcidctl-$(date +%F).db   # to stdout (the way under sudo)"});
        cmd->callback([&ctx, file, force] {
            const Actor actor = ctx.actor();
            if (*file == "-") {
                backup_to_stdout(ctx, actor);
                return;
            }
            refuse_named_file_under_sudo("db backup FILE", "write the copy to stdout: 'db backup - > FILE'");
            refuse_protected_target(ctx, *file, "db backup");
            const BackupResult r =
                backup_store(ctx.store(), actor, *file, ctx.clock(), {}, *force ? ReplaceFile::yes : ReplaceFile::no);
            ctx.info(fmt::format("backup written to {} ({} bytes) and verified", *file, r.bytes));
        });
    }
    {
        auto dest = std::make_shared<std::string>();
        auto* cmd = db->add_subcommand("copy",
                                       "Copy the whole store into a new SQLite file or an empty PostgreSQL "
                                       "database (operator)");
        cmd->add_option("dest", *dest, "A new SQLite file, or a postgresql:// URI of an empty database")->required();
        examples(cmd, {"mcidctl db copy 'postgresql:///mcidctl?host=/run/postgresql'   # SQLite to a server",
                       "mcidctl --db postgresql:///mcidctl db copy ./mcidctl.db   # and back, into a new file"});
        cmd->callback([&ctx, dest] {
            const Actor actor = ctx.actor();
            refuse_password_in_uri("DEST", *dest);
            if (!is_server_store_uri(*dest)) {
                refuse_named_file_under_sudo("db copy FILE", "copy into a database, or run it as the store's owner");
                refuse_protected_target(ctx, *dest, "db copy");
            }
            const CopyResult r = copy_store(ctx.store(), actor, *dest, ctx.clock());
            ctx.info(fmt::format("store copied to {} and verified", r.destination));
        });
    }
}

}  // namespace mcid::cli
