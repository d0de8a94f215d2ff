#pragma once
// Turning results into table, CSV, JSON or JSON Lines. Streamed: a writer holds at most the
// first screenful of rows (tables, to size their columns), never the whole result.
#include "cli/context.hpp"

#include <mcid/rows.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mcid::cli {

using Json = nlohmann::ordered_json;

struct WriterOptions {
    Format format = Format::table;
    bool formula_guard = true;  // CSV: prefix cells starting with = + - @ tab CR with '
    bool bom = false;           // CSV: UTF-8 BOM first
    bool color = false;         // table: colour states
    int width = 0;              // table: terminal width, 0 = no limit
    char delimiter = ',';       // CSV: ',', ';' or tab
    std::vector<std::string> columns;  // only these, in this order (empty: all)
    std::string sheet = "mcidctl";     // xlsx: the sheet's name (the report's)
    std::function<void(const std::string&)> note;  // table: what it left out (stderr; -q silences)
};

WriterOptions writer_options(const Context& ctx);
std::unique_ptr<RowSink> make_writer(std::ostream& out, const WriterOptions& options);

// Throws UsageError (exit 2) when --columns names a column not in `available`: commands that
// change the store call it before they do, since their rows are printed after the commit.
void check_columns(const Context& ctx, std::span<const std::string_view> available);

// A list of JSON objects with the given columns, in the chosen format, on stdout.
void print_rows(const Context& ctx, const std::vector<std::string_view>& columns, const std::vector<Json>& rows);
// One object: `key: value` lines for tables, an object for JSON, one row for CSV.
void print_object(const Context& ctx, const Json& object);

// Display width of UTF-8 text in terminal cells (wide East Asian characters count 2).
std::size_t display_width(std::string_view text);
// Escapes text as the inside of a JSON string.
void append_json_string(std::string& out, std::string_view text);

}  // namespace mcid::cli
