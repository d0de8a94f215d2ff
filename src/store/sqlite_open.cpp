// Opening the store: file checks before SQLite touches anything, pragmas, migrations,
// transactions, error translation and maintenance.
#include "store/migrations.hpp"
#include "store/pg.hpp"
#include "store/shared.hpp"
#include "store/sqlite_store.hpp"

#include <mcid/error.hpp>

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mcid {
namespace {

std::string g_current_path = ":memory:";  // for messages of translated errors

// Creates the missing folders of `path` owner-only (0700) and the file itself 0600.
void create_store_file(const fs::path& path) {
    fs::path parent = path.parent_path();
    std::vector<fs::path> missing;
    for (fs::path p = parent; !p.empty() && !fs::exists(p); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) {
            break;
        }
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
            throw StoreError(fmt::format("cannot create folder {}: {}", it->string(), std::strerror(errno)));
        }
    }
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
        throw StoreError(fmt::format("cannot create store {}: {}", path.string(), std::strerror(errno)));
    }
    if (fd >= 0) {
        ::close(fd);
    }
}

// `init` into an existing empty file (made by touch, say 0644) must not leave the new store
// readable by others: it becomes 0600, or init is refused.
void make_owner_only_if_empty(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || st.st_size != 0 || (st.st_mode & 077) == 0) {
        return;
    }
    if (::chmod(path.c_str(), 0600) != 0) {
        throw StoreError(fmt::format("{} is readable by other users (mode {:o}) and cannot be made owner-only: {}",
                                     path.string(), st.st_mode & 0777, std::strerror(errno)),
                         "remove the empty file and run init again, or choose another path");
    }
}

// True when the file is empty or starts with SQLite's header.
bool looks_like_sqlite(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw StoreError(fmt::format("cannot read store {}: {}", path.string(), std::strerror(errno)));
    }
    std::array<char, 16> header{};
    in.read(header.data(), header.size());
    if (in.gcount() == 0) {
        return true;
    }
    return in.gcount() == 16 && std::memcmp(header.data(), "SQLite format 3", 16) == 0;
}

std::string not_a_store(const std::string& path) {
    return fmt::format("{} is not an mcidctl store", path);
}

bool folder_writable(const fs::path& file) {
    const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    return ::access(dir.c_str(), W_OK) == 0;
}

// A read of a store that was briefly 0400 leaves a 0400 -shm behind, which then blocks every
// writer. When the store itself is writable again, its owner puts the side files back in step.
void repair_side_file_modes(const fs::path& file) {
    struct stat db {};
    if (::access(file.c_str(), W_OK) != 0 || ::stat(file.c_str(), &db) != 0) {
        return;
    }
    for (const char* suffix : {"-shm", "-wal"}) {
        const std::string side = file.string() + suffix;
        struct stat st {};
        if (::stat(side.c_str(), &st) == 0 && ::access(side.c_str(), W_OK) != 0 && st.st_uid == ::geteuid()) {
            ::chmod(side.c_str(), db.st_mode & 0666);
        }
    }
}

// "file:/path?immutable=1" with the path percent-encoded.
std::string immutable_uri(const std::string& path) {
    std::string uri = "file:";
    for (unsigned char c : fs::absolute(path).string()) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
            uri += static_cast<char>(c);
        } else {
            uri += fmt::format("%{:02X}", c);
        }
    }
    return uri + "?immutable=1";
}

// SQLite's own busy handler sleeps up to 100 ms between tries and queues nobody: a job that
// commits and begins its next step at once (db rebuild, the chunks of an import) could starve a
// waiting command past the timeout. Trying every 2 ms, while those jobs pause a few
// milliseconds between steps, lets a waiting command in between two steps.
constexpr int k_busy_try_ms = 2;

int busy_wait(void*, int tries) {
    if (tries >= store::k_busy_timeout_ms / k_busy_try_ms) {
        return 0;  // give up: SQLITE_BUSY, reported as "busy ... nothing was changed"
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(k_busy_try_ms));
    return 1;
}

void apply_pragmas(SQLite::Database& db) {
    sqlite3_busy_handler(db.getHandle(), busy_wait, nullptr);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA trusted_schema = OFF");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA secure_delete = ON");
    db.exec("PRAGMA cache_size = -16384");
    db.exec("PRAGMA temp_store = FILE");
}

}  // namespace

void pause_for_other_writers() { std::this_thread::sleep_for(std::chrono::milliseconds(5 * k_busy_try_ms)); }

namespace store {

SqliteStore::SqliteStore(std::unique_ptr<SQLite::Database> db, std::string path)
    : m_db(std::move(db)), m_path(std::move(path)) {}

Stmt SqliteStore::stmt(const char* sql) {
    auto& slot = m_statements[sql];
    if (!slot) {
        slot = std::make_unique<SQLite::Statement>(*m_db, sql);
    }
    return Stmt(*slot);
}

std::unique_ptr<Transaction> SqliteStore::begin_write() {
    return std::make_unique<NestedTransaction>(
        transaction_depth, [this](const char* sql) { m_db->exec(sql); }, "BEGIN IMMEDIATE");
}

std::unique_ptr<Transaction> SqliteStore::begin_read() {
    return std::make_unique<NestedTransaction>(
        transaction_depth, [this](const char* sql) { m_db->exec(sql); }, "BEGIN");
}

std::optional<Store::ChangeStamp> SqliteStore::change_stamp() {
    // data_version moves when another connection commits; total_changes when this one writes
    // (but for the rows of its own temporary table that stage_purge wrote).
    return ChangeStamp{m_db->execAndGet("PRAGMA data_version").getInt64(), m_db->getTotalChanges() - m_staged_changes};
}

void SqliteStore::migrate() {
    const auto& all = migrations();
    const int latest = all.empty() ? 0 : all.back().version;
    int version = m_db->execAndGet("PRAGMA user_version").getInt();
    if (version > latest) {
        throw StoreError(fmt::format("store {} has schema version {}, newer than this mcidctl supports ({})",
                                     m_path, version, latest),
                         "upgrade mcidctl to use this store");
    }
    for (const auto& migration : all) {
        if (migration.version <= version) {
            continue;
        }
        auto tx = begin_write();
        // Another process may have migrated while we waited for the write lock.
        version = m_db->execAndGet("PRAGMA user_version").getInt();
        if (migration.version <= version) {
            tx->commit();
            continue;
        }
        m_db->exec(migration.sql);
        m_db->exec(fmt::format("PRAGMA user_version = {}", migration.version));
        m_db->exec(fmt::format("PRAGMA application_id = {}", k_application_id));
        tx->commit();
        version = migration.version;
    }
}

std::vector<std::string> SqliteStore::check_integrity() {
    std::vector<std::string> findings;
    {
        SQLite::Statement q(*m_db, "PRAGMA integrity_check");
        while (q.executeStep()) {
            std::string line = q.getColumn(0).getString();
            if (line != "ok") {
                findings.push_back("integrity: " + line);
            }
        }
    }
    SQLite::Statement fk(*m_db, "PRAGMA foreign_key_check");
    while (fk.executeStep()) {
        findings.push_back(fmt::format("foreign key: table {} row {} refers to a missing row of {}",
                                       fk.getColumn(0).getString(), fk.getColumn(1).getInt64(),
                                       fk.getColumn(2).getString()));
    }
    return findings;
}

void SqliteStore::backup_to(const fs::path& destination) {
    SQLite::Statement q(*m_db, "VACUUM INTO ?");
    q.bind(1, destination.string());
    q.exec();
}

}  // namespace store

std::unique_ptr<Store> open_sqlite_store(const std::string& path, OpenMode mode) {
    if (g_current_path == ":memory:") {
        g_current_path = path;  // messages name the first store opened (the user's), not backup copies
    }
    const fs::path file(path);
    std::error_code ec;
    const bool exists = fs::exists(file, ec);
    if (!exists) {
        if (mode == OpenMode::open_existing) {
            throw StoreError(fmt::format("no store at {}", path),
                             "run 'mcidctl init --operator EMAIL' to create one, or pass --db PATH");
        }
        create_store_file(file);
    } else if (fs::is_directory(file, ec)) {
        throw StoreError(fmt::format("{} is a folder, not an mcidctl store", path));
    } else if (!fs::is_regular_file(file, ec)) {  // a FIFO or device would block or feed us garbage
        throw StoreError(fmt::format("{} is not a regular file, so not an mcidctl store", path));
    } else if (mode == OpenMode::create) {
        make_owner_only_if_empty(file);
    }
    if (!looks_like_sqlite(file)) {
        throw StoreError(not_a_store(path) + " (not an SQLite database); it was left untouched");
    }
    const bool read_only_folder = !folder_writable(file);
    repair_side_file_modes(file);
    // WAL readers need to create the -shm file. In a read-only folder nobody can, so nobody can
    // write either: the file is opened as immutable, read-only, and reads work.
    const bool immutable = read_only_folder && !fs::exists(path + "-shm", ec);
    // One thread uses a store: NOMUTEX drops SQLite's per-call mutex (8 % of a large report).
    auto db = immutable ? std::make_unique<SQLite::Database>(
                              immutable_uri(path), SQLite::OPEN_READONLY | SQLite::OPEN_URI | SQLite::OPEN_NOMUTEX,
                              store::k_busy_timeout_ms)
                        : std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX,
                                                             store::k_busy_timeout_ms);
    const int app_id = db->execAndGet("PRAGMA application_id").getInt();
    const int tables = db->execAndGet("SELECT count(*) FROM sqlite_schema").getInt();
    if (app_id != store::k_application_id && (app_id != 0 || tables != 0)) {
        throw StoreError(not_a_store(path) + " (another application's SQLite database); it was left untouched");
    }
    if (app_id == 0 && tables == 0 && mode == OpenMode::open_existing) {
        throw StoreError(fmt::format("store {} is empty", path), "run 'mcidctl init --operator EMAIL' first");
    }
    const int version = db->execAndGet("PRAGMA user_version").getInt();
    const int latest = store::migrations().back().version;
    if (version > latest) {
        throw StoreError(fmt::format("store {} has schema version {}, newer than this mcidctl supports ({})",
                                     path, version, latest),
                         "upgrade mcidctl to use this store");
    }
    if (immutable) {
        if (version < latest) {
            throw StoreError(fmt::format("store {} needs an upgrade to schema {}, but its folder is read-only", path,
                                         latest));
        }
        apply_pragmas(*db);
        return std::make_unique<store::SqliteStore>(std::move(db), path);
    }
    if (db->execAndGet("PRAGMA journal_mode").getString() != "wal") {
        db->exec("PRAGMA journal_mode = WAL");
    }
    apply_pragmas(*db);
    auto store = std::make_unique<store::SqliteStore>(std::move(db), path);
    store->migrate();
    return store;
}

std::unique_ptr<Store> open_memory_store() {
    g_current_path = ":memory:";
    auto db = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    apply_pragmas(*db);
    auto store = std::make_unique<store::SqliteStore>(std::move(db), ":memory:");
    store->migrate();
    return store;
}

std::exception_ptr translate_store_exception(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const SQLite::Exception& e) {
        const std::string& path = g_current_path;
        switch (e.getErrorCode()) {
            case SQLITE_BUSY:
            case SQLITE_LOCKED:
                return std::make_exception_ptr(StoreError(
                    fmt::format("store {} is busy: another mcidctl held it for more than {} s; nothing was changed",
                                path, store::k_busy_timeout_ms / 1000),
                    "try again in a moment"));
            case SQLITE_READONLY:
                return std::make_exception_ptr(StoreError(
                    fmt::format("store {} is read-only: cannot write ({}); nothing was changed", path, e.what()),
                    "check the permissions of the file and its folder"));
            case SQLITE_FULL:
                return std::make_exception_ptr(
                    StoreError(fmt::format("disk full while writing store {}; nothing was changed", path)));
            case SQLITE_CORRUPT:
            case SQLITE_NOTADB:
                return std::make_exception_ptr(StoreError(
                    fmt::format("store {} is damaged or not an mcidctl store: {}", path, e.what()),
                    "run 'mcidctl db check', and restore from a backup if it fails"));
            case SQLITE_IOERR:
            case SQLITE_CANTOPEN:
            case SQLITE_PERM:
            case SQLITE_AUTH:
                return std::make_exception_ptr(
                    StoreError(fmt::format("cannot read or write store {}: {}; nothing was changed", path, e.what())));
            case SQLITE_CONSTRAINT:
                return std::make_exception_ptr(Conflict(fmt::format("conflicts with the stored data: {}", e.what())));
            case SQLITE_TOOBIG:
                return std::make_exception_ptr(UsageError("a value is too large to store"));
            case SQLITE_INTERRUPT:
                return std::make_exception_ptr(Interrupted("interrupted; nothing was changed"));
            default:
                return std::make_exception_ptr(InternalError(fmt::format("store {}: {}", path, e.what())));
        }
    } catch (const store::pg::ServerError& e) {
        return store::pg::translate_pg_error(e);
    } catch (...) {
        return std::current_exception();
    }
}

}  // namespace mcid
