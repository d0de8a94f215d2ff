#pragma once
// The one error hierarchy of mcidctl: every failure the user can see is an mcid::Error carrying
// the exit code of PRODUCT.md's table. main() catches it once and prints `mcidctl: error: ...`.
#include <stdexcept>
#include <string>

namespace mcid {

enum class ExitCode : int {
    ok = 0,
    internal = 1,
    usage = 2,
    not_found = 3,
    denied = 4,
    conflict = 5,
    limit = 6,
    auth = 7,
    partial = 8,
    store = 9,
    interrupted = 130,
};

class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message, std::string hint = {})
        : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}
    ExitCode code() const noexcept { return m_code; }
    // One line telling the user what to do next; empty when there is nothing useful to say.
    const std::string& hint() const noexcept { return m_hint; }

private:
    ExitCode m_code;
    std::string m_hint;
};

#define MCID_ERROR_CLASS(Name, code_value)                                           \
    class Name : public Error {                                                      \
    public:                                                                          \
        explicit Name(const std::string& message, std::string hint = {})             \
            : Error(ExitCode::code_value, message, std::move(hint)) {}               \
    }

MCID_ERROR_CLASS(InternalError, internal);      // 1: a bug or an impossible state
MCID_ERROR_CLASS(UsageError, usage);            // 2: bad arguments or input values
MCID_ERROR_CLASS(NotFound, not_found);          // 3
MCID_ERROR_CLASS(PermissionDenied, denied);     // 4: role, privacy rule, other tenant
MCID_ERROR_CLASS(Conflict, conflict);           // 5: conflicts with the current state
MCID_ERROR_CLASS(LimitReached, limit);          // 6: annual association limit
MCID_ERROR_CLASS(AuthError, auth);              // 7: not signed in, expired, wrong credentials
MCID_ERROR_CLASS(PartialBatch, partial);        // 8: a batch with rows not done
MCID_ERROR_CLASS(StoreError, store);            // 9: busy, unreadable, corrupt, newer schema
MCID_ERROR_CLASS(Interrupted, interrupted);     // 130: Ctrl-C; the write was rolled back
MCID_ERROR_CLASS(OutputError, internal);        // 1: the output could not be written (disk full, I/O)

#undef MCID_ERROR_CLASS

}  // namespace mcid
