#pragma once
// The PostgreSQL store's schema: its version in the mcidctl_schema table (PostgreSQL has no
// PRAGMA user_version) and the numbered migrations of src/store/pg_migrations, applied in one
// transaction under an advisory lock, so two first runs on an empty database cannot race.
#include "store/pg.hpp"

#include <mcid/store.hpp>

namespace mcid::store::pg {

// The newest schema this mcidctl knows.
int known_schema_version();
// The database's schema version: 0 when it holds no mcidctl store.
int schema_version(Connection& c);
// Brings the database to the newest schema. OpenMode::create on a database without a store
// creates one; OpenMode::open_existing there is StoreError (9, "no store"). A newer schema than
// this mcidctl knows is StoreError (9). Returns the version before the call (0: created now).
int migrate(Connection& c, OpenMode mode, const std::string& name);
// The same inside the caller's transaction (db copy creates the schema and fills it in one).
// Existing::refuse: a database that already holds a store is Conflict (5).
enum class Existing { migrate, refuse };
int migrate_in_transaction(Connection& c, OpenMode mode, const std::string& name,
                           Existing existing = Existing::migrate);

}  // namespace mcid::store::pg
