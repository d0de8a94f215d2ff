#include <mcid/csv.hpp>
#include <mcid/error.hpp>

#include <catch2/catch.hpp>

#include <sstream>

using namespace mcid;

namespace {
std::vector<std::vector<std::string>> read_all(const std::string& text) {
    std::istringstream in(text);
    CsvReader r(in);
    std::vector<std::vector<std::string>> out;
    std::vector<std::string> f;
    while (r.next(f)) out.push_back(f);
    return out;
}
}  // namespace

TEST_CASE("CSV reader follows RFC 4180") {
    auto rows = read_all("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",\r\n");
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][0] == "x, y");
    CHECK(rows[1][1] == "say \"hi\"");
    CHECK(rows[2][0] == "multi\nline");
    CHECK(rows[2][1].empty());
    CHECK(read_all("\xEF\xBB\xBFh\n1\n")[0][0] == "h");
    CHECK(read_all("no newline at end")[0][0] == "no newline at end");
    CHECK(read_all("").empty());
}

TEST_CASE("CSV reader: a lone CR ends a line as LF and CRLF do") {
    const auto rows = read_all("email\ra@x.com\r\"q\"\rb@x.com\r\nc@x.com\n\"in\rside\"\r");
    REQUIRE(rows.size() == 6);
    CHECK(rows[1][0] == "a@x.com");
    CHECK(rows[2][0] == "q");
    CHECK(rows[3][0] == "b@x.com");
    CHECK(rows[4][0] == "c@x.com");
    CHECK(rows[5][0] == "in\rside");  // inside quotes a CR is data
    std::istringstream in("a\rb\rc");
    CsvReader r(in);
    std::vector<std::string> f;
    r.next(f);
    r.next(f);
    r.next(f);
    CHECK(r.line() == 3);
}

TEST_CASE("CSV reader reports the line of malformed input") {
    CHECK_THROWS_WITH(read_all("a\nb\n\"open\n"), Catch::Contains("line 3"));
    CHECK_THROWS_WITH(read_all("\"a\"b\n"), Catch::Contains("line 1"));
    CHECK_THROWS_AS(read_all(std::string("a\0b\n", 4)), UsageError);
    CHECK_THROWS_WITH(read_all(std::string(CsvReader::k_max_record + 10, 'x')), Catch::Contains("1 MiB"));
}

TEST_CASE("CSV reader reads in blocks: records that straddle a block boundary read the same") {
    // The reader takes 64 KiB at a time. Put a CRLF, a doubled quote, a quoted line break and a
    // field separator at each position around the first block boundary.
    constexpr std::size_t k_block = 64 * 1024;
    for (const std::string tail : {"x\r\ny,z\r\n", "\"a\"\"b\",c\r\n", "\"l1\r\nl2\",e\n", "p,q\n"}) {
        for (std::size_t shift = 0; shift < 8; ++shift) {
            const std::string pad(k_block - 3 - 4 + shift, 'w');  // after the BOM, the tail starts near the boundary
            auto once = read_all("h," + tail);  // the same records, far from any boundary
            for (auto& row : once) {
                if (row[0] == "h") row[0] = pad;
            }
            auto want = once;
            want.insert(want.end(), once.begin(), once.end());
            INFO("tail " << tail << ", shift " << shift);
            CHECK(read_all("\xEF\xBB\xBF" + pad + "," + tail + pad + "," + tail) == want);
        }
    }
}

TEST_CASE("CSV reader: the header line decides between ',', ';' and tab") {
    using Rows = std::vector<std::vector<std::string>>;
    // Swedish Excel's "CSV (semikolonavgränsad)": commas inside cells are data.
    CHECK(read_all("Email;Namn\r\nanna@contoso.com;Lind, Anna\r\n") ==
          Rows{{"Email", "Namn"}, {"anna@contoso.com", "Lind, Anna"}});
    CHECK(read_all("\xEF\xBB\xBF"
                   "email;name\n\"a;b@x.com\";\"B \"\"q\"\"\";\n") ==
          Rows{{"email", "name"}, {"a;b@x.com", "B \"q\"", ""}});
    // Excel's "Text (tab delimited)".
    CHECK(read_all("email\tname\na@x.com\tA, B; C\n") == Rows{{"email", "name"}, {"a@x.com", "A, B; C"}});
    // Commas: the default, and the header decides even when later lines hold other separators.
    CHECK(read_all("email,name\na@x.com,Lind; Anna\n") == Rows{{"email", "name"}, {"a@x.com", "Lind; Anna"}});
    CHECK(read_all("email\na;b\n") == Rows{{"email"}, {"a;b"}});
    // Counted outside quotes, after blank lines; the most frequent wins, ',' on a tie.
    CHECK(read_all("\n\n\"last, first\";email;x\n") == Rows{{""}, {""}, {"last, first", "email", "x"}});
    CHECK(read_all("a,b;c\n") == Rows{{"a", "b;c"}});
    CHECK(read_all("a;b;c,d\n") == Rows{{"a", "b", "c,d"}});
    CHECK(read_all("a\tb,c\n") == Rows{{"a\tb", "c"}});
    CHECK(read_all("a\tb\tc,d\n") == Rows{{"a", "b", "c,d"}});
    CHECK(detect_delimiter("") == ',');
}
