#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/identity.hpp>
#include <mcid/policy.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/registry.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

namespace mcid {
namespace {

// Checks the role before the slow hash, and hashes before taking the write lock.
std::string operator_password_hash(const Actor& actor, std::string_view password) {
    require_operator(actor, "change the registry");
    return make_password_hash(password);
}

}  // namespace

void Registry::add_profile(const Actor& actor, const Mcid& mcid, const std::string& login, const std::string& name,
                           std::string_view password) {
    const std::string hash = operator_password_hash(actor, password);
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        require_operator(refresh_actor(m_store, actor), "change the registry");
        if (m_store.find_account(AccountKind::profile, mcid.value)) {
            throw Conflict(fmt::format("profile {} already exists", mcid.str()));
        }
        if (m_store.find_account_by_login(AccountKind::profile, login)) {
            throw Conflict(fmt::format("a profile with sign-in name {} already exists", login));
        }
        m_store.upsert_account(AccountKind::profile, ExternalAccount{mcid.value, login, name, hash, 0, 0});
        AuditLog(m_store, m_clock)
            .record({actor.email, std::nullopt, "registry.add-profile", mcid.str(), "ok", login, ""});
        tx->commit();
    });
}

void Registry::add_credential(const Actor& actor, const Credential& c) {
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        require_operator(refresh_actor(m_store, actor), "change the registry");
        if (!m_store.find_account(AccountKind::profile, c.mcid)) {
            throw NotFound(fmt::format("no profile with MCID {}", c.mcid),
                           "add it with 'mcidctl registry add-profile'");
        }
        if (m_store.credential_exists(c.mcid, c.code)) {
            throw Conflict(fmt::format("profile {} already has credential {}", c.mcid, c.code));
        }
        if (c.passed_on && c.expires_on && *c.expires_on < *c.passed_on) {
            throw UsageError("--expires-on: must not be before --passed-on");
        }
        m_store.upsert_credential(c);
        CompetencyStatus(m_store).refresh_account(AccountKind::profile, c.mcid);
        AuditLog(m_store, m_clock)
            .record({actor.email, std::nullopt, "registry.add-credential", std::to_string(c.mcid), "ok", c.code, ""});
        tx->commit();
    });
}

void Registry::add_university_account(const Actor& actor, const std::string& login, const std::string& name,
                                      std::string_view password) {
    const std::string hash = operator_password_hash(actor, password);
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        require_operator(refresh_actor(m_store, actor), "change the registry");
        if (m_store.find_account_by_login(AccountKind::university, login)) {
            throw Conflict(fmt::format("a Partner University account {} already exists", login));
        }
        m_store.upsert_account(AccountKind::university, ExternalAccount{0, login, name, hash, 0, 0});
        AuditLog(m_store, m_clock)
            .record({actor.email, std::nullopt, "registry.add-university-account", login, "ok", "", ""});
        tx->commit();
    });
}

void Registry::add_assessment(const Actor& actor, const std::string& login, Assessment a) {
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        require_operator(refresh_actor(m_store, actor), "change the registry");
        const auto account = m_store.find_account_by_login(AccountKind::university, login);
        if (!account) {
            throw NotFound(fmt::format("no Partner University account {}", login),
                           "add it with 'mcidctl registry add-university-account'");
        }
        a.account_id = account->id;
        if (m_store.assessment_exists(a.account_id, a.title)) {
            throw Conflict(fmt::format("{} already has the assessment '{}'", login, a.title));
        }
        m_store.upsert_assessment(a);
        CompetencyStatus(m_store).refresh_account(AccountKind::university, a.account_id);
        AuditLog(m_store, m_clock)
            .record({actor.email, std::nullopt, "registry.add-assessment", login, "ok", a.title, ""});
        tx->commit();
    });
}

void Registry::define_competency(const Actor& actor, const Competency& c, const RebuildSteps& steps) {
    std::string token;  // empty: the periods were never built, so every competency is rebuilt
    {
        auto tx = m_store.begin_write();
        require_operator(refresh_actor(m_store, actor), "define competencies");
        std::string codes;
        for (const auto& code : c.codes) {
            codes += (codes.empty() ? "" : ",") + code;
        }
        m_store.replace_competency(c);
        if (!periods_never_built(m_store.competency_periods_stale_jobs())) {
            token = mark_rebuild_started(m_store);  // this define's own mark, whatever other jobs run
        }
        AuditLog(m_store, m_clock)
            .record({actor.email, std::nullopt, "competency.define", c.name, "ok",
                     fmt::format("requires {} held by {}", codes, c.individuals), ""});
        tx->commit();
    }
    // Other writers go on between the steps; reports count from the credentials until the last.
    if (token.empty()) {
        rebuild_competency_status(m_store, {}, steps);  // a store from schema 1
    } else {
        rebuild_competency_holders(m_store, c.name, token, steps);
    }
}

std::vector<Competency> Registry::list_competencies() {
    auto tx = m_store.begin_read();
    return m_store.list_competencies();
}

std::vector<std::pair<std::string, std::string>> Registry::config_list() {
    const auto config = m_store.config_all();
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& k : config_keys()) {
        const auto it = config.find(k.key);
        out.emplace_back(std::string(k.key), it == config.end() ? std::string(k.default_value) : it->second);
    }
    return out;
}

std::string Registry::config_get(std::string_view key) {
    for (auto& [k, v] : config_list()) {
        if (k == key) {
            return v;
        }
    }
    normalize_config_value(key, "");  // throws the unknown-key error with the list of keys
    return {};
}

void Registry::config_set(const Actor& actor, std::string_view key, std::string_view value) {
    const std::string normalized = normalize_config_value(key, value);
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        require_operator(refresh_actor(m_store, actor), "change the config");
        const std::string before = m_store.config_get(key).value_or("default");
        const Policy was = Policy::load(m_store);
        m_store.config_set(key, normalized);
        const Policy now = Policy::load(m_store);
        const bool delays_changed = now.reflection_existing.seconds != was.reflection_existing.seconds ||
                                    now.reflection_new.seconds != was.reflection_new.seconds;
        if (delays_changed) {
            mark_rebuild_started(m_store);  // until the rebuild below, which clears it, has been through every user
        }
        AuditLog(m_store, m_clock)
            .record({actor.email, std::nullopt, "config.set", std::string(key), "ok",
                     fmt::format("{} -> {}", before, normalized), ""});
        tx->commit();
        if (delays_changed) {
            rebuild_competency_status(m_store);  // every period starts at a reflection
        }
    });
}

}  // namespace mcid
