#pragma once
// Input files for batch commands (FILE or - for stdin) and progress on a terminal.
#include "cli/context.hpp"

#include <mcid/offboarding.hpp>

#include <fstream>
#include <iostream>
#include <istream>
#include <string>

namespace mcid::cli {

class InputFile {
public:
    // Opens FILE, or stdin for "-". Throws UsageError (exit 2) naming the file if unreadable.
    explicit InputFile(const std::string& path);
    std::istream& stream() { return m_use_stdin ? std::cin : m_file; }

private:
    bool m_use_stdin = false;
    std::ifstream m_file;
};

// Progress on stderr while stderr is a terminal (and not -q); throws Interrupted on Ctrl-C.
Progress progress_printer(const Context& ctx);

}  // namespace mcid::cli
