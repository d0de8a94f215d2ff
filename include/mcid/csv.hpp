#pragma once
// A streaming RFC 4180 reader for the files admins feed in (HR exports, registry feeds):
// quoted fields with doubled quotes and line breaks, CRLF or LF, a leading UTF-8 BOM.
// Memory is bounded by the longest record, which is capped.
#include <cstddef>
#include <istream>
#include <string>
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

private:
    int get();

    std::istream& m_in;
    std::size_t m_line = 1;
    std::size_t m_record_line = 0;
    bool m_started = false;
};

// Lower-cases ASCII and trims spaces and tabs (header cells, emails).
std::string normalize_header(std::string_view text);

}  // namespace mcid
