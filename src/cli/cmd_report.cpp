// report skills | users | competencies
#include "cli/app.hpp"
#include "cli/files.hpp"
#include "cli/output.hpp"

#include <mcid/error.hpp>
#include <mcid/reports.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace mcid::cli {
namespace {

// A file written beside its target and renamed into place on commit(); removed otherwise, so a
// failed export never leaves a partial file.
class AtomicFile {
public:
    explicit AtomicFile(const std::string& target) : m_target(target) {
        const std::filesystem::path dir = std::filesystem::path(target).parent_path();
        std::string pattern = (dir.empty() ? std::string(".") : dir.string()) + "/." +
                              std::filesystem::path(target).filename().string() + ".XXXXXX";
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) {
            throw UsageError(fmt::format("--output: cannot write {}: {}", target, std::strerror(errno)));
        }
        ::close(fd);
        m_temp = pattern;
        m_stream.open(m_temp, std::ios::binary | std::ios::trunc);
        if (!m_stream) {
            ::unlink(m_temp.c_str());
            throw UsageError(fmt::format("--output: cannot write {}: {}", target, std::strerror(errno)));
        }
    }
    ~AtomicFile() {
        if (!m_committed) {
            ::unlink(m_temp.c_str());
        }
    }
    std::ostream& stream() { return m_stream; }
    void commit() {
        m_stream.flush();
        if (!m_stream) {
            throw OutputError(fmt::format("--output: writing {} failed (disk full?); no file was left", m_target));
        }
        m_stream.close();
        if (FILE* f = std::fopen(m_temp.c_str(), "rb")) {
            ::fsync(fileno(f));
            std::fclose(f);
        }
        // The file keeps mkstemp's 0600: reports hold personal data (docs/security.md).
        if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
            throw UsageError(fmt::format("--output: cannot replace {}: {}", m_target, std::strerror(errno)));
        }
        m_committed = true;
    }

private:
    std::string m_target;
    std::string m_temp;
    std::ofstream m_stream;
    bool m_committed = false;
};

struct ReportOptions {
    std::string org, output;
    bool include_pending = false, bom = false, no_formula_guard = false;
};

CLI::App* add_report(CLI::App* group, const char* name, const char* description, ReportOptions& o) {
    auto* cmd = group->add_subcommand(name, description);
    cmd->add_option("--org", o.org, "MPN ID (the operator names any; admins see their own)");
    cmd->add_option("--output", o.output, "Write to FILE (atomically) instead of stdout");
    cmd->add_flag("--bom", o.bom, "Start CSV with a UTF-8 BOM (for Excel)");
    cmd->add_flag("--no-formula-guard", o.no_formula_guard,
                  "Do not prefix CSV cells that start with = + - @, a tab or a carriage return with '");
    return cmd;
}

using Producer = std::function<std::int64_t(Reports&, const Actor&, const std::optional<MpnId>&, RowSink&)>;

void run_report(Context& ctx, const ReportOptions& o, const Producer& produce, const char* empty_hint) {
    if (o.bom && ctx.format() != Format::csv) {
        throw UsageError("--bom applies to CSV output only", "add --format csv");
    }
    const std::optional<MpnId> org = o.org.empty() ? std::nullopt : std::optional(MpnId::parse(o.org, "--org"));
    const Actor actor = ctx.actor();
    WriterOptions w = writer_options(ctx);
    w.bom = o.bom;
    w.formula_guard = !o.no_formula_guard;
    Reports reports(ctx.store(), ctx.clock());
    std::int64_t rows = 0;
    if (o.output.empty()) {
        auto writer = make_writer(ctx.out(), w);
        rows = produce(reports, actor, org, *writer);
    } else {
        refuse_named_file_under_sudo("--output", "leave --output out and redirect stdout: '> FILE'");
        refuse_protected_target(ctx, o.output, "--output");
        w.color = false;
        w.width = 0;
        AtomicFile file(o.output);
        auto writer = make_writer(file.stream(), w);
        rows = produce(reports, actor, org, *writer);
        file.commit();
        ctx.info(fmt::format("wrote {} rows to {}", rows, o.output));
    }
    if (rows == 0 && w.format == Format::table && empty_hint) {
        ctx.info(empty_hint);
    }
}

}  // namespace

void register_report(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("report", "Skills, users and competency reports for admins");
    group->require_subcommand(1);
    {
        auto o = std::make_shared<ReportOptions>();
        auto* cmd = add_report(group, "skills", "One row per linked individual and credential", *o);
        cmd->add_flag("--include-pending", o->include_pending, "Include credentials not yet reflected (state pending)");
        examples(cmd, {"mcidctl report skills", "mcidctl report skills --format csv --bom --output skills.csv",
                       "mcidctl report skills --org 1234567 --include-pending --format json"});
        cmd->callback([&ctx, o] {
            PendingLeftOut left_out;
            std::int64_t rows = 0;
            run_report(
                ctx, *o,
                [&](Reports& r, const Actor& a, const std::optional<MpnId>& org, RowSink& sink) {
                    rows = r.skills(a, org, o->include_pending ? IncludePending::yes : IncludePending::no, sink,
                                    &left_out);
                    return rows;
                },
                nullptr);
            // Right after people link, nothing is reflected yet (rule 6): say so, in every format,
            // rather than suggest that nobody has linked.
            if (left_out.rows > 0) {
                ctx.info(
                    fmt::format("{} {} not reflected yet, so not in this report; the first appears on {}. "
                                "--include-pending shows them (state pending)",
                                left_out.rows, left_out.rows == 1 ? "credential is" : "credentials are",
                                Date::of(left_out.first_reflected_at).str()));
            } else if (rows == 0 && ctx.format() == Format::table) {
                ctx.info(
                    "no users found with skills data — check whether users have linked their Learning or Partner "
                    "University accounts");
            }
        });
    }
    {
        auto o = std::make_shared<ReportOptions>();
        auto* cmd = add_report(group, "users", "Every user with invitation and link state", *o);
        examples(cmd, {"mcidctl report users --format csv --output users.csv", "mcidctl report users --org 1234567 --format json"});
        cmd->callback([&ctx, o] {
            run_report(ctx, *o,
                       [](Reports& r, const Actor& a, const std::optional<MpnId>& org, RowSink& sink) {
                           return r.users(a, org, sink);
                       },
                       "no users yet: invite them with 'mcidctl user invite EMAIL --name NAME'");
        });
    }
    {
        auto o = std::make_shared<ReportOptions>();
        auto* cmd = add_report(group, "competencies", "Which competencies the organization meets", *o);
        examples(cmd, {"mcidctl report competencies", "mcidctl report competencies --org 1234567 --format json"});
        cmd->callback([&ctx, o] {
            run_report(ctx, *o,
                       [](Reports& r, const Actor& a, const std::optional<MpnId>& org, RowSink& sink) {
                           return r.competencies(a, org, sink);
                       },
                       "no competencies are defined yet (the operator runs 'mcidctl competency define')");
        });
    }
}

}  // namespace mcid::cli
