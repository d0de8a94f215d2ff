#include "cli/input.hpp"

#include "cli/files.hpp"
#include "cli/terminal.hpp"

#include <mcid/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

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
    auto width = std::make_shared<std::size_t>(0);  // of the line shown, to blank it when done
    return [show, width](std::size_t done, std::size_t total) {
        if (interrupted()) {
            if (show)
                std::cerr << '\n';
            throw Interrupted("interrupted; the batch was rolled back and nothing was changed");
        }
        if (!show) {
            return;
        }
        std::string line =
            total > 0 ? fmt::format("  {}/{} ({}%)", done, total, done * 100 / total) : fmt::format("  {} rows", done);
        if (total > 0 && done == total) {  // done: the line is blanked (spaces, no escape codes)
            line = std::string(*width, ' ');
            std::cerr << '\r' << line << '\r' << std::flush;
            *width = 0;
            return;
        }
        *width = std::max(*width, line.size());
        std::cerr << '\r' << line << std::flush;
    };
}

}  // namespace mcid::cli
