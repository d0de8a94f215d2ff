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

TEST_CASE("CSV reader reports the line of malformed input") {
    CHECK_THROWS_WITH(read_all("a\nb\n\"open\n"), Catch::Contains("line 3"));
    CHECK_THROWS_WITH(read_all("\"a\"b\n"), Catch::Contains("line 1"));
    CHECK_THROWS_AS(read_all(std::string("a\0b\n", 4)), UsageError);
    CHECK_THROWS_WITH(read_all(std::string(CsvReader::k_max_record + 10, 'x')), Catch::Contains("1 MiB"));
}
