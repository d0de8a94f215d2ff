#include "cli/input.hpp"

#include "cli/files.hpp"
#include "cli/terminal.hpp"

#include <mcid/error.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace mcid::cli {

InputFile::InputFile(const std::string& path) {
    if (path == "-") {
        m_use_stdin = true;
        return;
    }
    refuse_named_file_under_sudo("input file " + printable(path.substr(0, 200)), "pass it on stdin: '- < FILE'");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw UsageError(fmt::format("cannot read {}: it is a folder", path));
    }
    m_file.open(path, std::ios::binary);
    if (!m_file) {
        throw UsageError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    }
}

Progress progress_printer(const Context& ctx) {
    defer_interrupts();
    const bool show = ctx.stderr_is_terminal() && !ctx.options.quiet;
    return [show](std::size_t done, std::size_t total) {
        if (interrupted()) {
            if (show) std::cerr << '\n';
            throw Interrupted("interrupted; the batch was rolled back and nothing was changed");
        }
        if (!show) {
            return;
        }
        if (total > 0) {
            std::cerr << fmt::format("\r  {}/{} ({}%)", done, total, total ? done * 100 / total : 100) << std::flush;
            if (done == total) std::cerr << '\n';
        } else {
            std::cerr << fmt::format("\r  {} rows", done) << std::flush;
        }
    };
}

}  // namespace mcid::cli
