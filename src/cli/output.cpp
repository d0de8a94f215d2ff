#include "cli/output.hpp"

#include "cli/xlsx.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace mcid::cli {
namespace {

std::uint32_t next_codepoint(std::string_view s, std::size_t& i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (i + len > s.size()) {
        len = 1;
    }
    std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    return cp;
}

int codepoint_width(std::uint32_t cp) {
    if (cp < 0x20 || (cp >= 0x300 && cp <= 0x36F) || cp == 0x200B) {
        return 0;
    }
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
                      (cp >= 0x20000 && cp <= 0x3FFFD);
    return wide ? 2 : 1;
}

// Cuts text to `width` cells, ending with an ellipsis when anything was cut.
std::string truncate_to(std::string_view text, std::size_t width) {
    if (display_width(text) <= width) {
        return std::string(text);
    }
    std::string out;
    std::size_t used = 0;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t start = i;
        const int w = codepoint_width(next_codepoint(text, i));
        if (used + static_cast<std::size_t>(w) + 1 > width) {
            break;
        }
        used += static_cast<std::size_t>(w);
        out.append(text.substr(start, i - start));
    }
    return out + "\xE2\x80\xA6";  // …
}

std::string cell_text(const Cell& c) {
    switch (c.kind) {
        case Cell::Kind::null: return {};
        case Cell::Kind::text: return std::string(c.text);
        case Cell::Kind::integer: return std::to_string(c.integer);
    }
    return {};
}

// Free text: the only cells a table cuts to fit (names, titles, details). Identifiers, codes,
// dates, states and counts are shown whole.
bool free_text(std::string_view column) {
    static constexpr std::array<std::string_view, 10> k_free = {
        "name",   "user_name",    "organization",   "title", "credential_title",
        "detail", "relevant_for", "required_codes", "value", "batch"};
    return std::find(k_free.begin(), k_free.end(), column) != k_free.end();
}

// Which columns a narrow table keeps longest (higher first).
int priority(std::string_view column) {
    struct Rank {
        std::string_view column;
        int rank;
    };
    static constexpr std::array<Rank, 37> k_ranks = {{
        {"email", 9},
        {"user_email", 9},
        {"target", 9},
        {"competency", 9},
        {"key", 9},
        {"code", 9},
        {"credential_code", 9},
        {"state", 8},
        {"outcome", 8},
        {"status", 8},
        {"action", 8},
        {"credential_status", 8},
        {"value", 8},
        {"name", 7},
        {"user_name", 7},
        {"credential_title", 7},
        {"title", 7},
        {"at", 8},
        {"detail", 7},
        {"mpn_id", 6},
        {"mcid", 6},
        {"role", 6},
        {"expires_on", 6},
        {"passed_on", 6},
        {"reflected_on", 6},
        {"invited_on", 6},
        {"enrolled_on", 6},
        {"individuals_required", 6},
        {"individuals_qualified", 6},
        {"organization", 4},
        {"actor", 4},
        {"source", 4},
        {"credential_type", 4},
        {"relevant_for", 4},
        {"type", 4},
        {"id", 3},
        {"batch", 3},
    }};
    for (const auto& r : k_ranks) {
        if (r.column == column) {
            return r.rank;
        }
    }
    return 5;
}

const char* state_color(std::string_view column, std::string_view value) {
    if (column != "state" && column != "status" && column != "outcome" && column != "credential_status") {
        return nullptr;
    }
    if (value == "met" || value == "reflected" || value == "purged" || value == "active" || value == "ok") {
        return "\x1b[32m";
    }
    if (value == "not-met" || value == "denied" || value == "invalid" || value == "not-found" || value == "expired" ||
        value == "deleted") {
        return "\x1b[31m";
    }
    if (value == "pending" || value == "invited" || value == "already-deleted") {
        return "\x1b[33m";
    }
    return nullptr;
}

class TableWriter final : public RowSink {
public:
    TableWriter(std::ostream& out, const WriterOptions& o) : m_out(out), m_options(o) {}

    void begin(std::span<const std::string_view> columns) override {
        m_columns.assign(columns.begin(), columns.end());
    }
    void row(std::span<const Cell> cells) override {
        std::vector<std::string> texts;
        texts.reserve(cells.size());
        for (const auto& c : cells) {
            std::string t = cell_text(c);
            std::replace(t.begin(), t.end(), '\n', ' ');
            std::replace(t.begin(), t.end(), '\r', ' ');
            std::replace(t.begin(), t.end(), '\t', ' ');
            texts.push_back(printable(t));  // no escape sequences reach the terminal
        }
        if (m_flushed) {
            print(texts);
            return;
        }
        m_buffer.push_back(std::move(texts));
        if (m_buffer.size() >= k_sample) {
            flush();
        }
    }
    void end() override {
        if (!m_flushed && !m_buffer.empty()) {
            flush();
        }
        m_out.flush();
        if (!m_note.empty() && m_options.note) {
            m_options.note(m_note);  // after the table, as a footer: the header stays the first line
        }
    }

private:
    static constexpr std::size_t k_sample = 200;

    void flush() {
        m_widths.assign(m_columns.size(), 0);
        for (std::size_t i = 0; i < m_columns.size(); ++i) {
            m_widths[i] = display_width(m_columns[i]);
            for (const auto& r : m_buffer) {
                m_widths[i] = std::max(m_widths[i], display_width(r[i]));
            }
        }
        m_shown.assign(m_columns.size(), true);
        if (m_options.width > 0) {
            fit(static_cast<std::size_t>(m_options.width));
        }
        for (std::size_t i = 0; i < m_shown.size(); ++i) {
            if (m_shown[i]) {
                m_last_shown = i;
            }
        }
        std::vector<std::string> header(m_columns.begin(), m_columns.end());
        for (auto& h : header) {
            std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        }
        print(header, true);
        for (const auto& r : m_buffer) {
            print(r);
        }
        m_buffer.clear();
        m_flushed = true;
    }
    // Fits the columns to the terminal (docs/cli-decisions.md, "Tables"): identifiers, codes,
    // dates and states are never cut; free text (names, titles, details) shrinks first, to no
    // less than its header; when that is not enough, the lowest-priority columns are left out
    // (the rightmost first among equals) and a note on stderr names them.
    void fit(std::size_t total) {
        const std::size_t n = m_columns.size();
        std::vector<std::size_t> least(n);
        for (std::size_t i = 0; i < n; ++i) {
            least[i] = free_text(m_columns[i])
                           ? std::min(m_widths[i], std::max<std::size_t>(display_width(m_columns[i]), 8))
                           : m_widths[i];
        }
        auto needed = [&](const std::vector<std::size_t>& w) {
            std::size_t s = 0, shown = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (m_shown[i]) {
                    s += w[i];
                    ++shown;
                }
            }
            return s + (shown > 0 ? 2 * (shown - 1) : 0);
        };
        // A column empty in every sampled row goes first.
        std::vector<int> rank(n);
        for (std::size_t i = 0; i < n; ++i) {
            const bool empty =
                std::all_of(m_buffer.begin(), m_buffer.end(), [&](const auto& r) { return r[i].empty(); });
            rank[i] = empty ? 0 : priority(m_columns[i]);
        }
        std::size_t left_out = 0;
        while (needed(least) > total) {
            std::size_t drop = n, shown = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (m_shown[i]) {
                    ++shown;
                    if (drop == n || rank[i] <= rank[drop]) {
                        drop = i;
                    }
                }
            }
            if (shown <= 1) {
                break;  // one column wider than the terminal: print() cuts the line at the edge
            }
            m_shown[drop] = false;
            ++left_out;
        }
        // Free text gives back what it must, the widest first.
        while (needed(m_widths) > total) {
            std::size_t widest = n;
            for (std::size_t i = 0; i < n; ++i) {
                if (m_shown[i] && m_widths[i] > least[i] && (widest == n || m_widths[i] > m_widths[widest])) {
                    widest = i;
                }
            }
            if (widest == n) {
                break;
            }
            --m_widths[widest];
        }
        if (left_out > 0) {
            std::string names;  // in the report's column order
            for (std::size_t i = 0; i < n; ++i) {
                if (!m_shown[i]) {
                    names += (names.empty() ? "" : ",") + m_columns[i];
                }
            }
            m_note = fmt::format("left out to fit {} columns: {} (--columns NAME,... or --format csv shows them)",
                                 total, names);
        }
    }
    // A cell as shown: free text cut to its column; anything else whole (a later row's email may
    // be wider than the sample's: the row then runs a little to the right, but says it all).
    std::string shown_text(std::size_t i, const std::string& text) const {
        return free_text(m_columns[i]) ? truncate_to(text, m_widths[i]) : text;
    }
    // One pass over the shown cells builds the line twice: plain (to measure, and to print
    // without colour or cut at the edge) and coloured.
    void print(const std::vector<std::string>& cells, bool header = false) {
        const bool color = m_options.color;
        std::string plain, line;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (!m_shown[i]) {
                continue;
            }
            const std::string text = header ? cells[i] : shown_text(i, cells[i]);
            const std::string pad =
                i == m_last_shown ? std::string()
                                  : std::string(m_widths[i] - std::min(display_width(text), m_widths[i]) + 2, ' ');
            plain += text;
            plain += pad;
            if (color) {
                const char* on = header ? "\x1b[1m" : state_color(m_columns[i], cells[i]);
                line += on ? on : "";
                line += text;
                line += on ? "\x1b[0m" : "";
                line += pad;
            }
        }
        while (!plain.empty() && plain.back() == ' ') {
            plain.pop_back();
        }
        if (m_options.width > 0 && display_width(plain) > static_cast<std::size_t>(m_options.width)) {
            m_out << truncate_to(plain, static_cast<std::size_t>(m_options.width)) << '\n';
            return;  // never wrap: cut at the edge (without colour, which could be cut mid-sequence)
        }
        m_out << (color ? line : plain) << '\n';
    }

    std::ostream& m_out;
    WriterOptions m_options;
    std::vector<std::string> m_columns;
    std::vector<std::vector<std::string>> m_buffer;
    std::vector<std::size_t> m_widths;
    std::vector<bool> m_shown;  // false: left out to fit the terminal
    std::size_t m_last_shown = 0;  // the rightmost shown column: no padding after it
    std::string m_note;         // which were, said on stderr at the end
    bool m_flushed = false;
};

class CsvWriter final : public RowSink {
public:
    CsvWriter(std::ostream& out, const WriterOptions& o) : m_out(out), m_options(o) {}

    void begin(std::span<const std::string_view> columns) override {
        if (m_options.bom) {
            m_out << "\xEF\xBB\xBF";
        }
        m_line.clear();
        for (std::size_t i = 0; i < columns.size(); ++i) {
            append(columns[i], i == 0);
        }
        m_line += "\r\n";
        m_out << m_line;
    }
    void row(std::span<const Cell> cells) override {
        m_line.clear();
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const Cell& c = cells[i];
            if (c.kind == Cell::Kind::integer) {
                if (i)
                    m_line += m_options.delimiter;
                m_line += std::to_string(c.integer);
            } else {
                append(c.text, i == 0);
            }
        }
        m_line += "\r\n";
        m_out.write(m_line.data(), static_cast<std::streamsize>(m_line.size()));
    }
    void end() override { m_out.flush(); }

private:
    void append(std::string_view text, bool first) {
        if (!first) {
            m_line += m_options.delimiter;
        }
        const bool guard = m_options.formula_guard && !text.empty() &&
                           (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' || text[0] == '\t' ||
                            text[0] == '\r');
        // One pass per cell: find_first_of would call memchr over the four characters for
        // every character of the cell (40 % of a large report's CPU).
        bool quote = false;
        const char delimiter = m_options.delimiter;
        for (const char c : text) {
            if (c == delimiter || c == '"' || c == '\r' || c == '\n') {
                quote = true;
                break;
            }
        }
        if (quote) {
            m_line += '"';
        }
        if (guard) {
            m_line += '\'';
        }
        if (!quote) {
            m_line.append(text);
            return;
        }
        std::size_t from = 0;
        for (std::size_t q = text.find('"'); q != std::string_view::npos; q = text.find('"', q + 1)) {
            m_line.append(text.substr(from, q + 1 - from));  // through the quote, which is then doubled
            m_line += '"';
            from = q + 1;
        }
        m_line.append(text.substr(from));
        m_line += '"';
    }

    std::ostream& m_out;
    WriterOptions m_options;
    std::string m_line;
};

class JsonWriter final : public RowSink {
public:
    JsonWriter(std::ostream& out, bool lines) : m_out(out), m_lines(lines) {}

    void begin(std::span<const std::string_view> columns) override {
        m_keys.clear();
        for (auto c : columns) {
            std::string k = "\"";
            append_json_string(k, c);
            k += "\":";
            m_keys.push_back(std::move(k));
        }
        if (!m_lines) {
            m_out << '[';
        }
    }
    void row(std::span<const Cell> cells) override {
        m_line.clear();
        if (!m_lines) {
            m_line += m_rows == 0 ? "\n" : ",\n";
        }
        m_line += '{';
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i) {
                m_line += ',';
            }
            m_line += m_keys[i];
            const Cell& c = cells[i];
            if (c.kind == Cell::Kind::null) {
                m_line += "null";
            } else if (c.kind == Cell::Kind::integer) {
                m_line += std::to_string(c.integer);
            } else {
                m_line += '"';
                append_json_string(m_line, c.text);
                m_line += '"';
            }
        }
        m_line += '}';
        if (m_lines) {
            m_line += '\n';
        }
        m_out.write(m_line.data(), static_cast<std::streamsize>(m_line.size()));
        ++m_rows;
    }
    void end() override {
        if (!m_lines) {
            m_out << (m_rows ? "\n]\n" : "]\n");
        }
        m_out.flush();
    }

private:
    std::ostream& m_out;
    bool m_lines;
    std::vector<std::string> m_keys;
    std::string m_line;
    std::size_t m_rows = 0;
};

// The positions in `available` of the requested columns, in the requested order.
std::vector<std::size_t> column_positions(const std::vector<std::string>& requested,
                                          std::span<const std::string_view> available) {
    std::vector<std::size_t> out;
    for (const auto& name : requested) {
        const auto it = std::find(available.begin(), available.end(), name);
        if (it == available.end()) {
            std::string valid;
            for (const auto c : available) {
                valid += (valid.empty() ? "" : ", ") + std::string(c);
            }
            throw UsageError(fmt::format("--columns: unknown column '{}'", printable(name)),
                             "valid columns here: " + valid);
        }
        out.push_back(static_cast<std::size_t>(it - available.begin()));
    }
    return out;
}

// --columns: passes on only the chosen columns, in the chosen order.
class ColumnSelector final : public RowSink {
public:
    ColumnSelector(std::unique_ptr<RowSink> inner, std::vector<std::string> requested)
        : m_inner(std::move(inner)), m_requested(std::move(requested)) {}

    void begin(std::span<const std::string_view> columns) override {
        m_positions = column_positions(m_requested, columns);
        std::vector<std::string_view> chosen;
        for (const auto p : m_positions) {
            chosen.push_back(columns[p]);
        }
        m_cells.resize(m_positions.size());
        m_inner->begin(chosen);
    }
    void row(std::span<const Cell> cells) override {
        for (std::size_t i = 0; i < m_positions.size(); ++i) {
            m_cells[i] = cells[m_positions[i]];
        }
        m_inner->row(m_cells);
    }
    void end() override { m_inner->end(); }

private:
    std::unique_ptr<RowSink> m_inner;
    std::vector<std::string> m_requested;
    std::vector<std::size_t> m_positions;
    std::vector<Cell> m_cells;
};

// Cells that view into strings kept alive for one row.
struct RowCells {
    std::vector<std::string> storage;
    std::vector<Cell> cells;

    void fill(const std::vector<std::string_view>& columns, const Json& object) {
        storage.assign(columns.size(), {});
        cells.assign(columns.size(), Cell::none());
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const auto it = object.find(std::string(columns[i]));
            if (it == object.end() || it->is_null()) {
                continue;
            }
            if (it->is_number_integer()) {
                cells[i] = Cell::of(it->get<std::int64_t>());
                continue;
            }
            storage[i] = it->is_string() ? it->get<std::string>() : it->dump();
            cells[i] = Cell::of(std::string_view(storage[i]));
        }
    }
};

// The sheet of a workbook: "report.skills" is "skills", "user.list" is "user list".
std::string sheet_for(std::string_view command_path) {
    std::string name(command_path.substr(0, 7) == "report." ? command_path.substr(7) : command_path);
    std::replace(name.begin(), name.end(), '.', ' ');
    return name.empty() ? "mcidctl" : name;
}

}  // namespace

std::size_t display_width(std::string_view text) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < text.size();) {
        w += static_cast<std::size_t>(codepoint_width(next_codepoint(text, i)));
    }
    return w;
}

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char k_hex[] = "0123456789abcdef";
    if (!is_valid_utf8(text)) {  // JSON must be UTF-8: stored data is, but never trust it blindly
        const std::string safe = printable(text);
        append_json_string(out, safe);
        return;
    }
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out += k_hex[c >> 4];
                    out += k_hex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
}

WriterOptions writer_options(const Context& ctx) {
    WriterOptions o;
    o.format = ctx.format();
    o.color = ctx.color();
    o.width = ctx.terminal_width();
    o.delimiter = ctx.csv_delimiter();
    o.columns = ctx.columns();
    o.sheet = sheet_for(ctx.command_path);
    o.note = [&ctx](const std::string& line) {
        ctx.info(line);
    };
    return o;
}

void check_columns(const Context& ctx, std::span<const std::string_view> available) {
    column_positions(ctx.columns(), available);
}

namespace {

std::unique_ptr<RowSink> make_format_writer(std::ostream& out, const WriterOptions& options) {
    switch (options.format) {
        case Format::table: return std::make_unique<TableWriter>(out, options);
        case Format::csv: return std::make_unique<CsvWriter>(out, options);
        case Format::json: return std::make_unique<JsonWriter>(out, false);
        case Format::jsonl: return std::make_unique<JsonWriter>(out, true);
        case Format::xlsx:
            return make_xlsx_writer(out, options);
    }
    return std::make_unique<TableWriter>(out, options);
}

}  // namespace

std::unique_ptr<RowSink> make_writer(std::ostream& out, const WriterOptions& options) {
    auto writer = make_format_writer(out, options);
    if (options.columns.empty()) {
        return writer;
    }
    return std::make_unique<ColumnSelector>(std::move(writer), options.columns);
}

void print_rows(const Context& ctx, const std::vector<std::string_view>& columns, const std::vector<Json>& rows) {
    auto writer = make_writer(ctx.out(), writer_options(ctx));
    writer->begin(columns);
    RowCells cells;
    for (const auto& r : rows) {
        cells.fill(columns, r);
        writer->row(cells.cells);
    }
    writer->end();
}

void print_object(const Context& ctx, const Json& all) {
    // --columns: the chosen keys, in the chosen order.
    Json object = Json::object();
    if (const auto requested = ctx.columns(); !requested.empty()) {
        std::vector<std::string_view> keys;
        for (auto it = all.begin(); it != all.end(); ++it) {
            keys.push_back(it.key());
        }
        for (const auto p : column_positions(requested, keys)) {
            object[std::string(keys[p])] = all.at(std::string(keys[p]));
        }
    } else {
        object = all;
    }
    const Format f = ctx.format();
    if (f == Format::json) {
        ctx.out() << object.dump(2) << '\n';
        return;
    }
    if (f == Format::jsonl) {
        ctx.out() << object.dump() << '\n';
        return;
    }
    std::vector<std::string_view> columns;
    for (auto it = object.begin(); it != object.end(); ++it) {
        columns.push_back(it.key());
    }
    if (f == Format::csv || f == Format::xlsx) {
        print_rows(ctx, columns, {object});
        return;
    }
    std::size_t key_width = 0;
    for (auto c : columns) {
        key_width = std::max(key_width, c.size());
    }
    std::string text;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it->is_array() || it->is_object()) {
            continue;  // nested data is printed by the command itself
        }
        text += it.key() + ":" + std::string(key_width - it.key().size() + 1, ' ');
        text += it->is_null() ? "-" : it->is_string() ? it->get<std::string>() : it->dump();
        text += '\n';
    }
    ctx.out() << text;
}

}  // namespace mcid::cli
