#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>

#include <fmt/format.h>

namespace mcid {

std::string AuditLog::chain_hash(const AuditRecord& r) {
    // Unit separators keep field boundaries unambiguous; the previous hash chains the rows.
    const std::string canonical =
        fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", r.prev_hash, r.id, r.at, r.actor,
                    r.org_id ? std::to_string(*r.org_id) : "", r.action, r.target, r.outcome, r.detail, r.batch);
    return crypto::digest_hex(canonical);
}

void AuditLog::record(const AuditEvent& e) {
    AuditRecord r;
    r.at = m_clock.now();
    r.actor = e.actor.empty() ? "-" : e.actor;
    r.org_id = e.org_id;
    r.action = e.action;
    r.target = e.target;
    r.outcome = e.outcome;
    r.detail = e.detail;
    r.batch = e.batch;
    r.prev_hash = m_store.last_audit_hash().value_or("");
    r.id = 0;  // the id is not known before insertion; the chain covers content and order
    r.hash = chain_hash(r);
    m_store.insert_audit(r);
}

void AuditLog::record_denied(const Actor& actor, const std::string& action, const std::string& reason) {
    auto tx = m_store.begin_write();
    record({actor.email, actor.org_id, action, "-", "denied", reason, ""});
    tx->commit();
}

void AuditLog::require_reader(const Actor& actor) {
    if (!actor.is_operator() && actor.role != Role::global_admin) {
        throw PermissionDenied("only Global Admins and the operator may read the audit log");
    }
}

void AuditLog::list(const Actor& actor, AuditFilter filter, const std::function<void(const AuditRecord&)>& fn) {
    require_reader(actor);
    if (!actor.is_operator()) {
        filter.org_id = actor.org_id;
    }
    auto tx = m_store.begin_read();
    m_store.for_each_audit(filter, fn);
}

AuditVerification AuditLog::verify(const Actor& actor) {
    require_reader(actor);
    AuditVerification v;
    std::string prev;
    std::int64_t last_id = 0;
    auto tx = m_store.begin_read();
    m_store.for_each_audit({}, [&](const AuditRecord& r) {
        if (!v.ok) {
            return;
        }
        ++v.rows;
        AuditRecord check = r;
        check.id = 0;
        if (r.prev_hash != prev) {
            v = {false, v.rows, r.id, fmt::format("row {} does not follow row {}: a row was removed or reordered",
                                                  r.id, last_id)};
        } else if (chain_hash(check) != r.hash) {
            v = {false, v.rows, r.id, fmt::format("row {} was changed after it was written", r.id)};
        } else if (last_id != 0 && r.id != last_id + 1) {
            v = {false, v.rows, r.id, fmt::format("rows {} to {} are missing", last_id + 1, r.id - 1)};
        }
        prev = r.hash;
        last_id = r.id;
    });
    return v;
}

}  // namespace mcid
