#include <mcid/csv.hpp>
#include <mcid/error.hpp>

#include <fmt/format.h>

namespace mcid {

int CsvReader::get() {
    const int c = m_in.get();
    return m_in ? c : EOF;
}

bool CsvReader::next(std::vector<std::string>& fields) {
    fields.clear();
    if (!m_started) {
        m_started = true;
        if (m_in.peek() == 0xEF) {  // a UTF-8 BOM
            char bom[3] = {};
            m_in.read(bom, 3);
            if (m_in.gcount() != 3 || static_cast<unsigned char>(bom[1]) != 0xBB ||
                static_cast<unsigned char>(bom[2]) != 0xBF) {
                m_in.clear();
                m_in.seekg(0);
            }
        }
    }
    int c = get();
    if (c == EOF) {
        return false;
    }
    m_record_line = m_line;
    std::string field;
    std::size_t size = 0;
    const auto fail = [&](const std::string& why) { return UsageError(fmt::format("line {}: {}", m_record_line, why)); };
    // Every byte of a field goes through here: no NUL bytes, and a bounded record.
    const auto append = [&](int ch) {
        if (ch == 0) {
            throw fail("NUL byte in a field");
        }
        if (++size > k_max_record) {
            throw fail("record longer than 1 MiB");
        }
        field += static_cast<char>(ch);
    };
    while (true) {
        if (c == '"' && field.empty()) {
            const std::size_t quote_line = m_line;
            while (true) {
                c = get();
                if (c == EOF) {
                    throw UsageError(fmt::format("line {}: unterminated quoted field (the quote opens on line {})",
                                                 m_record_line, quote_line));
                }
                if (c == '"') {
                    if (m_in.peek() != '"') {
                        break;
                    }
                    get();
                } else if (c == '\n') {
                    ++m_line;
                }
                append(c);
            }
            c = get();
            if (c == '\r' && m_in.peek() == '\n') {
                c = get();
            }
            if (c != ',' && c != '\n' && c != EOF) {
                throw fail("text after a closing quote (quotes inside a field must be doubled)");
            }
        } else {
            while (c != ',' && c != '\n' && c != EOF) {
                if (c == '\r' && m_in.peek() == '\n') {
                    c = get();
                    break;
                }
                append(c);
                c = get();
            }
        }
        fields.push_back(std::move(field));
        field.clear();
        if (c == ',') {
            c = get();
            if (c == EOF || c == '\n') {  // a trailing comma ends with an empty field
                fields.emplace_back();
                if (c == '\n') {
                    ++m_line;
                }
                return true;
            }
            continue;
        }
        if (c == '\n') {
            ++m_line;
        }
        return true;
    }
}

std::string normalize_header(std::string_view text) {
    std::size_t b = 0;
    std::size_t e = text.size();
    while (b < e && (text[b] == ' ' || text[b] == '\t')) {
        ++b;
    }
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) {
        --e;
    }
    std::string out(text.substr(b, e - b));
    for (char& ch : out) {
        if (ch >= 'A' && ch <= 'Z') {
            ch = static_cast<char>(ch - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace mcid
