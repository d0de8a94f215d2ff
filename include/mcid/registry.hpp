#pragma once
// The registry: certification profiles, their credentials, Partner University accounts and
// their assessments (data that in the real world belongs to the certification provider), plus
// the operator's competency definitions and config. Operator only for changes.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/qualifications.hpp>
#include <mcid/store.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcid {

class Registry {
public:
    Registry(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Conflict when the MCID or the sign-in name is taken. `password` is hashed here.
    void add_profile(const Actor& actor, const Mcid& mcid, const std::string& login, const std::string& name,
                     std::string_view password);
    // NotFound for an unknown MCID; Conflict when the profile already has the code.
    void add_credential(const Actor& actor, const Credential& credential);
    void add_university_account(const Actor& actor, const std::string& login, const std::string& name,
                                std::string_view password);
    // NotFound for an unknown sign-in name; Conflict when the account already has the title.
    void add_assessment(const Actor& actor, const std::string& login, Assessment assessment);

    // Replaces the competency's requirements when the name exists. The definition (and its audit
    // row) is one transaction; the holders' competency status is then recomputed in steps
    // (rebuild_competency_holders), so a widely held competency never holds the write lock long.
    void define_competency(const Actor& actor, const Competency& competency, const RebuildSteps& steps = {});
    std::vector<Competency> list_competencies();

    std::vector<std::pair<std::string, std::string>> config_list();
    std::string config_get(std::string_view key);
    void config_set(const Actor& actor, std::string_view key, std::string_view value);

private:
    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
