#include <mcid/csv.hpp>
#include <mcid/error.hpp>

#include <fmt/format.h>

namespace mcid {

char detect_delimiter(std::string_view text) {
    // The first line that is not blank, up to its end outside quotes (or the end of `text`).
    std::size_t at = 0;
    while (at < text.size() && (text[at] == '\r' || text[at] == '\n' || text[at] == ' ')) {
        ++at;
    }
    std::size_t commas = 0, semicolons = 0, tabs = 0;
    bool quoted = false;
    for (; at < text.size(); ++at) {
        const char c = text[at];
        if (c == '"') {
            quoted = !quoted;  // a doubled quote toggles twice
        } else if (!quoted && (c == '\n' || c == '\r')) {
            break;
        } else if (!quoted) {
            commas += c == ',';
            semicolons += c == ';';
            tabs += c == '\t';
        }
    }
    if (tabs > commas && tabs > semicolons) {
        return '\t';
    }
    return semicolons > commas ? ';' : ',';
}

bool CsvReader::fill() {
    if (!m_in) {
        return false;
    }
    m_in.read(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
    m_pos = 0;
    m_end = static_cast<std::size_t>(m_in.gcount());
    return m_end > 0;
}

bool CsvReader::next(std::vector<std::string>& fields) {
    fields.clear();
    if (!m_started) {
        m_started = true;
        fill();  // a whole block (or the whole input), so a BOM is never split
        if (m_end >= 3 && m_buf[0] == '\xEF' && m_buf[1] == '\xBB' && m_buf[2] == '\xBF') {
            m_pos = 3;  // a UTF-8 BOM
        }
        m_delimiter = detect_delimiter(std::string_view(m_buf.data() + m_pos, m_end - m_pos));
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
                    if (peek() != '"') {
                        break;
                    }
                    get();
                } else if (c == '\n') {
                    ++m_line;
                }
                append(c);
            }
            c = get();
            if (c == '\r') {  // CRLF, or a lone CR (old Mac line ends): both end the line
                if (peek() == '\n') {
                    get();
                }
                c = '\n';
            }
            if (c != m_delimiter && c != '\n' && c != EOF) {
                throw fail("text after a closing quote (quotes inside a field must be doubled)");
            }
        } else {
            while (c != m_delimiter && c != '\n' && c != EOF) {
                if (c == '\r') {
                    if (peek() == '\n') {
                        get();
                    }
                    c = '\n';
                    break;
                }
                append(c);
                // The bytes after it in the buffer that cannot end the field or be refused go in
                // as one run (a NUL, a line end or the delimiter is left to the loop above).
                std::size_t run = m_pos;
                while (run < m_end && m_buf[run] != m_delimiter && m_buf[run] != '\n' && m_buf[run] != '\r' &&
                       m_buf[run] != '\0') {
                    ++run;
                }
                if (run > m_pos) {
                    size += run - m_pos;
                    if (size > k_max_record) {
                        throw fail("record longer than 1 MiB");
                    }
                    field.append(m_buf.data() + m_pos, run - m_pos);
                    m_pos = run;
                }
                c = get();
            }
        }
        fields.push_back(std::move(field));
        field.clear();
        if (c == m_delimiter) {
            c = get();
            if (c == EOF || c == '\n') {  // a trailing delimiter ends with an empty field
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

std::string_view trim_blanks(std::string_view text) {
    const auto b = text.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return {};
    }
    return text.substr(b, text.find_last_not_of(" \t") - b + 1);
}

std::string normalize_header(std::string_view text) {
    std::string out(trim_blanks(text));
    for (char& ch : out) {
        if (ch >= 'A' && ch <= 'Z') {
            ch = static_cast<char>(ch - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace mcid
