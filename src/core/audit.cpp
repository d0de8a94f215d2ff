#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/error.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace mcid {
namespace {

// Each field as <length>:<bytes>, so no field content can shift a boundary.
void append_field(std::string& out, std::string_view field) {
    std::array<char, 24> length{};
    const auto end = std::to_chars(length.data(), length.data() + length.size(), field.size()).ptr;
    out.append(length.data(), end);
    out += ':';
    out += field;
}

void append_number_field(std::string& out, std::int64_t n) {
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), n).ptr;
    append_field(out, std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
}

// The three text fields' digests: stored in `sealed` when the text was replaced, else computed.
struct TextDigests {
    std::string actor, target, detail;
};

std::optional<TextDigests> parse_sealed(std::string_view sealed) {
    TextDigests d;
    const auto a = sealed.find(' ');
    const auto b = a == std::string_view::npos ? a : sealed.find(' ', a + 1);
    if (b == std::string_view::npos) {
        return std::nullopt;
    }
    d.actor = sealed.substr(0, a);
    d.target = sealed.substr(a + 1, b - a - 1);
    d.detail = sealed.substr(b + 1);
    return d;
}

// Rule 2's hash of `r` into `out`; `canonical` is scratch space, reused from row to row.
void chain_hash_into(std::string& out, std::string& canonical, const AuditRecord& r, const TextDigests& d) {
    canonical.assign("mcidctl-audit-2");
    append_field(canonical, r.prev_hash);
    append_number_field(canonical, r.id);
    append_number_field(canonical, r.at);
    append_field(canonical, d.actor);
    if (r.org_id) {
        append_number_field(canonical, *r.org_id);
    } else {
        append_field(canonical, "");
    }
    for (const std::string* field : {&r.action, &d.target, &r.outcome, &d.detail, &r.batch}) {
        append_field(canonical, *field);
    }
    crypto::digest_hex_into(out, canonical);
}

std::string chain_hash_of(const AuditRecord& r, const TextDigests& d) {
    std::string out;
    std::string canonical;
    chain_hash_into(out, canonical, r, d);
    return out;
}

}  // namespace

std::int64_t AuditLog::rule2_from(Store& store) {
    std::int64_t n = 1;
    if (const auto v = store.config_get("audit.rule2_from")) {
        std::from_chars(v->data(), v->data() + v->size(), n);
    }
    return n;
}

std::string AuditLog::rule1_hash(const AuditRecord& r) {
    const std::string canonical =
        fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", r.prev_hash, 0, r.at, r.actor,
                    r.org_id ? std::to_string(*r.org_id) : "", r.action, r.target, r.outcome, r.detail, r.batch);
    return crypto::digest_hex(canonical);
}

std::string AuditLog::seal_digests(const AuditRecord& original) {
    return crypto::digest_hex(original.actor) + " " + crypto::digest_hex(original.target) + " " +
           crypto::digest_hex(original.detail);
}

std::string AuditLog::chain_hash(const AuditRecord& r) {
    const auto sealed = r.sealed.empty() ? std::nullopt : parse_sealed(r.sealed);
    return chain_hash_of(r, sealed ? *sealed
                                   : TextDigests{crypto::digest_hex(r.actor), crypto::digest_hex(r.target),
                                                 crypto::digest_hex(r.detail)});
}

void AuditLog::record(const AuditEvent& e) {
    record_all({e});
}

namespace {
constexpr std::size_t k_audit_block = 5000;
}  // namespace

void AuditLog::record_all(const std::vector<AuditEvent>& events) {
    if (events.empty()) {
        return;
    }
    // Inside the write transaction the head cannot move: the next position is the head's + 1.
    const auto head = m_store.audit_head();
    std::int64_t id = head ? head->rows : 0;
    std::string prev = head ? head->hash : "";
    const Instant now = m_clock.now();
    TextDigests d;
    std::string canonical;
    // Appended in blocks (one round trip each on a server store), each block's records written
    // over the last one's: a 100,000-row batch allocates nothing per row here, inside its lock.
    std::vector<AuditRecord> rows(std::min(events.size(), k_audit_block));
    std::size_t n = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const AuditEvent& e = events[i];
        AuditRecord& r = rows[n++];
        r.id = ++id;
        r.at = now;
        r.actor = e.actor.empty() ? std::string_view("-") : std::string_view(e.actor);
        r.org_id = e.org_id;
        r.action = e.action;
        r.target = e.target;
        r.outcome = e.outcome;
        r.detail = e.detail;
        r.batch = e.batch;
        r.prev_hash = prev;
        // A batch's rows share their actor and mostly their detail: each digest is taken once
        // per run of equal text, which halves the hashing a purge does inside its write lock.
        if (i == 0 || e.actor != events[i - 1].actor) {
            crypto::digest_hex_into(d.actor, r.actor);
        }
        if (i == 0 || e.detail != events[i - 1].detail) {
            crypto::digest_hex_into(d.detail, r.detail);
        }
        crypto::digest_hex_into(d.target, r.target);
        chain_hash_into(r.hash, canonical, r, d);
        prev = r.hash;
        if (n == rows.size() || i + 1 == events.size()) {
            rows.resize(n);
            m_store.insert_audit(rows);
            n = 0;
        }
    }
}

void AuditLog::record_denied(const Actor& actor, const std::string& action, const std::string& reason) {
    return run_write_unit(m_store, [&]() -> void {
        auto tx = m_store.begin_write();
        record({actor.email, actor.org_id, action, "-", "denied", reason, ""});
        tx->commit();
    });
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

AuditHead AuditLog::head(const Actor& actor) {
    require_operator(actor, "read the audit log's head");
    auto tx = m_store.begin_read();
    return m_store.audit_head().value_or(AuditHead{});
}

AuditVerification AuditLog::verify(const Actor& actor, const std::optional<AuditHead>& expect) {
    require_operator(actor, "verify the whole audit log (it spans every organization)");
    return verify_chain(expect);
}

AuditVerification AuditLog::verify_chain(const std::optional<AuditHead>& expect) {
    AuditVerification v;
    std::string prev;
    std::string expected_row_hash;
    auto tx = m_store.begin_read();
    const std::int64_t switch_row = rule2_from(m_store);
    const auto fail = [&](std::int64_t row, std::string problem) {
        v.ok = false;
        v.first_bad_id = row;
        v.problem = std::move(problem);
    };
    m_store.for_each_audit({}, [&](const AuditRecord& r) {
        if (!v.ok) {
            return;
        }
        const std::int64_t position = v.rows + 1;
        ++v.rows;
        if (r.id != position) {
            fail(position, r.id > position ? fmt::format("row {} is missing (the next row is {})", position, r.id)
                                           : fmt::format("row {} is out of place", r.id));
            return;
        }
        if (position == 1 && (r.action != "init" || !r.prev_hash.empty())) {
            fail(1, "row 1 is not the store's `init` row: the start of the log was removed or replaced");
            return;
        }
        if (r.prev_hash != prev) {
            fail(position, fmt::format("row {} does not follow row {}: a row was removed, inserted or reordered",
                                       position, position - 1));
            return;
        }
        const bool rule1 = position < switch_row;
        if ((rule1 ? rule1_hash(r) : chain_hash(r)) != r.hash) {
            fail(position, fmt::format("row {} was changed after it was written", position));
            return;
        }
        v.rule1_rows += rule1 ? 1 : 0;
        if (expect && position == expect->rows) {
            expected_row_hash = r.hash;
        }
        prev = r.hash;
    });
    v.head_hash = prev;
    if (v.ok && v.rows == 0 && m_store.any_operator()) {
        fail(1, "the log is empty but the store has accounts: its rows were removed");
    }
    if (v.ok && v.rows > 0 && switch_row > v.rows + 1) {
        fail(v.rows + 1, fmt::format("the log ends at row {} before the rule switch recorded at row {}: rows were "
                                     "removed",
                                     v.rows, switch_row));
    }
    if (v.ok && expect) {
        if (v.rows < expect->rows) {
            fail(v.rows + 1, fmt::format("the log has {} rows, fewer than the {} expected: rows were removed", v.rows,
                                         expect->rows));
        } else if (expected_row_hash != expect->hash) {
            fail(expect->rows,
                 fmt::format("row {} does not have the expected hash: the log was rewritten", expect->rows));
        }
    }
    return v;
}

}  // namespace mcid
