#pragma once
// PostgreSQL's SQL text: the history tables' types, parameters and timestamps, and the runner
// lock's key and holder query.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "datamig/driver.hpp"

namespace datamig {

class PostgresDialect final : public Dialect {
public:
    std::string type_name(ColumnType type) const override;
    std::string parameter(int index) const override { return "$" + std::to_string(index); }
    // Every timestamp leaves the server in the one format HistoryRow documents; text is cast so
    // a json/jsonb context column someone made of it reads the same.
    std::string read(ColumnType type, const std::string& column) const override;
    std::string write(ColumnType type, Blank blank, int index) const override;
    bool chains_writes() const override { return true; }
    // Over pg_stat_replication; its lag columns are NULL (never lagging) for a role without
    // pg_monitor / pg_read_all_stats, and replay_lag is NULL once a standby has caught up.
    std::optional<std::string> replica_lag_query(std::chrono::milliseconds limit) const override;
    // SET LOCAL statement_timeout: gone with the transaction, so bookkeeping after it and the
    // next migration keep the session's --statement-timeout (or none).
    std::optional<std::string> transaction_statement_limit(std::chrono::milliseconds limit) const override;
    // Over to_regclass, pg_attribute and pg_index (indkey[0]); names fold as unquoted SQL does.
    std::string key_facts_query() const override;
    std::optional<std::string> schemas_query() const override;
    // pg_class.reltuples or the statistics' live rows, the larger, summed over the partitions
    // (docs/decisions.md): the catalog answers at once.
    std::string table_size_query() const override;
};

// The SET statements that start every session (one message): application_name, TimeZone UTC,
// --statement-timeout, the search_path of a --schemas target, and on a PostgreSQL 14 server
// (`server_version` as libpq reports it, 140000) a check that the client is still there.
std::string session_settings(std::optional<std::chrono::milliseconds> statement_timeout,
                             const std::optional<std::string>& search_path, int server_version);

// The runner lock key: the first 8 bytes of SHA-256("datamig:" + table), read as a big-endian
// signed 64-bit integer, where table is the --table value exactly as given (so "public.x" and
// "x" are different locks). Any tool can compute it to see or take the same lock.
std::int64_t advisory_lock_key(const std::string& table);

// Who holds the advisory lock whose key has the high 32 bits $1 and the low $2: pid,
// application, user, since (ISO-8601 UTC); no row when nobody does.
extern const char* const advisory_lock_holder_query;

}  // namespace datamig
