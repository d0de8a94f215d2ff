#pragma once
// The audit log (rule 11): every change, failed sign-in and denied action, in the same
// transaction as the change. Rows form a hash chain anchored at the `init` row: each hash covers
// the previous hash, the row's position and every field, so an edited, removed, inserted or
// reordered row breaks the chain; `audit head` kept elsewhere also catches a cut tail or a chain
// rewritten from scratch (verify's `expect`).
#include <mcid/actor.hpp>
#include <mcid/clock.hpp>
#include <mcid/store.hpp>

#include <functional>
#include <optional>
#include <string>

namespace mcid {

struct AuditEvent {
    std::string actor;  // email of who acted ("-" when unknown)
    std::optional<std::int64_t> org_id;
    std::string action;
    std::string target;
    std::string outcome = "ok";
    std::string detail;
    std::string batch;
};

struct AuditVerification {
    bool ok = true;
    std::int64_t rows = 0;
    std::int64_t first_bad_id = 0;
    std::string problem;
    std::string head_hash;      // the last row's hash
    std::int64_t rule1_rows = 0;  // rows written before schema 3, verified by the older rule
};

class AuditLog {
public:
    AuditLog(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Appends one event; call inside the write transaction of the change it records.
    void record(const AuditEvent& event);
    // Appends events in order (one read of the head for the lot).
    void record_all(const std::vector<AuditEvent>& events);
    // Records a refused command (rule 11: denied actions are audited) in a transaction of its own,
    // since the refused command's transaction was rolled back.
    void record_denied(const Actor& actor, const std::string& action, const std::string& reason);
    // Throws PermissionDenied unless the actor may read the log (the operator, Global Admins).
    static void require_reader(const Actor& actor);
    // Lists events the actor may see (operator: all; global admins: their organization; others: 4).
    void list(const Actor& actor, AuditFilter filter, const std::function<void(const AuditRecord&)>& fn);
    // Recomputes the chain from the `init` row; with `expect`, also that row expect->rows still
    // has hash expect->hash (a head saved earlier). Operator only: the chain spans every
    // organization. Never throws for a broken chain: the result says where it breaks.
    AuditVerification verify(const Actor& actor, const std::optional<AuditHead>& expect = std::nullopt);
    // verify() without the access check, for `db check`.
    AuditVerification verify_chain(const std::optional<AuditHead>& expect = std::nullopt);
    // The number of rows and the last hash, to keep outside the store. Operator only.
    AuditHead head(const Actor& actor);

    // The `sealed` value for a row about to have its text replaced: the digests of its original
    // actor, target and detail, which chain_hash() then uses instead of the text.
    static std::string seal_digests(const AuditRecord& original);
    // The hash of a row (rule 2: position, previous hash and a digest of every field).
    static std::string chain_hash(const AuditRecord& record);
    // The first row hashed by rule 2 (recorded by the schema-3 migration; 1 for a new store).
    static std::int64_t rule2_from(Store& store);
    // The hash of a row written before schema 3 (rule 1: no position, fields in clear).
    static std::string rule1_hash(const AuditRecord& record);

private:
    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
