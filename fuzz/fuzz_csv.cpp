// libFuzzer target: mcid::CsvReader (RFC 4180 reader for admins' files) over arbitrary bytes.
// Expected failures are UsageError naming the line; anything else escaping is a bug.
// Invariants: every record has at least one field, no field holds a NUL byte, record lines
// never go backwards, fields never hold more bytes than the input, and writing the records back
// out fully quoted and reading them again gives the same records.
#include "fuzz_check.hpp"

#include <mcid/csv.hpp>
#include <mcid/error.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace {

using Records = std::vector<std::vector<std::string>>;

Records read_all(const std::string& text) {
    std::istringstream in(text);
    mcid::CsvReader reader(in);
    Records out;
    std::vector<std::string> fields;
    std::size_t last_line = 0;
    while (reader.next(fields)) {
        FUZZ_CHECK(!fields.empty());
        FUZZ_CHECK(reader.line() >= 1);
        FUZZ_CHECK(reader.line() >= last_line);
        FUZZ_CHECK(reader.line() <= text.size() + 1);
        last_line = reader.line();
        std::size_t bytes = 0;
        for (const auto& f : fields) {
            FUZZ_CHECK(f.find('\0') == std::string::npos);
            bytes += f.size();
        }
        FUZZ_CHECK(bytes <= text.size());
        FUZZ_CHECK(bytes <= mcid::CsvReader::k_max_record);
        out.push_back(fields);
        FUZZ_CHECK(out.size() <= text.size());
    }
    // At the end it stays at the end.
    FUZZ_CHECK(!reader.next(fields));
    return out;
}

std::string write_all(const Records& records) {
    std::string out;
    for (const auto& record : records) {
        for (std::size_t i = 0; i < record.size(); ++i) {
            if (i) out += ',';
            out += '"';
            for (char c : record[i]) {
                if (c == '"') out += '"';
                out += c;
            }
            out += '"';
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const std::string text(fuzz::view(data, size));
    Records records;
    try {
        records = read_all(text);
    } catch (const mcid::UsageError& e) {
        FUZZ_CHECK(std::string(e.what()).rfind("line ", 0) == 0);  // names the line
        return 0;
    }
    Records again;
    try {
        again = read_all(write_all(records));
    } catch (const mcid::UsageError& e) {
        std::fprintf(stderr, "re-reading the written records failed: %s\n", e.what());
        FUZZ_CHECK(false);
    }
    FUZZ_CHECK(again == records);
    return 0;
}
