#pragma once
#include <mcid/rows.hpp>

#include <map>
#include <string>
#include <vector>

namespace mcid::test {

// Keeps rows as column -> text ("" for null) for assertions.
class CollectSink final : public RowSink {
public:
    std::vector<std::string> columns;
    std::vector<std::map<std::string, std::string>> rows;
    bool ended = false;

    void begin(std::span<const std::string_view> cols) override { columns.assign(cols.begin(), cols.end()); }
    void row(std::span<const Cell> cells) override {
        std::map<std::string, std::string> r;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            r[columns[i]] = cells[i].kind == Cell::Kind::integer ? std::to_string(cells[i].integer)
                                                                 : std::string(cells[i].text);
        }
        rows.push_back(std::move(r));
    }
    void end() override { ended = true; }
};

}  // namespace mcid::test
