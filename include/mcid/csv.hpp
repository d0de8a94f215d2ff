#pragma once
// A streaming RFC 4180 reader for the files admins feed in (HR exports, registry feeds):
// quoted fields with doubled quotes and line breaks, CRLF or LF, a leading UTF-8 BOM, and
// fields separated by ',', ';' or tab as the header line decides (Excel writes ';' in locales
// whose decimal separator is a comma, and "Text (tab delimited)" anywhere).
// Memory is bounded by the longest record, which is capped.
#include <array>
#include <cstddef>
#include <cstdio>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace mcid {

class CsvReader {
public:
    static constexpr std::size_t k_max_record = 1 << 20;  // 1 MiB

    explicit CsvReader(std::istream& in) : m_in(in) {}

    // Reads the next record. Returns false at the end of input. Throws UsageError naming the
    // line for an unterminated quote, text after a closing quote, a NUL byte or a record over 1 MiB.
    bool next(std::vector<std::string>& fields);
    // The line on which the last record returned by next() started (1-based).
    std::size_t line() const { return m_record_line; }
    // The field separator, known once next() has been called.
    char delimiter() const { return m_delimiter; }

private:
    // Bytes come from a block buffer: one istream::read per 64 KiB, not a sentry per byte.
    int get() { return m_pos < m_end || fill() ? static_cast<unsigned char>(m_buf[m_pos++]) : EOF; }
    int peek() { return m_pos < m_end || fill() ? static_cast<unsigned char>(m_buf[m_pos]) : EOF; }
    bool fill();

    std::istream& m_in;
    std::array<char, 64 * 1024> m_buf{};
    std::size_t m_pos = 0;
    std::size_t m_end = 0;
    std::size_t m_line = 1;
    std::size_t m_record_line = 0;
    bool m_started = false;
    char m_delimiter = ',';
};

// The separator a CSV file uses, from its first line that is not blank: whichever of ',', ';'
// and tab occurs most often outside quotes (',' when none does, or on a tie with ';'; tab only
// when it occurs most).
char detect_delimiter(std::string_view text);

// The text without leading and trailing spaces and tabs (CSV cells as people type them).
std::string_view trim_blanks(std::string_view text);
// Lower-cases ASCII and trims spaces and tabs (header cells, emails).
std::string normalize_header(std::string_view text);

}  // namespace mcid
