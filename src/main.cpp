// mcidctl: build the command tree, run it, and handle every error in one place.
#include "cli/app.hpp"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    mcid::cli::Context ctx;
    CLI::App app{"mcidctl - link certification profiles (MCIDs) to partner organizations", "mcidctl"};
    try {
        mcid::cli::build_app(app, ctx);
        app.parse(argc, argv);
        return ctx.exit_code;
    } catch (...) {
        return mcid::cli::report_error(app, ctx, std::current_exception());
    }
}
