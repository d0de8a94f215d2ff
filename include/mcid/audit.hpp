#pragma once
// The audit log (rule 11): every change, failed sign-in and denied action, in the same
// transaction as the change. Rows form a hash chain: each hash covers the previous one and the row.
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
};

class AuditLog {
public:
    AuditLog(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Appends one event; call inside the write transaction of the change it records.
    void record(const AuditEvent& event);
    // Records a refused command (rule 11: denied actions are audited) in a transaction of its own,
    // since the refused command's transaction was rolled back.
    void record_denied(const Actor& actor, const std::string& action, const std::string& reason);
    // Throws PermissionDenied unless the actor may read the log (the operator, Global Admins).
    static void require_reader(const Actor& actor);
    // Lists events the actor may see (operator: all; global admins: their organization; others: 4).
    void list(const Actor& actor, AuditFilter filter, const std::function<void(const AuditRecord&)>& fn);
    // Recomputes the chain. Operator and global admins only (the chain spans every organization).
    AuditVerification verify(const Actor& actor);

    // The hash of a row given the previous hash (exposed for tests).
    static std::string chain_hash(const AuditRecord& record);

private:
    Store& m_store;
    const Clock& m_clock;
};

}  // namespace mcid
