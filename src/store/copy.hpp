#pragma once
// Copying a whole store between backends (`db copy`, and `db backup` of a server store): every
// table of the schema, row by row as text, from one store's TableIo into another's. Both stores
// have the same tables and columns (pg_migrations/0001_initial.sql says so); copy_tables() is
// the one list of them, and a unit test checks it against both schemas.
#include <mcid/store.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcid::store {

struct CopyColumn {
    std::string name;
    bool integer = false;
};

struct CopyTable {
    std::string name;
    std::vector<CopyColumn> columns;
    // The schema seeds rows into it (config's audit.rule2_from): the copy replaces them.
    bool seeded = false;
    // An identity column that a server store must move past the copied ids.
    bool identity = false;
    // "a, b, c"
    std::string column_list() const;
};

// A table from its name and its columns, separated by spaces or commas, "#name" for an integer
// column.
CopyTable copy_table_of(std::string name, const std::string& columns);

// Every table a store holds, parents before children (foreign keys), in the order they are
// copied. org_user_counts is left out: triggers on users keep it on both stores.
const std::vector<CopyTable>& copy_tables();
// The table of that name in copy_tables() (InternalError when there is none).
const CopyTable& copy_table(std::string_view name);

// One row: a value per column as text (integers in decimal), nullopt for NULL.
using CopyRow = std::vector<std::optional<std::string>>;

// Takes the rows of one table, then finish().
class RowSink {
public:
    virtual ~RowSink() = default;
    virtual void add(const CopyRow& row) = 0;
    virtual void finish() = 0;
};

// What each store implements for the copy, inside the caller's transactions.
class TableIo {
public:
    virtual ~TableIo() = default;
    virtual void read_table(const CopyTable& table, const std::function<void(const CopyRow&)>& fn) = 0;
    // The rows that follow go into `table` (emptied first when it is seeded).
    virtual std::unique_ptr<RowSink> write_table(const CopyTable& table) = 0;
    // After the last table: a server store moves its identities past the copied ids.
    virtual void copy_finished() = 0;
};

// Copies every row of `from` into `to`, a store created just now, inside the callers'
// transactions (a read on `from`, a write on `to`).
void copy_rows(Store& from, Store& to);

}  // namespace mcid::store
