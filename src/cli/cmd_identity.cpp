// init, login, logout, whoami.
#include "cli/app.hpp"
#include "cli/output.hpp"
#include "cli/terminal.hpp"

#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/linking.hpp>
#include <mcid/policy.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace mcid::cli {
namespace {

// Writes the token to the session file: folders 0700, file 0600, replaced atomically.
void save_session(const std::string& path, const std::string& token) {
    const std::filesystem::path file(path);
    std::vector<std::filesystem::path> missing;
    for (auto p = file.parent_path(); !p.empty() && !std::filesystem::exists(p); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
            throw UsageError(fmt::format("cannot create {}: {}", it->string(), std::strerror(errno)));
        }
    }
    // A fresh name, created 0600 with O_EXCL: a symlink or file planted beside the session file
    // is never followed or overwritten.
    std::string tmp = path + ".XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) {
        throw UsageError(fmt::format("cannot write session file {}: {}", path, std::strerror(errno)),
                         "set MCIDCTL_SESSION, or use --print-token and MCIDCTL_TOKEN");
    }
    const std::string line = token + "\n";
    const bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw UsageError(fmt::format("cannot write session file {}: {}", path, std::strerror(errno)));
    }
}

Json whoami_json(const WhoAmI& w) {
    Json credentials = Json::array();
    for (const auto& c : w.credentials) {
        credentials.push_back(Json{
            {"code", c.code.empty() ? Json() : Json(c.code)},
            {"title", c.title},
            {"source", c.source == AccountKind::profile ? "learning" : "partner-university"},
            {"type", c.type},
            {"passed_on", c.passed_on ? Json(c.passed_on->str()) : Json()},
            {"expires_on", c.expires_on ? Json(c.expires_on->str()) : Json()},
            {"status", c.expired ? "expired" : "active"},
            {"state", c.reflected ? "reflected" : "pending"},
            {"reflected_on", Date::of(c.reflected_at).str()},
        });
    }
    const auto date = [](const std::optional<Instant>& t) { return t ? Json(Date::of(*t).str()) : Json(); };
    return Json{
        {"email", w.actor.email},
        {"name", w.actor.name},
        {"role", std::string(to_string(w.actor.role))},
        {"mpn_id", w.org ? Json(w.org->mpn_id) : Json()},
        {"organization", w.org ? Json(w.org->name) : Json()},
        {"mcid", w.mcid ? Json(std::to_string(*w.mcid)) : Json()},
        {"linked_on", date(w.linked_at)},
        {"university_login", w.university_login ? Json(*w.university_login) : Json()},
        {"university_associated_on", date(w.associated_at)},
        {"associations_used", w.profile_quota.used},
        {"association_limit", w.profile_quota.limit},
        {"next_association_on", w.profile_quota.next_on ? Json(w.profile_quota.next_on->str()) : Json()},
        {"university_associations_used", w.university_quota.used},
        {"next_university_association_on",
         w.university_quota.next_on ? Json(w.university_quota.next_on->str()) : Json()},
        {"credentials", credentials},
    };
}

void print_whoami(const Context& ctx, const WhoAmI& w) {
    const Json j = whoami_json(w);
    if (ctx.format() != Format::table) {
        if (ctx.format() == Format::csv || ctx.format() == Format::xlsx) {
            print_rows(ctx, {"code", "title", "source", "type", "passed_on", "expires_on", "status", "state",
                             "reflected_on"},
                       j["credentials"].get<std::vector<Json>>());
        } else {
            print_object(ctx, j);
        }
        return;
    }
    print_object(ctx, j);
    if (!ctx.columns().empty()) {
        return;  // --columns chose what to show
    }
    if (!w.credentials.empty()) {
        ctx.out() << "\nCredentials:\n";
        print_rows(ctx, {"code", "title", "source", "status", "state", "reflected_on"},
                   j["credentials"].get<std::vector<Json>>());
    } else if (!w.actor.is_operator()) {
        ctx.out() << "\nNo credentials yet: link your certification profile with 'mcidctl link --login LOGIN'.\n";
    }
}

}  // namespace

void register_identity(CLI::App& app, Context& ctx) {
    {
        struct Options {
            std::string email;
            bool password_stdin = false;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = app.add_subcommand("init", "Create a new store and its operator account");
        cmd->add_option("--operator", o->email, "The operator's email")->required();
        cmd->add_flag("--password-stdin", o->password_stdin, "Read the new password from the first line of stdin");
        examples(cmd, {"mcidctl init --operator ops@example.com",
                       "printf '%s\\n' \"$PW\" | mcidctl --db /srv/mcid.db init --operator ops@example.com --password-stdin"});
        cmd->callback([&ctx, o] {
            const Email email = Email::parse(o->email, "--operator");
            // A new store is created only once the password is good, so a failed first run leaves
            // no file behind. (An existing one is opened first: a rerun with the same operator and
            // password is a no-op, any other is exit 5.)
            std::error_code ec;
            const bool exists = is_server_store_uri(ctx.db_path()) || std::filesystem::exists(ctx.db_path(), ec);
            Store* opened = exists ? &ctx.store(OpenMode::create) : nullptr;
            const std::string pw =
                read_password(ctx, o->password_stdin, PasswordKind::new_password, "New operator password");
            Store& store = opened ? *opened : ctx.store(OpenMode::create);
            if (!Identity(store, ctx.clock()).init(email, pw)) {
                ctx.info(fmt::format("store {} is already initialized with operator {}; nothing changed", store.path(),
                                     email.value));
                return;
            }
            ctx.info(fmt::format("initialized store {} with operator {}", store.path(), email.value));
            ctx.info(fmt::format("next: mcidctl login {}", email.value));
        });
    }
    {
        struct Options {
            std::string email;
            bool password_stdin = false;
            bool print_token = false;
            std::string ttl;
        };
        auto o = std::make_shared<Options>();
        auto* cmd = app.add_subcommand("login", "Sign in and save a session");
        cmd->add_option("email", o->email, "Your account's email")->required();
        cmd->add_flag("--password-stdin", o->password_stdin, "Read the password from the first line of stdin");
        cmd->add_flag("--print-token", o->print_token, "Print the session token instead of saving it");
        cmd->add_option("--ttl", o->ttl, "Session lifetime (like 30m, 12h, 60d; at most 90d)");
        examples(cmd, {"mcidctl login admin@contoso.com",
                       "export MCIDCTL_TOKEN=$(printf '%s\\n' \"$PW\" | mcidctl login bot@contoso.com --password-stdin "
                       "--print-token --ttl 90d)"});
        cmd->callback([&ctx, o] {
            const Email email = Email::parse(o->email, "email");
            std::optional<Duration> ttl;
            if (!o->ttl.empty()) {
                ttl = Duration::parse(o->ttl, "--ttl");
                if (ttl->seconds > k_max_session_ttl) {
                    throw UsageError("--ttl: at most 90d");
                }
            }
            Store& store = ctx.store();
            const std::string pw = read_password(ctx, o->password_stdin, PasswordKind::existing, "Password");
            const SignIn s = Identity(store, ctx.clock()).login(email, pw, ttl);
            if (o->print_token) {
                ctx.out() << s.token << '\n';
            } else {
                save_session(ctx.session_path(), s.token);
            }
            ctx.info(fmt::format("signed in as {} ({}) until {}", s.actor.email, to_string(s.actor.role),
                                 format_instant(s.expires_at)));
        });
    }
    {
        auto* cmd = app.add_subcommand("logout", "End the saved session");
        examples(cmd, {"mcidctl logout", "MCIDCTL_TOKEN=$TOKEN mcidctl logout   # ends that session only"});
        cmd->callback([&ctx] {
            const std::string token = ctx.token();
            if (!token.empty()) {
                Identity(ctx.store(), ctx.clock()).logout(token);
            }
            // With $MCIDCTL_TOKEN, only that session ends; the saved session file is someone else's.
            if (!ctx.token_from_environment()) {
                std::error_code ec;
                std::filesystem::remove(ctx.session_path(), ec);
            }
            ctx.info(token.empty() ? "not signed in" : "signed out");
        });
    }
    {
        auto* cmd = app.add_subcommand("whoami", "Show who you are, your links, credentials and association limit");
        examples(cmd, {"mcidctl whoami", "mcidctl whoami --format json | jq .next_association_on"});
        cmd->callback([&ctx] {
            const Actor actor = ctx.actor();
            print_whoami(ctx, Linking(ctx.store(), ctx.clock()).whoami(actor));
        });
    }
}

}  // namespace mcid::cli
