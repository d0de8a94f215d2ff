#include "collect_sink.hpp"
#include "fixture.hpp"
#include "pg_fixture.hpp"
#include "store/pg_store.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/importer.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <sstream>

using namespace mcid;
using namespace mcid::test;

namespace {

ImportSummary import(World& w, ImportKind kind, const std::string& csv) {
    std::istringstream in(csv);
    return Importer(*w.store, w.clock).import_registry(w.op, kind, in, {});
}

std::int64_t count_credentials(Store& store, std::int64_t mcid) {
    return static_cast<std::int64_t>(store.credentials_of(mcid).size());
}

}  // namespace

TEST_CASE("registry import: columns by name, idempotent, all or nothing") {
    World w;
    import(w, ImportKind::profiles, "Name,MCID,login,password_hash\r\nAlice,12345678,alice@outlook.com,\"" +
                                        profile_hash() + "\"\r\nBo,22222222,bo@outlook.com,\r\n");
    CHECK(w.store->find_account(AccountKind::profile, 12345678)->password_hash == profile_hash());
    CHECK(w.store->find_account(AccountKind::profile, 22222222)->password_hash.empty());

    const std::string creds =
        "mcid,code,title,type,passed_on,expires_on\n12345678,AZ-104,Admin,certification,2025-01-10,2026-01-10\n"
        "22222222,AZ-900,Fundamentals,exam,,\n";
    CHECK(import(w, ImportKind::credentials, creds).rows == 2);
    CHECK(import(w, ImportKind::credentials, creds).rows == 2);  // again: updated, not duplicated
    CHECK(count_credentials(*w.store, 12345678) == 1);

    SECTION("a bad row anywhere imports nothing and names the line and field") {
        const std::string bad = "mcid,code,title,type\n12345678,AZ-305,Expert,certification\n"
                                "22222222,AZ-400,DevOps,certificate\n99999999,AZ-500,Security,exam\n";
        try {
            import(w, ImportKind::credentials, bad);
            FAIL("expected UsageError");
        } catch (const UsageError& e) {
            const std::string m = e.what();
            CHECK(m.find("2 bad rows") != std::string::npos);
            CHECK(m.find("line 3: type") != std::string::npos);
            CHECK(m.find("line 4: mcid: no profile 99999999") != std::string::npos);
        }
        CHECK(count_credentials(*w.store, 12345678) == 1);  // AZ-305 of line 2 was rolled back
    }
    SECTION("unknown or missing columns are refused before any row") {
        CHECK_THROWS_WITH(import(w, ImportKind::profiles, "mcid,login,nmae\n"),
                          Catch::Contains("column 3 ('nmae') is not a known column"));
        // a long or odd header (a token, a hash: the file may be someone else's) is not echoed
        const std::string token = "mcs_ABCDEFGHJKMNPQRSTVWXYZ0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        try {
            import(w, ImportKind::profiles, token + "\n");
            FAIL("a token as the header was accepted");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()).find("column 1 is not a known column") != std::string::npos);
            CHECK(std::string(e.what()).find("ABCDEFGH") == std::string::npos);
        }
        CHECK_THROWS_WITH(import(w, ImportKind::profiles, "mcid,login\n"), Catch::Contains("missing column 'name'"));
        CHECK_THROWS_WITH(import(w, ImportKind::profiles, "mcid,login,name,password_hash\n1234567,a,b,plaintext\n"),
                          Catch::Contains("password_hash"));
    }
    SECTION("a row with more fields than the header is a bad row, not silently cut") {
        // an unquoted Argon2 hash splits at its commas
        const std::string hash = make_password_hash("profile-password-01");
        CHECK_THROWS_WITH(import(w, ImportKind::profiles, "mcid,login,name,password_hash\n55555555,a@b.c,A," + hash + "\n"),
                          Catch::Contains("line 2: 6 fields but the header has 4"));
        CHECK_FALSE(w.store->find_account(AccountKind::profile, 55555555));
        import(w, ImportKind::profiles, "mcid,login,name,password_hash\n55555555,a@b.c,A,\"" + hash + "\"\n");
        CHECK(w.store->find_account(AccountKind::profile, 55555555)->password_hash == hash);
    }
    SECTION("a stored hash must parse as Argon2id with a bounded cost") {
        for (const char* bad : {"$argon2id$v=19$m=65536", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
                                "$argon2id$v=19$m=4194304,t=2,p=1$yaaMrb3XsNX3pizsZzoqZg$VHto+fmhoUUMS35a45xQwq6nOg9FkAXUl0xD4Y3M9wU",
                                "$argon2i$v=19$m=65536,t=2,p=1$yaaMrb3XsNX3pizsZzoqZg$VHto+fmhoUUMS35a45xQwq6nOg9FkAXUl0xD4Y3M9wU"}) {
            INFO(bad);
            CHECK_THROWS_WITH(import(w, ImportKind::profiles, std::string("mcid,login,name,password_hash\n66666666,x@y.z,X,\"") +
                                                                  bad + "\"\n"),
                              Catch::Contains("not an Argon2id hash"));
        }
    }
    SECTION("university accounts and assessments") {
        import(w, ImportKind::university_accounts, "login,name\npu@example.org,Pat\n");
        import(w, ImportKind::assessments, "login,title,code,passed_on\npu@example.org,Sales,S-1,2025-05-05\n");
        const auto account = w.store->find_account_by_login(AccountKind::university, "PU@example.org");
        REQUIRE(account);
        CHECK(w.store->assessments_of(account->id).size() == 1);
        CHECK_THROWS_AS(import(w, ImportKind::assessments, "login,title\nnobody@example.org,X\n"), UsageError);
    }
    SECTION("only the operator imports") {
        std::istringstream in("login,name\nx@y.org,X\n");
        CHECK_THROWS_AS(Importer(*w.store, w.clock).import_registry(w.ga, ImportKind::university_accounts, in, {}),
                        PermissionDenied);
    }
}

TEST_CASE("user import invites every row and prints codes only when the whole file is good") {
    World w;
    CollectSink out;
    std::istringstream good("email,name,role\nnew1@contoso.com,New One,\nnew2@contoso.com,New Two,partner-admin\n");
    const auto s = Importer(*w.store, w.clock).import_users(w.ga, std::nullopt, good, out, {});
    CHECK(s.inserted == 2);
    REQUIRE(out.rows.size() == 2);
    CHECK(out.rows[0].at("code").size() == 19);
    CHECK(w.store->find_user_by_email("new2@contoso.com")->role == Role::partner_admin);

    CollectSink again;
    std::istringstream rerun("email,name,role\nnew1@contoso.com,Renamed,user\n");
    CHECK(Importer(*w.store, w.clock).import_users(w.ga, std::nullopt, rerun, again, {}).updated == 1);
    CHECK(again.rows.empty());
    CHECK(w.store->find_user_by_email("new1@contoso.com")->name == "Renamed");

    CollectSink none;
    std::istringstream bad("email,name\nnew3@contoso.com,Three\nbo@fabrikam.com,Bo\nnot-an-email,X\n");
    CHECK_THROWS_WITH(Importer(*w.store, w.clock).import_users(w.ga, std::nullopt, bad, none, {}),
                      Catch::Contains("line 3") && Catch::Contains("line 4"));
    CHECK(none.rows.empty());
    CHECK_FALSE(w.store->find_user_by_email("new3@contoso.com"));
}

TEST_CASE(
    "user import stores accounts in blocks: a repeated email is one account, before or after a block "
    "is stored") {
    World w;
    const auto before = [&] {
        auto tx = w.store->begin_read();
        return w.store->count_users_of_org(*w.ga.org_id);
    }();
    std::string file = "email,name\n";
    for (int i = 0; i < 12000; ++i) {  // more than two blocks of 5000
        file += fmt::format("bulk{}@contoso.com,Bulk {}\n", i, i);
    }
    file += "bulk3@contoso.com,Renamed Three\n";     // stored in the first block by now
    file += "bulk11999@contoso.com,Renamed Last\n";  // still pending
    file += "bulk11998@contoso.com,Bulk 11998\n";    // pending, unchanged
    CollectSink out;
    std::istringstream in(file);
    const auto s = Importer(*w.store, w.clock).import_users(w.ga, std::nullopt, in, out, {});
    CHECK(s.inserted == 12000);
    CHECK(s.updated == 2);
    CHECK(out.rows.size() == 12000);
    CHECK(w.store->find_user_by_email("bulk3@contoso.com")->name == "Renamed Three");
    CHECK(w.store->find_user_by_email("bulk11999@contoso.com")->name == "Renamed Last");
    CHECK(w.store->find_user_by_email("bulk11999@contoso.com")->status == UserStatus::invited);
    auto tx = w.store->begin_read();
    CHECK(w.store->count_users_of_org(*w.ga.org_id) == before + 12000);
    CHECK(w.store->org_user_count_mismatches() == 0);
    tx->commit();
    const auto chain = AuditLog(*w.store, w.clock).verify_chain();
    CHECK(chain.ok);
    std::int64_t invites = 0;
    AuditLog(*w.store, w.clock).list(w.op, AuditFilter{.action = "user.invite"}, [&](const AuditRecord&) {
        ++invites;
    });
    CHECK(invites == 12000 + 2 + 3);  // the world's own: two organizations' admins and three users
}

namespace {

// A stream that cannot seek back, as stdin from a pipe.
class PipeBuf : public std::streambuf {
public:
    explicit PipeBuf(std::string text) : m_text(std::move(text)) {
        setg(m_text.data(), m_text.data(), m_text.data() + m_text.size());
    }

protected:
    pos_type seekoff(off_type, std::ios_base::seekdir, std::ios_base::openmode) override { return pos_type(-1); }
    pos_type seekpos(pos_type, std::ios_base::openmode) override { return pos_type(-1); }

private:
    std::string m_text;
};

std::string many_credentials(int rows, std::int64_t mcid) {
    std::string csv = "mcid,code,title,type,passed_on,expires_on\n";
    for (int i = 0; i < rows; ++i) {
        csv += fmt::format("{},C-{},Title {},exam,2025-01-10,\n", mcid, i, i);
    }
    return csv;
}

std::int64_t import_audit_rows(Store& store) {
    std::int64_t n = 0;
    store.for_each_audit({}, [&](const AuditRecord& r) { n += r.action == "registry.import"; });
    return n;
}

}  // namespace

TEST_CASE("registry import in chunks: every row checked first, then written a chunk per transaction") {
    World w;
    add_profile(*w.store, 12345678, "alice@outlook.com");
    // The registry holds credentials already, as for every import but the first (which a server
    // store may write as one load: the next test cases).
    add_profile(*w.store, 87654321, "earlier@outlook.com");
    import(w, ImportKind::credentials, "mcid,code,title,type\n87654321,AZ-900,Fundamentals,exam\n");
    const auto audits = import_audit_rows(*w.store);

    SECTION("rows on both sides of chunk boundaries, from a stream that cannot seek (a pipe)") {
        for (const int rows : {1, 2, 3, 4, 5}) {
            PipeBuf buf(many_credentials(rows, 12345678));
            std::istream in(&buf);
            REQUIRE(in.tellg() == std::streampos(-1));  // control: really not seekable
            const auto s = Importer(*w.store, w.clock, 2).import_registry(w.op, ImportKind::credentials, in, {});
            CHECK(s.rows == rows);
            CHECK(count_credentials(*w.store, 12345678) == rows);  // C-0..C-(rows-1), the earlier ones updated
        }
        CHECK(import_audit_rows(*w.store) == audits + 5);  // one row per import, not per chunk
    }
    SECTION("a bad row in the last chunk: nothing is written, not even the chunks before it") {
        std::istringstream in(many_credentials(5, 12345678) + "99999999,X-1,T,exam,,\n");
        try {
            Importer(*w.store, w.clock, 2).import_registry(w.op, ImportKind::credentials, in, {});
            FAIL("the import went through");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()).find("line 7: mcid: no profile 99999999") != std::string::npos);
            CHECK(std::string(e.what()).find("nothing was imported") != std::string::npos);
        }
        CHECK(count_credentials(*w.store, 12345678) == 0);
        CHECK(import_audit_rows(*w.store) == audits);
    }
    SECTION("by default a chunk is the store's own size (a server store's is smaller)") {
        const bool server = dynamic_cast<store::PgStore*>(w.store.get()) != nullptr;
        const std::int64_t chunk = w.store->import_chunk_rows();
        CHECK(chunk == (server ? 1000 : 50000));  // a server store recomputes a profile in round trips
        // Stopped at the first progress report (every 10,000 rows) past the first chunk.
        const std::int64_t stop_at = (chunk / 10000 + 1) * 10000;
        const std::int64_t done = (stop_at - 1) / chunk * chunk;  // the chunks committed by then
        const std::string csv = many_credentials(static_cast<int>(stop_at) + 1, 12345678);
        const Progress stop = [&](std::size_t reported, std::size_t total) {
            if (total > 0 && reported == static_cast<std::size_t>(stop_at))
                throw Interrupted("interrupted; nothing was changed");
        };
        std::istringstream in(csv);
        try {
            Importer(*w.store, w.clock).import_registry(w.op, ImportKind::credentials, in, stop);
            FAIL("the import went through");
        } catch (const Error& e) {
            CHECK(std::string(e.what()) ==
                  fmt::format("interrupted; the first {} of {} rows were imported (committed in chunks of {})",
                              grouped(static_cast<std::size_t>(done)), grouped(static_cast<std::size_t>(stop_at + 1)),
                              grouped(static_cast<std::size_t>(chunk))));
        }
        CHECK(count_credentials(*w.store, 12345678) == done);
    }
    SECTION("stopped after two chunks: those rows stay, the error says how many, the same import completes it") {
        const std::string csv = many_credentials(25000, 12345678);
        const Progress stop = [](std::size_t done, std::size_t total) {
            if (total > 0 && done == 20000)
                throw Interrupted("interrupted; nothing was changed");
        };
        std::istringstream in(csv);
        try {
            Importer(*w.store, w.clock, 8000).import_registry(w.op, ImportKind::credentials, in, stop);
            FAIL("the import went through");
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::interrupted);
            CHECK(std::string(e.what()) ==
                  "interrupted; the first 16,000 of 25,000 rows were imported (committed in chunks of 8,000)");
            CHECK(e.hint().find("run the same import again") != std::string::npos);
        }
        CHECK(count_credentials(*w.store, 12345678) == 16000);
        CHECK(import_audit_rows(*w.store) == audits);  // written with the last chunk
        std::istringstream again(csv);
        CHECK(Importer(*w.store, w.clock, 8000).import_registry(w.op, ImportKind::credentials, again, {}).rows ==
              25000);
        CHECK(count_credentials(*w.store, 12345678) == 25000);
        CHECK(import_audit_rows(*w.store) == audits + 1);
    }
    SECTION("stopped in the first chunk: nothing was written, and the message says so") {
        std::istringstream in(many_credentials(12000, 12345678));
        const Progress stop = [](std::size_t done, std::size_t total) {
            if (total > 0 && done == 10000)
                throw Interrupted("interrupted; nothing was changed");
        };
        CHECK_THROWS_WITH(Importer(*w.store, w.clock, 50000).import_registry(w.op, ImportKind::credentials, in, stop),
                          "interrupted; nothing was changed");
        CHECK(count_credentials(*w.store, 12345678) == 0);
    }
}

TEST_CASE("registry import: a first credentials import, into an empty registry, as the imports after it") {
    // A server store may write it as one load (pg_store.cpp); the outcome is the same on both.
    World w;
    add_profile(*w.store, 30000001, "one@outlook.com");
    add_profile(*w.store, 30000002, "two@outlook.com");
    const auto audits = import_audit_rows(*w.store);
    const auto titles = [&] {
        std::string out;
        for (const std::int64_t mcid : {30000001, 30000002}) {
            for (const Credential& c : w.store->credentials_of(mcid)) {
                out += fmt::format("{} {} {} {} {};", mcid, c.code, c.title, c.passed_on ? c.passed_on->str() : "-",
                                   c.expires_on ? c.expires_on->str() : "-");
            }
        }
        return out;
    };
    SECTION("every row, one audit row; the same file again changes nothing") {
        const std::string csv =
            "mcid,code,title,type,passed_on,expires_on\n30000001,AZ-104,Admin,certification,2025-01-10,2026-01-10\n"
            "30000001,AZ-900,Fundamentals,exam,,\n30000002,AZ-104,Admin,certification,2025-02-01,\n";
        CHECK(import(w, ImportKind::credentials, csv).rows == 3);
        const std::string first = titles();
        CHECK(first ==
              "30000001 AZ-104 Admin 2025-01-10 2026-01-10;30000001 AZ-900 Fundamentals - -;"
              "30000002 AZ-104 Admin 2025-02-01 -;");
        CHECK(import_audit_rows(*w.store) == audits + 1);
        CHECK(import(w, ImportKind::credentials, csv).rows == 3);
        CHECK(titles() == first);
        CHECK(import_audit_rows(*w.store) == audits + 2);
    }
    SECTION("a key twice in the file: its last row") {
        CHECK(import(w, ImportKind::credentials,
                     "mcid,code,title,type\n30000001,AZ-104,Old,exam\n30000002,AZ-104,Two,exam\n"
                     "30000001,AZ-104,New,certification\n")
                  .rows == 3);
        CHECK(titles() == "30000001 AZ-104 New - -;30000002 AZ-104 Two - -;");
    }
    SECTION("bad rows and missing profiles: each named by its line, nothing imported") {
        try {
            import(w, ImportKind::credentials,
                   "mcid,code,title,type\n30000001,AZ-104,Admin,exam\n99999999,AZ-104,Admin,exam\n"
                   "30000002,AZ-104,Admin,certificate\n");
            FAIL("the import went through");
        } catch (const UsageError& e) {
            CHECK_THAT(e.what(), Catch::Contains("2 bad rows, nothing was imported: line 3: mcid: no profile 99999999 "
                                                 "(import profiles first); line 4: type"));
        }
        CHECK(titles().empty());
        CHECK(import_audit_rows(*w.store) == audits);
    }
    SECTION("interrupted: nothing imported") {
        const Progress stop = [](std::size_t done, std::size_t) {
            if (done == 10000)
                throw Interrupted("interrupted; nothing was changed");
        };
        std::istringstream in(many_credentials(12000, 30000001));
        CHECK_THROWS_WITH(Importer(*w.store, w.clock).import_registry(w.op, ImportKind::credentials, in, stop),
                          "interrupted; nothing was changed");
        CHECK(titles().empty());
        CHECK(import_audit_rows(*w.store) == audits);
    }
}

TEST_CASE("registry import: a key repeated in a block and across blocks keeps its last row") {
    World w;
    const auto import_in_blocks = [&](ImportKind kind, const std::string& csv) {
        std::istringstream in(csv);
        return Importer(*w.store, w.clock, 3).import_registry(w.op, kind, in, {});
    };
    // Blocks of 3: rows 1-3, 4-6, 7. MCID 30000001 in rows 1, 3 (same block) and 5 (the next).
    import_in_blocks(ImportKind::profiles,
                     "mcid,login,name,password_hash\n"
                     "30000001,one@outlook.com,First,\"" +
                         profile_hash() +
                         "\"\n"
                         "30000002,two@outlook.com,Two,\n"
                         "30000001,one@outlook.com,Second,\n"
                         "30000003,three@outlook.com,Three,\n"
                         "30000001,uno@outlook.com,Third,\n"
                         "30000004,four@outlook.com,Four,\n"
                         "30000005,five@outlook.com,Five,\n");
    const auto one = w.store->find_account(AccountKind::profile, 30000001);
    REQUIRE(one);
    CHECK(one->name == "Third");
    CHECK(one->login == "uno@outlook.com");
    CHECK(one->password_hash == profile_hash());  // an empty field keeps the stored hash
    CHECK(w.store->find_account(AccountKind::profile, 30000005)->name == "Five");
    // The sign-in name one@ was given up by 30000001 in row 5: another profile may take it.
    import_in_blocks(ImportKind::profiles, "mcid,login,name\n30000002,one@outlook.com,Two Renamed\n");
    CHECK(w.store->find_account(AccountKind::profile, 30000002)->login == "one@outlook.com");

    import_in_blocks(ImportKind::credentials,
                     "mcid,code,title,type,passed_on\n"
                     "30000001,AZ-104,Old title,exam,2025-01-10\n"
                     "30000001,AZ-900,Fundamentals,exam,2025-01-11\n"
                     "30000001,AZ-104,New title,certification,2025-02-10\n"
                     "30000002,AZ-104,Two's,exam,2025-03-01\n");
    const auto creds = w.store->credentials_of(30000001);
    REQUIRE(creds.size() == 2);
    CHECK(creds[0].code == "AZ-104");
    CHECK(creds[0].title == "New title");
    CHECK(creds[0].type == CredentialType::certification);
    CHECK(creds[0].passed_on == Date::parse("2025-02-10"));
    CHECK(count_credentials(*w.store, 30000002) == 1);
    // Importing the same file again changes nothing.
    import_in_blocks(ImportKind::credentials,
                     "mcid,code,title,type,passed_on\n"
                     "30000001,AZ-104,New title,certification,2025-02-10\n");
    CHECK(w.store->credentials_of(30000001)[0].title == "New title");

    import_in_blocks(ImportKind::university_accounts,
                     "login,name\npu@school.edu,First\nother@school.edu,Other\n"
                     "PU@school.edu,Last\n");
    const auto pu = w.store->find_account_by_login(AccountKind::university, "pu@school.edu");
    REQUIRE(pu);
    CHECK(pu->name == "Last");
}

TEST_CASE("registry import: missing profiles are found together and reported in line order") {
    World w;
    import(w, ImportKind::profiles, "mcid,login,name\n12345678,alice@outlook.com,Alice\n");
    // Line 2's profile is missing (found when the profiles are looked up together, after line
    // 5's bad type was found): line 2 is still named first, and each row of a missing profile
    // is a bad row.
    const std::string bad =
        "mcid,code,title,type\n99999999,AZ-104,Admin,exam\n99999999,AZ-900,Fundamentals,exam\n"
        "12345678,AZ-305,Expert,certification\n12345678,AZ-400,DevOps,certificate\n"
        "88888888,AZ-500,Security,exam\n";
    try {
        import(w, ImportKind::credentials, bad);
        FAIL("expected UsageError");
    } catch (const UsageError& e) {
        const std::string m = e.what();
        INFO(m);
        CHECK(m.find("4 bad rows, nothing was imported: line 2: mcid: no profile 99999999 (import profiles first); "
                     "line 3: mcid: no profile 99999999 (import profiles first); line 5: type") != std::string::npos);
        CHECK(m.find("line 6: mcid: no profile 88888888") != std::string::npos);
    }
    CHECK(count_credentials(*w.store, 12345678) == 0);
}

TEST_CASE("registry import on a server store: a first credentials import is one load, with the keys built after",
          "[pg]") {
    PgDatabase db;
    World w(open_pg_store(db.uri, OpenMode::create));
    auto& c = dynamic_cast<store::PgStore&>(*w.store).connection();
    add_profile(*w.store, 30000001, "one@outlook.com");
    add_profile(*w.store, 30000002, "two@outlook.com");
    // The load drops the table's keys and builds them again: new objects, new ids.
    const auto key_id = [&] {
        return c.query("SELECT 'credentials_pkey'::regclass::oid::bigint").row(0).int64(0);
    };
    const auto before = key_id();
    const std::string csv =
        "mcid,code,title,type,passed_on\n30000001,AZ-104,Admin,certification,2025-01-10\n"
        "30000002,AZ-900,\"Fundamentals \\\\ of, \"\"Azure\"\"\",exam,\n";
    const auto count = [&] {
        return c.query("SELECT count(*) FROM credentials").row(0).int64(0);
    };

    SECTION("loaded whole, and the table is then as a new store's; the next import goes in blocks") {
        CHECK(import(w, ImportKind::credentials, csv).rows == 2);
        CHECK(count() == 2);
        const auto loaded = key_id();
        CHECK(loaded != before);
        const auto two = w.store->credentials_of(30000002);
        REQUIRE(two.size() == 1);
        CHECK(two[0].title == "Fundamentals \\\\ of, \"Azure\"");  // COPY's escapes undone
        CHECK_FALSE(two[0].passed_on);
        CHECK(w.store->credentials_of(30000001).at(0).passed_on == Date::parse("2025-01-10"));
        PgDatabase fresh;
        store::pg::Connection made(fresh.uri);
        open_pg_store(fresh.uri, OpenMode::create);
        CHECK(pg_schema_text(c) == pg_schema_text(made));
        CHECK(import(w, ImportKind::credentials, csv).rows == 2);
        CHECK(key_id() == loaded);
        CHECK(count() == 2);
    }
    SECTION("a key twice in the file: the load is dropped, and the import in blocks keeps the last row") {
        CHECK(import(w, ImportKind::credentials, csv + "30000001,AZ-104,Newer,exam,\n").rows == 3);
        CHECK(key_id() == before);
        CHECK(w.store->credentials_of(30000001).at(0).title == "Newer");
    }
    SECTION("an MCID with no profile: not loaded, and named by its line") {
        CHECK_THROWS_WITH(import(w, ImportKind::credentials, csv + "99999999,AZ-104,Admin,exam,\n"),
                          Catch::Contains("line 4: mcid: no profile 99999999"));
        CHECK(key_id() == before);
        CHECK(count() == 0);
    }
    SECTION("someone has linked: in blocks, which keep the linked people's competency status") {
        exec_sql(*w.store,
                 fmt::format("INSERT INTO links(mcid, user_id, org_id, linked_at) VALUES (30000001, {}, {}, 0)",
                             w.alice.user_id, *w.alice.org_id));
        CHECK(import(w, ImportKind::credentials, csv).rows == 2);
        CHECK(key_id() == before);
        CHECK(count() == 2);
    }
    SECTION("the tables in use by another session: in blocks, without waiting for it") {
        store::pg::Connection other(db.uri);
        other.exec("BEGIN");
        other.exec("SELECT count(*) FROM profiles");  // holds its lock on profiles to the end
        CHECK(import(w, ImportKind::credentials, csv).rows == 2);
        CHECK(key_id() == before);
        other.exec("ROLLBACK");
        CHECK(count() == 2);
    }
    SECTION("a role that does not own the tables (docs/operations.md): in blocks") {
        const std::string role = "app_" + db.name;
        c.exec(fmt::format("CREATE ROLE {} LOGIN", role));
        c.exec(fmt::format("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}", role));
        c.exec(fmt::format("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}", role));
        std::string uri = db.uri;
        const auto at = uri.find("user=postgres");
        REQUIRE(at != std::string::npos);
        uri.replace(at, 13, "user=" + role);
        {
            const auto app = open_pg_store(uri, OpenMode::open_existing);
            std::istringstream in(csv);
            CHECK(Importer(*app, w.clock).import_registry(w.op, ImportKind::credentials, in, {}).rows == 2);
        }
        CHECK(key_id() == before);
        CHECK(count() == 2);
        c.exec(fmt::format("DROP OWNED BY {}", role));
        c.exec(fmt::format("DROP ROLE {}", role));
    }
}
