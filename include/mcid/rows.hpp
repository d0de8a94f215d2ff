#pragma once
// Streaming rows from the core to whoever prints them. Cells are views valid only during the
// row() call, so a report of five million rows never holds more than one row.
#include <cstdint>
#include <span>
#include <string_view>

namespace mcid {

struct Cell {
    enum class Kind { null, text, integer };
    Kind kind = Kind::null;
    std::string_view text;
    std::int64_t integer = 0;

    static Cell none() { return {}; }
    static Cell of(std::string_view t) { return {Kind::text, t, 0}; }
    static Cell of(std::int64_t i) { return {Kind::integer, {}, i}; }
    // Empty text becomes null.
    static Cell maybe(std::string_view t) { return t.empty() ? none() : of(t); }
};

class RowSink {
public:
    virtual ~RowSink() = default;
    virtual void begin(std::span<const std::string_view> columns) = 0;
    virtual void row(std::span<const Cell> cells) = 0;
    virtual void end() = 0;
};

}  // namespace mcid
