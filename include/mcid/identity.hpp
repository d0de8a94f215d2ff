#pragma once
// Identity: creating the store's operator, signing in and out, and resolving session tokens.
// Tokens are random and stored only as hashes; failed sign-ins lock an account after five in a row.
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/store.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mcid {

struct SignIn {
    std::string token;  // shown once, never stored
    Instant expires_at = 0;
    Actor actor;
};

class Identity {
public:
    Identity(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Creates the operator account. Running it again with the same operator and password is a
    // no-op (returns false); any other operator or password on an initialized store: Conflict.
    bool init(const Email& operator_email, std::string_view password);
    // Throws AuthError for a wrong password, an unknown/inactive account or a locked one
    // (the failure is recorded before throwing); UsageError for a ttl above 90 days.
    SignIn login(const Email& email, std::string_view password, std::optional<Duration> ttl);
    // Throws AuthError when the token is unknown, expired or its account is no longer active.
    Actor authenticate(std::string_view token);
    // Revokes the session; unknown tokens are ignored.
    void logout(std::string_view token);

private:
    Store& m_store;
    const Clock& m_clock;
};

// Throws UsageError unless a new password is acceptable (at least 12 characters).
void check_new_password(std::string_view password);
// The Argon2id hash string of an acceptable new password (for registry import feeds).
std::string make_password_hash(std::string_view password);

}  // namespace mcid
