// SqliteStore's side of a store copy (copy.hpp): rows out and in as text, integers bound as
// integers so that the copy's columns keep their types.
#include "store/sqlite_store.hpp"

#include <mcid/error.hpp>

#include <fmt/format.h>

#include <charconv>

namespace mcid::store {
namespace {

class SqliteSink final : public RowSink {
public:
    SqliteSink(SQLite::Database& db, const CopyTable& table) : m_table(table) {
        if (table.seeded) {
            db.exec("DELETE FROM " + table.name);
        }
        std::string marks;
        for (std::size_t i = 0; i < table.columns.size(); ++i) {
            marks += i ? ", ?" : "?";
        }
        m_insert = std::make_unique<SQLite::Statement>(
            db, fmt::format("INSERT INTO {} ({}) VALUES ({})", table.name, table.column_list(), marks));
    }

    void add(const CopyRow& row) override {
        for (std::size_t i = 0; i < row.size(); ++i) {
            const int index = static_cast<int>(i) + 1;
            if (!row[i]) {
                m_insert->bind(index);
            } else if (m_table.columns[i].integer) {
                std::int64_t value = 0;
                const std::string& text = *row[i];
                const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
                if (error != std::errc() || end != text.data() + text.size()) {
                    throw StoreError(fmt::format("the copy met '{}' in integer column {}.{}", text, m_table.name,
                                                 m_table.columns[i].name));
                }
                m_insert->bind(index, static_cast<int64_t>(value));
            } else {
                m_insert->bind(index, *row[i]);
            }
        }
        m_insert->exec();
        m_insert->reset();
        m_insert->clearBindings();
    }

    void finish() override {}

private:
    const CopyTable& m_table;
    std::unique_ptr<SQLite::Statement> m_insert;
};

}  // namespace

void SqliteStore::read_table(const CopyTable& table, const std::function<void(const CopyRow&)>& fn) {
    SQLite::Statement q(*m_db, fmt::format("SELECT {} FROM {}", table.column_list(), table.name));
    CopyRow row(table.columns.size());
    while (q.executeStep()) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            const SQLite::Column column = q.getColumn(static_cast<int>(i));
            if (column.isNull()) {
                row[i].reset();
            } else {
                row[i] = column.getString();
            }
        }
        fn(row);
    }
}

std::unique_ptr<RowSink> SqliteStore::write_table(const CopyTable& table) {
    return std::make_unique<SqliteSink>(*m_db, table);
}

}  // namespace mcid::store
