#pragma once
// --format xlsx (src/cli/xlsx.cpp): the only file that sees libxlsxwriter.
#include "cli/output.hpp"

#include <memory>
#include <ostream>

namespace mcid::cli {

std::unique_ptr<RowSink> make_xlsx_writer(std::ostream& out, const WriterOptions& options);

}  // namespace mcid::cli
