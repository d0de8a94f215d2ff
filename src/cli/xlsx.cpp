// --format xlsx: an Excel workbook, through Debian's libxlsxwriter (a C library that writes the
// Office Open XML parts and their zip container; we would not write either ourselves). Its
// constant_memory mode writes each row to a temporary file as it comes, so a report of millions
// of rows stays as flat in memory as the CSV one. The workbook is built in a temporary file
// (libxlsxwriter writes to a path, and a zip's directory comes last) and then copied to the
// output stream, which for --output is the atomic file.
#include "cli/xlsx.hpp"

#include "core/library.hpp"

#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <xlsxwriter.h>  // its types and constants: the functions are loaded (xlsxwriter() below)

namespace mcid::cli {
namespace {

// libxlsxwriter is loaded when a workbook is first written, not when mcidctl starts: with the
// zip libraries it needs it took 1.9 ms of every command's start (a quarter of a command on a
// store file), and few commands write a workbook.
#define MCID_XLSXWRITER_FUNCTIONS(X) \
    X(format_set_bold)               \
    X(format_set_num_format)         \
    X(lxw_strerror)                  \
    X(workbook_add_format)           \
    X(workbook_add_worksheet)        \
    X(workbook_close)                \
    X(workbook_new_opt)              \
    X(worksheet_autofilter)          \
    X(worksheet_freeze_panes)        \
    X(worksheet_set_column)          \
    X(worksheet_write_datetime)      \
    X(worksheet_write_number)        \
    X(worksheet_write_string)

struct XlsxWriterLibrary {
#define MCID_XLSXWRITER_POINTER(name) decltype(&::name) name = nullptr;
    MCID_XLSXWRITER_FUNCTIONS(MCID_XLSXWRITER_POINTER)
#undef MCID_XLSXWRITER_POINTER
};

const XlsxWriterLibrary& xlsxwriter() {
    static const XlsxWriterLibrary loaded = [] {
        try {
            const LoadedLibrary library("libxlsxwriter.so.4");
            XlsxWriterLibrary l;
#define MCID_XLSXWRITER_LOAD(name) library.get(l.name, #name);
            MCID_XLSXWRITER_FUNCTIONS(MCID_XLSXWRITER_LOAD)
#undef MCID_XLSXWRITER_LOAD
            return l;
        } catch (const LibraryUnavailable& e) {
            throw OutputError(
                fmt::format("--format xlsx needs libxlsxwriter (Debian package libxlsxwriter4): {}", e.what()),
                "install it (apt-get install libxlsxwriter4), or use --format csv");
        }
    }();
    return loaded;
}

constexpr lxw_row_t k_max_rows = 1048576;  // Excel's limit per sheet, the header included
constexpr double k_max_width = 60;         // column widths fit the data up to this many characters
constexpr std::size_t k_max_text = 32767;  // Excel's limit per cell

bool date_column(std::string_view name) {
    return name.size() > 3 && name.substr(name.size() - 3) == "_on";
}
bool time_column(std::string_view name) {
    return name == "at" || (name.size() > 3 && name.substr(name.size() - 3) == "_at");
}

bool digits(std::string_view s, std::size_t from, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = from; i < from + n; ++i) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') {
            return false;
        }
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// YYYY-MM-DD, optionally followed by THH:MM:SS and Z (or a space instead of T).
std::optional<lxw_datetime> parse_datetime(std::string_view s, bool with_time) {
    lxw_datetime t{};
    int year = 0, month = 0, day = 0;
    if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day) || month < 1 || month > 12 || day < 1 || day > 31 || year < 1900) {
        return std::nullopt;
    }
    t.year = year;
    t.month = month;
    t.day = day;
    if (s.size() == 10) {
        return with_time ? std::nullopt : std::optional(t);
    }
    int hour = 0, minute = 0, second = 0;
    if (!with_time || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, hour) || s.size() < 19 || s[13] != ':' ||
        !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second) ||
        !(s.size() == 19 || (s.size() == 20 && s[19] == 'Z')) || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    t.hour = static_cast<std::uint8_t>(hour);
    t.min = static_cast<std::uint8_t>(minute);
    t.sec = second;
    return t;
}

// A sheet name: at most 31 characters, none of []:*?/\ (Excel's rules).
std::string sheet_name(std::string_view name, int part) {
    std::string out;
    for (const char c : name) {
        out += std::strchr("[]:*?/\\", c) ? '-' : c;
    }
    if (out.empty()) {
        out = "mcidctl";
    }
    const std::string suffix = part > 1 ? fmt::format(" ({})", part) : "";
    return out.substr(0, 31 - suffix.size()) + suffix;
}

std::string error_text(lxw_error e) {
    return xlsxwriter().lxw_strerror(e);
}

class XlsxWriter final : public RowSink {
public:
    XlsxWriter(std::ostream& out, const WriterOptions& options) : m_out(out), m_sheet_title(options.sheet) {
        const std::filesystem::path dir = std::filesystem::temp_directory_path();
        std::string pattern = (dir / "mcidctl-XXXXXX.xlsx").string();
        const int fd = ::mkstemps(pattern.data(), 5);
        if (fd < 0) {
            throw OutputError(fmt::format("--format xlsx: cannot create a temporary file in {}: {}", dir.string(),
                                          std::strerror(errno)),
                              "set TMPDIR to a writable directory");
        }
        ::close(fd);
        m_path = pattern;
        m_tmpdir = dir.string();
        lxw_workbook_options opts{};
        opts.constant_memory = LXW_TRUE;
        opts.tmpdir = m_tmpdir.data();
        m_book = xlsxwriter().workbook_new_opt(m_path.c_str(), &opts);
        if (!m_book) {
            ::unlink(m_path.c_str());
            throw OutputError("--format xlsx: cannot start the workbook", "set TMPDIR to a writable directory");
        }
        m_bold = xlsxwriter().workbook_add_format(m_book);
        xlsxwriter().format_set_bold(m_bold);
        m_date = xlsxwriter().workbook_add_format(m_book);
        xlsxwriter().format_set_num_format(m_date, "yyyy-mm-dd");
        m_time = xlsxwriter().workbook_add_format(m_book);
        xlsxwriter().format_set_num_format(m_time, "yyyy-mm-dd hh:mm:ss");
    }
    ~XlsxWriter() override {
        if (m_book) {
            // Not closed: an error or an interrupted report. Closing writes the file, which then goes.
            xlsxwriter().workbook_close(m_book);
        }
        if (!m_path.empty()) {
            ::unlink(m_path.c_str());
        }
    }

    void begin(std::span<const std::string_view> columns) override {
        m_columns.assign(columns.begin(), columns.end());
        m_kinds.clear();
        for (const auto c : columns) {
            m_kinds.push_back(date_column(c) ? Kind::date : time_column(c) ? Kind::time : Kind::other);
        }
        new_sheet();
    }

    void row(std::span<const Cell> cells) override {
        if (m_row == k_max_rows) {
            close_sheet();
            new_sheet();
        }
        for (std::size_t i = 0; i < cells.size(); ++i) {
            write(static_cast<lxw_col_t>(i), cells[i]);
        }
        ++m_row;
    }

    void end() override {
        close_sheet();
        const lxw_error e = xlsxwriter().workbook_close(m_book);
        m_book = nullptr;
        if (e != LXW_NO_ERROR) {
            throw OutputError(fmt::format("--format xlsx: writing the workbook failed: {}", error_text(e)),
                              "check the space in TMPDIR");
        }
        std::ifstream in(m_path, std::ios::binary);
        m_out << in.rdbuf();
        m_out.flush();
        if (m_truncated > 0) {
            std::fprintf(stderr,
                         "mcidctl: %lld cell(s) longer than Excel's 32,767 characters were cut; "
                         "--format csv or json keeps them whole\n",
                         static_cast<long long>(m_truncated));
        }
        if (m_parts > 1) {
            std::fprintf(stderr, "mcidctl: more rows than one Excel sheet holds: the workbook has %d sheets\n",
                         m_parts);
        }
    }

private:
    enum class Kind { date, time, other };

    void new_sheet() {
        ++m_parts;
        const std::string name = sheet_name(m_sheet_title, m_parts);
        m_sheet = xlsxwriter().workbook_add_worksheet(m_book, name.c_str());
        if (!m_sheet) {
            throw OutputError(fmt::format("--format xlsx: cannot add the sheet '{}'", name));
        }
        m_widths.assign(m_columns.size(), 0);
        for (std::size_t i = 0; i < m_columns.size(); ++i) {
            xlsxwriter().worksheet_write_string(m_sheet, 0, static_cast<lxw_col_t>(i), m_columns[i].c_str(), m_bold);
            note_width(i, display_width(m_columns[i]));
        }
        xlsxwriter().worksheet_freeze_panes(m_sheet, 1, 0);
        m_row = 1;
    }

    void close_sheet() {
        if (!m_sheet) {
            return;
        }
        for (std::size_t i = 0; i < m_widths.size(); ++i) {
            const double w = std::min(k_max_width, static_cast<double>(m_widths[i]) + 2);
            xlsxwriter().worksheet_set_column(m_sheet, static_cast<lxw_col_t>(i), static_cast<lxw_col_t>(i), w,
                                              nullptr);
        }
        if (!m_columns.empty()) {
            xlsxwriter().worksheet_autofilter(m_sheet, 0, 0, m_row - 1, static_cast<lxw_col_t>(m_columns.size() - 1));
        }
        m_sheet = nullptr;
    }

    void note_width(std::size_t column, std::size_t width) { m_widths[column] = std::max(m_widths[column], width); }

    void write(lxw_col_t col, const Cell& cell) {
        const Kind kind = m_kinds[col];
        if (cell.kind == Cell::Kind::null) {
            return;
        }
        // Counts and positions are numbers. Identifiers (MPN IDs, MCIDs) come as text, and text
        // stays text: a 12-digit MCID never becomes 1.23457E+11.
        if (cell.kind == Cell::Kind::integer) {
            note_width(col, std::to_string(cell.integer).size());
            check(xlsxwriter().worksheet_write_number(m_sheet, m_row, col, static_cast<double>(cell.integer), nullptr));
            return;
        }
        if (kind == Kind::date || kind == Kind::time) {
            if (auto t = parse_datetime(cell.text, kind == Kind::time)) {
                note_width(col, kind == Kind::date ? 10 : 19);
                check(xlsxwriter().worksheet_write_datetime(m_sheet, m_row, col, &*t,
                                                            kind == Kind::date ? m_date : m_time));
                return;
            }
        }
        // Text as text: a workbook has no formulas unless written as such, so no guard is needed.
        m_text = is_valid_utf8(cell.text) ? std::string(cell.text) : printable(cell.text);
        if (m_text.size() > k_max_text) {
            std::size_t cut = k_max_text;
            while (cut > 0 && (static_cast<unsigned char>(m_text[cut]) & 0xC0) == 0x80) {
                --cut;  // not inside a UTF-8 sequence
            }
            m_text.resize(cut);
            ++m_truncated;
        }
        note_width(col, display_width(m_text));
        check(xlsxwriter().worksheet_write_string(m_sheet, m_row, col, m_text.c_str(), nullptr));
    }

    static void check(lxw_error e) {
        if (e != LXW_NO_ERROR) {
            throw OutputError(fmt::format("--format xlsx: writing a cell failed: {}", error_text(e)));
        }
    }

    std::ostream& m_out;
    std::string m_sheet_title;
    std::string m_path, m_tmpdir;
    lxw_workbook* m_book = nullptr;
    lxw_worksheet* m_sheet = nullptr;
    lxw_format* m_bold = nullptr;
    lxw_format* m_date = nullptr;
    lxw_format* m_time = nullptr;
    std::vector<std::string> m_columns;
    std::vector<Kind> m_kinds;
    std::vector<std::size_t> m_widths;
    lxw_row_t m_row = 0;
    int m_parts = 0;
    std::int64_t m_truncated = 0;
    std::string m_text;
};

}  // namespace

std::unique_ptr<RowSink> make_xlsx_writer(std::ostream& out, const WriterOptions& options) {
    return std::make_unique<XlsxWriter>(out, options);
}

}  // namespace mcid::cli
