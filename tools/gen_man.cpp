// mcidctl-gen-man OUTDIR: writes a man page per command, mcidctl-<command>.1 (as gh and git ship
// them), from the same command definitions --help prints, so the two cannot disagree. Built and
// run at build time (cmake/Packaging.cmake); not installed.
#include "cli/app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

// Text for roff: backslashes and leading dots or quotes escaped, hyphens as \-.
std::string roff(std::string_view text) {
    std::string out;
    bool line_start = true;
    for (const char c : text) {
        if (line_start && (c == '.' || c == '\'')) {
            out += "\\&";
        }
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
        line_start = c == '\n';
    }
    return out;
}

// "TEXT:{a,b,c}" -> type "text" and allowed values "a, b, c".
struct TypeInfo {
    std::string type, allowed;
};
TypeInfo type_of(const CLI::Option& opt, const std::string& path) {
    if (opt.get_expected_max() == 0) {
        return {"flag", ""};
    }
    const std::string_view fixed =
        mcid::cli::fixed_values(path, opt.nonpositional() ? opt.get_name(false, false) : opt.get_name(true, false));
    if (!fixed.empty()) {
        std::string allowed(fixed);
        for (std::size_t p = allowed.find(' '); p != std::string::npos; p = allowed.find(' ', p + 2)) {
            allowed.replace(p, 1, ", ");
        }
        return {"text", allowed};
    }
    const std::string full = opt.get_type_name();
    const auto colon = full.find(':');
    std::string base = full.substr(0, colon);
    std::transform(base.begin(), base.end(), base.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (base == "int" || base == "uint" || base == "float" || base == "number") {
        base = "number";
    } else {
        base = "text";
    }
    std::string allowed;
    if (colon != std::string::npos) {
        const auto open = full.find('{', colon);
        const auto close = full.find('}', colon);
        if (open != std::string::npos && close != std::string::npos && close > open) {
            allowed = full.substr(open + 1, close - open - 1);
            std::string spaced;
            for (const char c : allowed) {
                spaced += c;
                if (c == ',') {
                    spaced += ' ';
                }
            }
            allowed = spaced;
        }
    }
    return {base, allowed};
}

std::string footer_examples(const std::string& footer) {
    // The footer is "\nExamples:\n  line\n  line\n\nGlobal options ...": the example lines.
    std::string out;
    const auto start = footer.find("Examples:\n");
    if (start == std::string::npos) {
        return out;
    }
    std::size_t pos = start + 10;
    while (pos < footer.size()) {
        const auto end = footer.find('\n', pos);
        const std::string line = footer.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (line.empty()) {
            break;
        }
        out += line.substr(line.find_first_not_of(' ')) + "\n";
        if (end == std::string::npos) {
            break;
        }
        pos = end + 1;
    }
    return out;
}

void write_page(const std::filesystem::path& dir, const CLI::App& cmd, const std::string& path) {
    std::string name = "mcidctl-" + path;
    std::replace(name.begin(), name.end(), ' ', '-');
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::string page = fmt::format(".TH \"{}\" \"1\" \"\" \"mcidctl {}\" \"mcidctl manual\"\n", upper, MCID_VERSION);
    page += ".SH NAME\n" + roff(name) + " \\- " + roff(cmd.get_description()) + "\n";

    std::vector<const CLI::Option*> positionals, options;
    for (const CLI::Option* opt : cmd.get_options()) {
        if (opt->get_name() == "--help") {
            continue;
        }
        (opt->nonpositional() ? options : positionals).push_back(opt);
    }
    page += ".SH SYNOPSIS\n.B mcidctl " + roff(path) + "\n";
    for (const CLI::Option* opt : options) {
        if (opt->get_required()) {
            page += "\\fB" + roff(opt->get_name(false, false)) + "\\fR";
            page += type_of(*opt, path).type == "flag" ? "\n" : " \\fIVALUE\\fR\n";
        }
    }
    if (std::any_of(options.begin(), options.end(), [](const CLI::Option* o) { return !o->get_required(); })) {
        page += "[\\fIOPTIONS\\fR]\n";
    }
    for (const CLI::Option* opt : positionals) {
        std::string arg = roff(opt->get_name(true, false));
        std::transform(arg.begin(), arg.end(), arg.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        const bool many = opt->get_expected_max() > 1;
        page += opt->get_required() ? "\\fI" + arg + "\\fR" : "[\\fI" + arg + "\\fR]";
        page += many ? "...\n" : "\n";
    }
    page += ".SH DESCRIPTION\n" + roff(cmd.get_description()) +
            ".\nThe rules, exit codes and output formats are in \\fBmcidctl\\fR(1); the global options "
            "(\\fB\\-\\-db\\fR, \\fB\\-\\-format\\fR, \\fB\\-\\-columns\\fR, \\fB\\-\\-delimiter\\fR, "
            "\\fB\\-q\\fR, \\fB\\-v\\fR) apply to every command.\n";
    if (!positionals.empty() || !options.empty()) {
        page += ".SH OPTIONS\n";
        page +=
            "Each option with its type, default and allowed values (from the same definitions as "
            "\\fB\\-\\-help\\fR).\n";
        for (const CLI::Option* opt : positionals) {
            std::string arg = opt->get_name(true, false);
            std::transform(arg.begin(), arg.end(), arg.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            page += ".TP\n\\fI" + roff(arg) + "\\fR\n" + roff(opt->get_description()) + ".\n";
            const TypeInfo t = type_of(*opt, path);
            page += fmt::format(".br\n{}.\n", roff(fmt::format("Type: {}{}; {}{}", t.type,
                                                               opt->get_expected_max() > 1 ? ", one or more" : "",
                                                               opt->get_required() ? "required" : "optional",
                                                               t.allowed.empty() ? "" : "; one of: " + t.allowed)));
        }
        for (const CLI::Option* opt : options) {
            const TypeInfo t = type_of(*opt, path);
            page += ".TP\n\\fB" + roff(opt->get_name(false, true)) + "\\fR";
            page += t.type == "flag" ? "\n" : " \\fIVALUE\\fR\n";
            page += roff(opt->get_description()) + ".\n";
            std::string facts = "Type: " + t.type + (t.type == "flag" ? " (off unless given)" : "");
            if (t.type != "flag") {
                facts += opt->get_required() ? "; required" : "; optional";
                if (const std::string def = opt->get_default_str(); !def.empty()) {
                    facts += "; default " + def;
                }
            }
            if (!t.allowed.empty()) {
                facts += "; one of: " + t.allowed;
            }
            page += ".br\n" + roff(facts) + ".\n";
        }
    }
    const std::string ex = footer_examples(cmd.get_footer());
    if (!ex.empty()) {
        page += ".SH EXAMPLES\n.nf\n" + roff(ex) + ".fi\n";
    }
    page += ".SH SEE ALSO\n\\fBmcidctl\\fR(1)\n";
    std::ofstream out(dir / (name + ".1"), std::ios::binary | std::ios::trunc);
    out << page;
    if (!out) {
        throw std::runtime_error("cannot write " + (dir / (name + ".1")).string());
    }
}

void walk(const std::filesystem::path& dir, const CLI::App& app, const std::string& prefix, int& pages) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        const std::string path = prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name();
        if (sub->get_subcommands([](const CLI::App*) { return true; }).empty()) {
            write_page(dir, *sub, path);
            ++pages;
        } else {
            walk(dir, *sub, path, pages);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: mcidctl-gen-man OUTDIR\n";
        return 2;
    }
    try {
        mcid::cli::Context ctx;
        CLI::App app{"mcidctl - link certification profiles (MCIDs) to partner organizations", "mcidctl"};
        mcid::cli::build_app(app, ctx);
        std::filesystem::create_directories(argv[1]);
        int pages = 0;
        walk(argv[1], app, "", pages);
        std::cout << "wrote " << pages << " man pages to " << argv[1] << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "mcidctl-gen-man: " << e.what() << "\n";
        return 1;
    }
}
