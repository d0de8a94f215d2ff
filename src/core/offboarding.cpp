#include "core/crypto.hpp"

#include <mcid/audit.hpp>
#include <mcid/csv.hpp>
#include <mcid/error.hpp>
#include <mcid/offboarding.hpp>
#include <mcid/write_unit.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace mcid {
namespace {

std::string trim(std::string_view s) { return std::string(trim_blanks(s)); }

bool same_email(std::string_view a, std::string_view b) {  // as the store compares them: ASCII, any case
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// The stale mark of a batch that drops its users' periods after its commit.
std::string periods_job(const std::string& batch) {
    return "purge-" + batch;
}

std::size_t step_users(const RebuildSteps& steps, const Store& store) {
    return static_cast<std::size_t>(std::max<std::int64_t>(steps.users_for(store), 1));
}

std::vector<std::int64_t> purged_ids(const std::vector<PurgeSubject>& users) {
    std::vector<std::int64_t> ids;
    ids.reserve(users.size());
    for (const PurgeSubject& u : users) {
        ids.push_back(u.user_id);
    }
    return ids;
}

}  // namespace

namespace {

// How an invalid target is shown: its line in a file, or the (printable) text typed.
std::string invalid_target(const PurgeTarget& t) {
    return t.line ? fmt::format("line {}", t.line) : printable(t.text.substr(0, 320));
}

}  // namespace

PurgeRow Offboarding::plan_email(const Actor& me, const PurgeTarget& target, const LookedUp& found, Plan& plan) {
    if (!found.valid) {
        return {invalid_target(target), "invalid",
                target.text.empty() ? "empty: no email address" : "not a valid email address"};
    }
    const std::string& email = found.email;
    const std::optional<PurgeSubject>& user = found.subject;
    if (!user) {
        return {email, "not-found", "no such user"};
    }
    if (user->role == Role::operator_ || user->org_id != me.org_id) {
        plan.audit.emplace_back(plan.row, AuditNote::not_ours);
        return {email, "denied", "not a user of your organization"};
    }
    if (user->user_id == me.user_id) {
        return {email, "denied", "you cannot purge your own account"};
    }
    if (user->status == UserStatus::deleted || plan.purged_users.count(user->user_id)) {
        return {email, "already-deleted", "deleted " + Date::of(user->deleted_at.value_or(m_clock.now())).str()};
    }
    std::string detail = "account deleted";
    PurgeSubject as_read = *user;
    if (user->mcid && plan.unlinked_mcids.count(*user->mcid)) {
        as_read.mcid.reset();  // an earlier --mcid target of the batch ends that link first (apply)
    } else if (user->mcid) {
        plan.unlinked_mcids.insert(*user->mcid);
        detail += fmt::format(", MCID {} unlinked", *user->mcid);
    }
    if (user->university) {
        detail += ", Partner University access ended";
    }
    plan.purged_users.insert(user->user_id);
    plan.users_to_purge.push_back(std::move(as_read));
    plan.audit.emplace_back(plan.row, AuditNote::purged);
    return {email, "purged", detail};
}

void Offboarding::look_up_emails(const std::vector<PurgeTarget>& targets, Plan& plan) {
    plan.emails.resize(targets.size());
    std::vector<std::size_t> index;
    std::vector<std::string> emails;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].kind != PurgeTarget::Kind::email) {
            continue;
        }
        try {
            emails.push_back(Email::parse(targets[i].text).value);
            index.push_back(i);
        } catch (const UsageError&) {  // plan_email reports it
        }
    }
    auto found = m_store.find_purge_subjects(emails);
    for (std::size_t k = 0; k < index.size(); ++k) {
        plan.emails[index[k]] = LookedUp{true, std::move(emails[k]), std::move(found[k])};
    }
}

void Offboarding::recheck_emails(Plan& plan) {
    // Emails are unique, so an account read by id that still has the email it was found by is
    // what the email names now, with everything the plan needs read afresh. Only the emails that
    // named no account, or whose account has another email now, are looked up again.
    // A few thousand at a time, in id order: memory stays small, and neighbouring ids share pages.
    std::vector<LookedUp*> by_id;
    for (auto& looked : plan.emails) {
        if (looked.valid && looked.subject) {
            by_id.push_back(&looked);
        }
    }
    std::sort(by_id.begin(), by_id.end(),
              [](const LookedUp* a, const LookedUp* b) { return a->subject->user_id < b->subject->user_id; });
    std::vector<LookedUp*> again;
    constexpr std::size_t k_chunk = 4096;
    for (std::size_t from = 0; from < by_id.size(); from += k_chunk) {
        const std::size_t to = std::min(by_id.size(), from + k_chunk);
        std::vector<std::int64_t> ids;
        for (std::size_t k = from; k < to; ++k) {
            ids.push_back(by_id[k]->subject->user_id);
        }
        auto now = m_store.find_purge_subjects_by_id(ids);
        for (std::size_t k = from; k < to; ++k) {
            auto& fresh = now[k - from];
            if (fresh && same_email(fresh->email, by_id[k]->email)) {
                by_id[k]->subject = std::move(fresh);
            } else {
                again.push_back(by_id[k]);
            }
        }
    }
    for (auto& looked : plan.emails) {
        if (looked.valid && !looked.subject) {
            again.push_back(&looked);
        }
    }
    std::vector<std::string> emails;
    for (const LookedUp* looked : again) {
        emails.push_back(looked->email);
    }
    auto found = m_store.find_purge_subjects(emails);
    for (std::size_t k = 0; k < again.size(); ++k) {
        again[k]->subject = std::move(found[k]);
    }
}

PurgeRow Offboarding::plan_mcid(const Actor& me, const PurgeTarget& target, Plan& plan) {
    Mcid mcid;
    try {
        mcid = Mcid::parse(target.text);
    } catch (const UsageError& e) {
        return {invalid_target(target), "invalid", "not an MCID (6 to 12 digits, not starting with 0)"};
    }
    // Rule 7: an MCID that is unregistered, unlinked, or linked to another organization gets one
    // answer, so an admin cannot probe where a person is. Only the operator's log tells them apart.
    auto link = m_store.find_link(AccountKind::profile, mcid.value);
    if (link && (plan.unlinked_mcids.count(mcid.value) || plan.purged_users.count(link->user_id))) {
        link.reset();  // this batch already ended it
    }
    if (!link || link->org_id != me.org_id) {
        if (link) {
            plan.audit.emplace_back(plan.row, AuditNote::mcid_elsewhere);
        }
        const auto last_user = m_store.last_association_user(AccountKind::profile, mcid.value);
        const auto last = last_user ? m_store.find_user(*last_user) : std::nullopt;
        if (last && last->org_id == me.org_id) {  // ours before: a rerun after the purge
            return {mcid.str(), "already-deleted", "no longer linked to your organization"};
        }
        return {mcid.str(), "not-found", "no MCID linked to your organization"};
    }
    const auto user = m_store.find_user(link->user_id);
    const std::string detail = fmt::format("link to {} ended", user ? user->email : "a user");
    plan.unlinked_mcids.insert(mcid.value);
    plan.unlinks.emplace_back(mcid.value, link->user_id);
    plan.audit.emplace_back(plan.row, AuditNote::purged);
    return {mcid.str(), "purged", detail};
}

bool Offboarding::apply(const Actor& me, const PurgeReport& report, const Plan& plan) {
    // MCID targets first: their users stay, so their competency status is recomputed. A user of
    // such a target that the batch also purges by email is recomputed to nothing just after.
    CompetencyStatus status(m_store);
    for (const auto& [mcid, user_id] : plan.unlinks) {
        m_store.delete_link(AccountKind::profile, mcid);
        status.refresh_user(user_id);
    }
    // Set-wise: a few statements over all the accounts, in the store's order, not the file's.
    if (!m_store.purge_users(plan.users_to_purge, m_clock.now(),
                             plan.made_before_commits ? Store::CheckAsRead::yes : Store::CheckAsRead::no,
                             plan.marked   ? Store::Staged::marked
                             : plan.staged ? Store::Staged::yes
                                           : Store::Staged::no)) {
        return false;  // an account is no longer as the plan read it
    }
    // Their competency periods: a third of a 100,000-account batch's time in the write lock. A
    // large batch marks them stale here and drops them after its commit, in steps.
    if (periods_after_commit(plan)) {
        m_store.mark_competency_periods_stale(periods_job(report.batch));
    } else if (!plan.users_to_purge.empty()) {
        m_store.clear_competency_periods_of(purged_ids(plan.users_to_purge));
    }
    // One audit row per purged or refused target, in target order, made a few thousand at a time
    // (each block's events written over the last one's: nothing allocated per row).
    AuditLog audit(m_store, m_clock);
    std::vector<AuditEvent> events(std::min<std::size_t>(plan.audit.size(), 4096));
    std::size_t n = 0;
    for (std::size_t i = 0; i < plan.audit.size(); ++i) {
        const auto& [row_index, note] = plan.audit[i];
        const PurgeRow& row = report.rows[row_index];
        AuditEvent& e = events[n++];
        e.actor = me.email;
        e.org_id = me.org_id;
        e.action = "purge-user";
        e.target = row.target;
        e.outcome = "denied";
        e.batch = report.batch;
        switch (note) {
            case AuditNote::purged:
                e.outcome = "ok";
                e.detail = row.detail;
                break;
            case AuditNote::not_ours:
                e.detail = "not in the admin's organization";
                break;
            case AuditNote::mcid_elsewhere:  // no organization: the operator's eyes only (rule 7)
                e.org_id = std::nullopt;
                e.detail = "MCID linked to another organization";
                break;
        }
        if (n == events.size() || i + 1 == plan.audit.size()) {
            events.resize(n);
            audit.record_all(events);
            n = 0;
        }
    }
    return true;
}

bool Offboarding::periods_after_commit(const Plan& plan) const {
    return plan.users_to_purge.size() > step_users(m_periods, m_store);
}

void Offboarding::drop_purged_periods(std::vector<std::int64_t> users, PurgeReport& report) {
    std::sort(users.begin(), users.end());  // a step's users are near each other in the periods' key
    const std::size_t size = step_users(m_periods, m_store);
    std::size_t done = 0;
    try {
        for (;;) {
            const std::size_t end = std::min(done + size, users.size());
            const std::vector<std::int64_t> step(users.begin() + static_cast<std::ptrdiff_t>(done),
                                                 users.begin() + static_cast<std::ptrdiff_t>(end));
            run_write_unit(m_store, [&]() -> void {
                auto tx = m_store.begin_write();
                m_store.clear_competency_periods_of(step);
                if (end == users.size()) {
                    m_store.clear_competency_periods_stale(periods_job(report.batch));
                }
                tx->commit();
            });
            done = end;
            if (done == users.size()) {
                return;
            }
            pause_for_other_writers();
            if (m_periods.between_steps) {
                m_periods.between_steps(static_cast<std::int64_t>(done), static_cast<std::int64_t>(users.size()));
            }
        }
    } catch (...) {
        try {
            std::rethrow_exception(translate_store_exception(std::current_exception()));
        } catch (const Error& e) {
            std::string why = e.what();
            const std::string nothing = "nothing was changed";
            if (const auto at = why.find(nothing); at != std::string::npos) {
                why.replace(at, nothing.size(), "that step was not made");
            }
            report.periods_error = fmt::format("{} of {} purged users' competency periods dropped ({})", grouped(done),
                                               grouped(users.size()), why);
        }
    }
}

Actor Offboarding::checked_admin(const Actor& actor) {
    const Actor me = refresh_actor(m_store, actor);
    if (me.role != Role::global_admin) {
        throw PermissionDenied(
            fmt::format("only Global Admins may purge users ({} is {})", me.email, to_string(me.role)));
    }
    return me;
}

PurgeReport Offboarding::plan_targets(const Actor& me, const std::vector<PurgeTarget>& targets,
                                      const std::string& batch, Plan& plan, const Progress& progress) {
    PurgeReport report;
    report.batch = batch;
    std::unordered_set<std::string> seen;
    report.rows.reserve(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (progress && i % 500 == 0) {
            progress(i, targets.size());
        }
        const PurgeTarget& t = targets[i];
        std::string key = (t.kind == PurgeTarget::Kind::mcid ? "m:" : "e:") + normalize_header(t.text);
        if (t.text.empty()) {
            key += std::to_string(t.line);  // each empty line is its own invalid row
        }
        if (!seen.insert(std::move(key)).second) {
            continue;
        }
        plan.row = report.rows.size();
        PurgeRow row =
            t.kind == PurgeTarget::Kind::email ? plan_email(me, t, plan.emails[i], plan) : plan_mcid(me, t, plan);
        if (row.outcome == "purged")
            ++report.purged;
        else if (row.outcome == "already-deleted")
            ++report.already_deleted;
        else if (row.outcome == "not-found")
            ++report.not_found;
        else if (row.outcome == "denied")
            ++report.denied;
        else
            ++report.invalid;
        report.rows.push_back(std::move(row));
    }
    return report;
}

namespace {

// Thrown in the write unit when its writes find an account changed since the snapshot the plan
// was made from: the transaction rolls back, and the batch is planned again under the lock.
struct PlanOutdated {};

}  // namespace

bool Offboarding::snapshot_holds(const Actor& actor, const Actor& planned_by, const std::vector<PurgeTarget>& targets,
                                 const Plan& plan, std::size_t& read_again) {
    const Actor me = checked_admin(actor);
    if (me.user_id != planned_by.user_id || me.org_id != planned_by.org_id || me.role != planned_by.role) {
        return false;
    }
    // An MCID target's outcome rests on links and associations that only a full plan reads again.
    if (std::any_of(targets.begin(), targets.end(),
                    [](const PurgeTarget& t) { return t.kind == PurgeTarget::Kind::mcid; })) {
        return false;
    }
    // The accounts the plan purges are checked by the writes themselves (Store::purge_users). The
    // others (denied, already deleted) are read again by id, and the emails that named nobody
    // looked up again: typically a few.
    std::vector<const PurgeSubject*> others;
    std::vector<std::string> unknown;
    for (const LookedUp& looked : plan.emails) {
        if (looked.valid && !looked.subject) {
            unknown.push_back(looked.email);
        } else if (looked.valid && !plan.purged_users.count(looked.subject->user_id)) {
            others.push_back(&*looked.subject);
        }
    }
    read_again = others.size() + unknown.size();
    std::vector<std::int64_t> ids;
    ids.reserve(others.size());
    for (const PurgeSubject* s : others) {
        ids.push_back(s->user_id);
    }
    const auto now = m_store.find_purge_subjects_by_id(ids);
    for (std::size_t i = 0; i < others.size(); ++i) {
        if (!now[i] || !(*now[i] == *others[i])) {
            return false;
        }
    }
    const auto found = m_store.find_purge_subjects(unknown);
    return std::none_of(found.begin(), found.end(), [](const auto& f) { return f.has_value(); });
}

PurgeReport Offboarding::purge(const Actor& actor, const std::vector<PurgeTarget>& targets, DryRun dry_run,
                               Atomic atomic, const Progress& progress) {
    const std::string batch = "b-" + crypto::digest_hex(crypto::new_session_token()).substr(0, 12);
    // The last report of progress comes before a commit: Ctrl-C there still rolls back.
    const auto finish = [&]() {
        if (progress) {
            progress(targets.size(), targets.size());
        }
    };
    // The whole batch is planned from one snapshot first, holding no write lock, so other
    // admins' commands go on meanwhile: a dry run stops there. A real run then takes the write
    // lock and applies that plan if it still holds: when nothing was committed since the snapshot
    // (the store tells: change_stamp), or when what was committed left the batch's accounts as
    // they were. The accounts it purges are checked by the writes that purge them; the rest (a
    // few, typically) are read again. If the plan no longer holds, it reads the accounts again
    // and plans afresh under the lock. Planning is most of a batch's work: the lock is held for
    // the writes only, also while other admins keep committing.
    Plan planned;
    bool planned_kept = true;  // false once a run has used `planned` (a later run looks up afresh)
    PurgeReport planned_report;
    std::optional<Store::ChangeStamp> planned_at;
    Actor planned_by = actor;
    {
        auto snapshot = m_store.begin_read();
        planned_by = checked_admin(actor);
        look_up_emails(targets, planned);
        planned_at = m_store.change_stamp();
        planned_report =
            plan_targets(planned_by, targets, batch, planned, dry_run == DryRun::yes ? progress : Progress{});
    }
    if (dry_run == DryRun::yes) {
        finish();
        return planned_report;
    }
    // The accounts to purge go to the store's connection before the write lock: loading them
    // takes none, and the writes read them there.
    if (!planned.users_to_purge.empty()) {
        m_store.stage_purge(planned.users_to_purge);
        planned.staged = true;
    }
    if (progress) {
        progress(0, targets.size());  // before the write lock: other admins' commands still run
    }
    bool trust_snapshot = true;  // false once the writes found the snapshot's plan outdated
    // A store that locks rows marks the accounts deleted before it takes the write lock, on the
    // first run only: a run again after a deadlock (with a writer that needed one of them while
    // the batch waited for the lock) takes the lock first. Only a plan that can be applied as it
    // stands is marked early: with --mcid targets it is planned again under the lock.
    bool mark_early = m_store.marks_purged_before_write_lock() && planned.staged &&
                      (atomic == Atomic::no || planned_report.complete()) &&
                      std::none_of(targets.begin(), targets.end(),
                                   [](const PurgeTarget& t) { return t.kind == PurgeTarget::Kind::mcid; });
    std::vector<std::int64_t> periods_to_drop;  // a large batch's users, after its commit
    for (;;) {
        try {
            // One unit from here (run again whole after a server's transient conflict).
            PurgeReport done = run_write_unit(m_store, [&]() -> PurgeReport {
                const bool usable = planned_kept && trust_snapshot;
                std::unique_ptr<Transaction> tx;
                const bool marked = usable && mark_early;
                if (marked) {
                    mark_early = false;
                    tx = m_store.begin_write_marking_purged(planned.users_to_purge, m_clock.now());
                    if (!tx) {
                        throw PlanOutdated{};  // an account changed since the snapshot: plan under the lock
                    }
                } else {
                    tx = m_store.begin_write();
                }
                Actor me = planned_by;
                Plan plan;
                PurgeReport report;
                std::size_t read_again = 0;
                const bool unchanged = usable && planned_at && m_store.change_stamp() == planned_at;
                if (usable && (unchanged || snapshot_holds(actor, planned_by, targets, planned, read_again))) {
                    plan = std::move(planned);  // used once: a run after this one looks everything up again
                    plan.made_before_commits = !unchanged;
                    plan.marked = marked;
                    report = std::move(planned_report);
                    planned_kept = false;
                } else if (marked) {
                    throw PlanOutdated{};  // its accounts read as deleted now: plan under the lock afresh
                } else {
                    me = checked_admin(actor);
                    if (planned_kept) {
                        plan.emails = planned.emails;
                        recheck_emails(plan);
                    } else {
                        look_up_emails(targets, plan);
                    }
                    read_again = plan.emails.size();
                    report = plan_targets(me, targets, batch, plan, progress);
                }
                report.read_again = read_again;
                if (atomic == Atomic::yes && !report.complete()) {
                    if (plan.made_before_commits) {
                        throw PlanOutdated{};  // the rows it reports are unchecked: plan under the lock
                    }
                    for (auto& row : report.rows) {
                        if (row.outcome == "purged") {
                            row.detail = "not applied: --atomic batch rolled back";
                        }
                    }
                    finish();
                    return report;  // the transaction rolls back
                }
                if (!apply(me, report, plan)) {
                    throw PlanOutdated{};  // the transaction rolls back
                }
                finish();
                tx->commit();
                report.applied = true;
                if (periods_after_commit(plan)) {
                    periods_to_drop = purged_ids(plan.users_to_purge);
                }
                return report;
            });
            if (!periods_to_drop.empty()) {
                drop_purged_periods(std::move(periods_to_drop), done);
            }
            return done;
        } catch (const PlanOutdated&) {
            if (!trust_snapshot) {  // a plan made under the lock always holds there
                throw InternalError("a purge planned under the write lock found its accounts changed");
            }
            trust_snapshot = false;
        }
    }
}

std::vector<PurgeTarget> read_purge_targets(std::istream& in) {
    CsvReader reader(in);
    std::vector<std::string> fields;
    std::vector<PurgeTarget> out;
    int email_col = -1;
    int mcid_col = -1;
    bool header_seen = false;
    while (reader.next(fields)) {
        bool blank = true;
        for (const auto& f : fields) {
            blank = blank && trim(f).empty();
        }
        if (blank) {
            continue;
        }
        if (!header_seen) {
            header_seen = true;
            for (std::size_t i = 0; i < fields.size(); ++i) {
                const std::string h = normalize_header(fields[i]);
                if (h == "email" && email_col < 0) email_col = static_cast<int>(i);
                if (h == "mcid" && mcid_col < 0) mcid_col = static_cast<int>(i);
            }
            if (email_col >= 0 || mcid_col >= 0) {
                continue;  // a header row
            }
            // A plain list starts with an email. A first line without '@' is a header that
            // names neither column (say `Name;Mail`): refused, rather than purging from a file
            // read the wrong way.
            bool has_at = false;
            for (const auto& f : fields) {
                has_at = has_at || f.find('@') != std::string::npos;
            }
            if (!has_at) {
                // Named by its line, never echoed: the file may be someone else's secret (a
                // session file given as --from; docs/security.md).
                throw UsageError(
                    fmt::format("line {} looks like a header (it has no '@'), but it names no "
                                "email or mcid column; nothing was changed",
                                reader.line()),
                    "name the column 'email' or 'mcid', or give a plain list: one email per line, no header");
            }
        }
        if (email_col < 0 && mcid_col < 0) {  // a plain list: the whole line is one email
            std::string line;
            for (std::size_t i = 0; i < fields.size(); ++i) {
                line += (i ? std::string(1, reader.delimiter()) : std::string()) + fields[i];
            }
            out.push_back({PurgeTarget::Kind::email, trim(line), reader.line()});
            continue;
        }
        const auto cell = [&](int col) {
            return col >= 0 && static_cast<std::size_t>(col) < fields.size() ? trim(fields[static_cast<std::size_t>(col)])
                                                                              : std::string();
        };
        const std::string email = cell(email_col);
        const std::string mcid = cell(mcid_col);
        if (!email.empty()) {
            out.push_back({PurgeTarget::Kind::email, email, reader.line()});
        } else if (!mcid.empty()) {
            out.push_back({PurgeTarget::Kind::mcid, mcid, reader.line()});
        } else {
            out.push_back({PurgeTarget::Kind::email, "", reader.line()});
        }
    }
    return out;
}

}  // namespace mcid
