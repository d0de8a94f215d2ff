// libFuzzer target: mcid::read_purge_targets (purge-user --from FILE|-) over arbitrary bytes.
// Expected failures are UsageError naming the line. Invariants: every target has its line (1 or
// more, never past the last line; LF, CRLF and a lone CR end lines), a text without surrounding
// spaces or tabs and without NUL bytes (empty only for an empty cell, reported as invalid by its
// line), MCID targets only come from a file with a header, and there are never more targets
// than lines.
#include "fuzz_check.hpp"

#include <mcid/error.hpp>
#include <mcid/offboarding.hpp>

#include <algorithm>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const std::string text(fuzz::view(data, size));
    std::istringstream in(text);
    std::vector<mcid::PurgeTarget> targets;
    try {
        targets = mcid::read_purge_targets(in);
    } catch (const mcid::UsageError& e) {
        FUZZ_CHECK(std::string(e.what()).rfind("line ", 0) == 0);
        return 0;
    }
    std::size_t lines = 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        lines += text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'));
    }
    FUZZ_CHECK(targets.size() <= lines);
    for (const auto& t : targets) {
        FUZZ_CHECK(t.line >= 1 && t.line <= lines);
        if (!t.text.empty()) {
            FUZZ_CHECK(t.text.front() != ' ' && t.text.front() != '\t');
            FUZZ_CHECK(t.text.back() != ' ' && t.text.back() != '\t');
        }
        FUZZ_CHECK(t.text.find('\0') == std::string::npos);
        FUZZ_CHECK(t.text.size() <= text.size());
        if (t.kind == mcid::PurgeTarget::Kind::mcid) {
            // an mcid column needs a header naming it
            std::string lower = text;
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            FUZZ_CHECK(lower.find("mcid") != std::string::npos);
        }
    }
    // Reading the same bytes twice gives the same targets (no hidden state).
    std::istringstream again(text);
    const auto second = mcid::read_purge_targets(again);
    FUZZ_CHECK(second.size() == targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        FUZZ_CHECK(second[i].text == targets[i].text && second[i].kind == targets[i].kind &&
                   second[i].line == targets[i].line);
    }
    return 0;
}
