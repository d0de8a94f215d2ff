#include <mcid/error.hpp>
#include <mcid/types.hpp>

#include <catch2/catch.hpp>

using namespace mcid;

TEST_CASE("emails are validated and lower-cased") {
    CHECK(Email::parse("Alice@Contoso.COM").value == "alice@contoso.com");
    CHECK_THROWS_AS(Email::parse("alice"), UsageError);
    CHECK_THROWS_AS(Email::parse("alice@contoso"), UsageError);
    CHECK_THROWS_AS(Email::parse("a b@contoso.com"), UsageError);
    CHECK_THROWS_AS(Email::parse(""), UsageError);
    CHECK_THROWS_AS(Email::parse(std::string(250, 'a') + "@x.com"), UsageError);
    CHECK_THROWS_WITH(Email::parse("nope", "--admin"), Catch::Contains("--admin"));
}

TEST_CASE("free text refuses bidirectional and C1 controls; printable() masks them") {
    CHECK_THROWS_WITH(parse_text("evil\xE2\x80\xAEgpj.exe", "--name", 100), Catch::Contains("bidirectional"));
    CHECK_THROWS_AS(parse_text("a\xE2\x81\xA6" "b", "--name", 100), UsageError);  // U+2066
    CHECK_THROWS_AS(parse_text("a\xE2\x80\x8F" "b", "--name", 100), UsageError);  // U+200F
    CHECK_THROWS_AS(parse_text("a\xC2\x9B" "b", "--name", 100), UsageError);       // C1 CSI
    CHECK(parse_text("Åsa Öberg \xE2\x80\x94 ok", "--name", 100) == "Åsa Öberg \xE2\x80\x94 ok");  // an em dash is fine
    CHECK(printable("a\xE2\x80\xAE" "b\x1b]0;x\x07") == "a?b?]0;x?");
}

TEST_CASE("invitation codes: 16 characters of the code alphabet, any case, dashes optional") {
    CHECK(InvitationCode::parse("abcd-efgh-jkmn-pqrs").value == "ABCD-EFGH-JKMN-PQRS");
    CHECK(InvitationCode::parse("ABCDEFGHJKMNPQRS").value == "ABCD-EFGH-JKMN-PQRS");
    CHECK_THROWS_AS(InvitationCode::parse("WRONG-CODE-123"), UsageError);
    CHECK_THROWS_AS(InvitationCode::parse("ABCD-EFGH-JKMN-PQRSX"), UsageError);
    CHECK_THROWS_AS(InvitationCode::parse("ABCD-EFGH-JKMN-PQRI"), UsageError);  // I is not in the alphabet
    CHECK_THROWS_AS(InvitationCode::parse(""), UsageError);
    try {
        InvitationCode::parse("SECRET-VALUE-THAT-IS-LONG");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("SECRET") == std::string::npos);
    }
}

TEST_CASE("MCIDs are 6 to 12 digits, MPN IDs 6 to 10") {
    CHECK(Mcid::parse("123456").value == 123456);
    CHECK(Mcid::parse("123456789012").value == 123456789012);
    CHECK_THROWS_AS(Mcid::parse("12345"), UsageError);
    CHECK_THROWS_AS(Mcid::parse("1234567890123"), UsageError);
    CHECK_THROWS_AS(Mcid::parse("12345a"), UsageError);
    CHECK_THROWS_AS(Mcid::parse("00000001"), UsageError);  // found by fuzz_mcid: would not round-trip
    CHECK(Mcid::parse(Mcid::parse("123456789").str()).value == 123456789);
    CHECK_THROWS_WITH(MpnId::parse("01234567"), Catch::Contains("cannot start with 0"));  // one tenant, two IDs
    CHECK(MpnId::parse("1234567").value == "1234567");
    CHECK_THROWS_AS(MpnId::parse("12345"), UsageError);
    CHECK_THROWS_AS(MpnId::parse("12345678901"), UsageError);
    CHECK_THROWS_WITH(MpnId::parse("x"), Catch::Contains("--mpn-id"));
}

TEST_CASE("dates are strict calendar days") {
    CHECK(Date::parse("1970-01-01").days == 0);
    CHECK(Date::parse("2024-02-29").str() == "2024-02-29");
    CHECK_THROWS_AS(Date::parse("2025-02-29"), UsageError);
    CHECK_THROWS_AS(Date::parse("2025-02-30"), UsageError);
    CHECK_THROWS_AS(Date::parse("2025-1-05"), UsageError);
    CHECK_THROWS_AS(Date::parse("2025-13-01"), UsageError);
    CHECK(Date::of(86400 * 365).str() == "1971-01-01");
    CHECK(Date::of(-1).str() == "1969-12-31");
    CHECK(format_instant(0) == "1970-01-01T00:00:00Z");
}

TEST_CASE("durations take m, h and d") {
    CHECK(Duration::parse("15m").seconds == 900);
    CHECK(Duration::parse("72h").seconds == 72 * 3600);
    CHECK(Duration::parse("10d").str() == "10d");
    CHECK(Duration::parse("48h").str() == "2d");
    CHECK_THROWS_AS(Duration::parse("0d"), UsageError);
    CHECK_THROWS_AS(Duration::parse("5x"), UsageError);
    CHECK_THROWS_AS(Duration::parse("-1h"), UsageError);
    CHECK_THROWS_AS(Duration::parse("h"), UsageError);
    CHECK_THROWS_AS(Duration::parse("99999999d"), UsageError);
}

TEST_CASE("free text rejects control characters and bad UTF-8") {
    CHECK(parse_text("  Åsa Öberg ", "--name") == "Åsa Öberg");
    CHECK(parse_text("李雷", "--name") == "李雷");
    CHECK_THROWS_AS(parse_text("a\nb", "--name"), UsageError);
    CHECK_THROWS_AS(parse_text(std::string("a\0b", 3), "--name"), UsageError);
    CHECK_THROWS_AS(parse_text("\xC3\x28", "--name"), UsageError);
    CHECK_THROWS_AS(parse_text("\xED\xA0\x80", "--name"), UsageError);  // a surrogate
    CHECK_THROWS_AS(parse_text(std::string(201, 'x'), "--name"), UsageError);
    CHECK_THROWS_AS(parse_text("   ", "--name"), UsageError);
    CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));  // overlong
}

TEST_CASE("roles, statuses, codes and counts") {
    CHECK(parse_role("partner-admin") == Role::partner_admin);
    CHECK_THROWS_AS(parse_role("operator"), UsageError);
    CHECK(parse_code("AZ-104") == "AZ-104");
    CHECK_THROWS_AS(parse_code("AZ 104"), UsageError);
    CHECK(parse_count("5", "n", 10) == 5);
    CHECK_THROWS_AS(parse_count("0", "n", 10), UsageError);
    CHECK_THROWS_AS(parse_count("11", "n", 10), UsageError);
}

TEST_CASE("counts for people are grouped by thousands, from the fourth digit") {
    CHECK(grouped(0) == "0");
    CHECK(grouped(999) == "999");
    CHECK(grouped(1000) == "1,000");
    CHECK(grouped(5001) == "5,001");
    CHECK(grouped(999999) == "999,999");
    CHECK(grouped(1000000) == "1,000,000");
    CHECK(grouped(18446744073709551615ULL) == "18,446,744,073,709,551,615");
}
