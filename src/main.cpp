// mcidctl: build the command tree, run it, and handle every error in one place.
#include "cli/app.hpp"

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

// Secrets given as options are overwritten in the process's own argument area (as database
// clients do with passwords), so other local users cannot read them in /proc/PID/cmdline or ps
// while the command waits, e.g. at a password prompt. The parser reads a private copy.
void scrub_secret_arguments(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        constexpr const char* k_option = "--code";
        const std::size_t n = std::strlen(k_option);
        if (std::strcmp(argv[i], k_option) == 0 && i + 1 < argc) {
            std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
        } else if (std::strncmp(argv[i], k_option, n) == 0 && argv[i][n] == '=') {
            std::memset(argv[i] + n + 1, 'x', std::strlen(argv[i] + n + 1));
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args(argv, argv + argc);
    std::vector<char*> arg_pointers;
    for (auto& a : args) {
        arg_pointers.push_back(a.data());
    }
    arg_pointers.push_back(nullptr);
    scrub_secret_arguments(argc, argv);
    mcid::cli::Context ctx;
    CLI::App app{"mcidctl - link certification profiles (MCIDs) to partner organizations", "mcidctl"};
    try {
        mcid::cli::build_app(app, ctx);
        if (argc == 1) {  // as gh and az: the overview, and success
            std::cout << app.help();
            return 0;
        }
        app.parse(argc, arg_pointers.data());
        const int code = mcid::cli::finish_output(ctx);
        ctx.housekeeping();
        return code;
    } catch (...) {
        return mcid::cli::report_error(app, ctx, std::current_exception());
    }
}
