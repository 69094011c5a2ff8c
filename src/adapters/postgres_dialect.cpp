#include "datamig/adapters/postgres_dialect.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "datamig/file_text.hpp"

namespace datamig {

std::string PostgresDialect::type_name(ColumnType type) const {
    switch (type) {
        case ColumnType::integer: return "bigint";
        case ColumnType::timestamp: return "timestamptz";
        case ColumnType::serial_key: return "bigserial PRIMARY KEY";
        case ColumnType::text: break;
    }
    return "text";
}

std::string PostgresDialect::read(ColumnType type, const std::string& column) const {
    switch (type) {
        case ColumnType::timestamp:
            return "pg_catalog.to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
        case ColumnType::text: return column + "::text";
        case ColumnType::integer:
        case ColumnType::serial_key: break;
    }
    return column;
}

std::string PostgresDialect::write(ColumnType type, Blank blank, int index) const {
    std::string value = parameter(index);
    if (blank == Blank::null || blank == Blank::now) value = "NULLIF(" + value + ", '')";
    if (type == ColumnType::timestamp) value += "::timestamptz";
    if (blank == Blank::now) value = "COALESCE(" + value + ", pg_catalog.now())";
    return value;
}

// replay_lag keeps growing while a standby's replay is stuck (the walsender interpolates from
// the WAL it sent since), so a paused or blocked replay counts, not only a slow one. The WAL
// distance catches a standby that lags behind a burst of writes before its lag is measured.
std::optional<std::string> PostgresDialect::replica_lag_query(std::chrono::milliseconds limit) const {
    return "SELECT COALESCE(bool_or(replay_lag > interval '" + std::to_string(limit.count()) +
           " milliseconds' OR pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn) > " +
           std::to_string(16 * 1024 * 1024) + "), false) FROM pg_catalog.pg_stat_replication";
}

// statement_timeout is an int of milliseconds; a longer limit than the server takes is no limit
// anyone would notice, so it is capped rather than refused.
std::optional<std::string> PostgresDialect::transaction_statement_limit(std::chrono::milliseconds limit) const {
    const auto capped = std::clamp<std::int64_t>(limit.count(), 1, std::numeric_limits<std::int32_t>::max());
    return "SET LOCAL statement_timeout = " + std::to_string(capped);
}

// to_regclass resolves the table as the section's SQL would (search_path, or its schema) and is
// NULL where there is none; the column folds to lower case as an unquoted identifier does. An
// index counts when it is valid and not partial and its first column is the key.
std::string PostgresDialect::key_facts_query() const {
    return "SELECT (r.oid IS NOT NULL)::int, (a.attnum IS NOT NULL)::int, "
           "COALESCE(a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype, "
           "'pg_catalog.int8'::pg_catalog.regtype), false)::int, "
           "(EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = r.oid AND i.indkey[0] = a.attnum "
           "AND i.indisvalid AND i.indpred IS NULL))::int "
           "FROM (SELECT pg_catalog.to_regclass($1::text) AS oid) r "
           "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid "
           "AND a.attname = pg_catalog.lower($2::text)::name AND a.attnum > 0 AND NOT a.attisdropped";
}

std::optional<std::string> PostgresDialect::schemas_query() const {
    return "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE $1 AND nspname NOT LIKE 'pg\\_%' "
           "AND nspname <> 'information_schema' ORDER BY nspname";
}

// The table resolves as the section's SQL would (search_path, or its schema); the names come
// unquoted, so they are quoted again for to_regclass. reltuples is -1 until the first VACUUM or
// ANALYZE (PostgreSQL 14 and later; 0 before), and the statistics' live rows count what was
// written since (a restored dump's COPY included) but are reset by a crash and not kept on a
// standby: the larger of the two is the estimate. A partitioned table's rows are its leaf
// partitions'. Views and other relations have no row.
std::string PostgresDialect::table_size_query() const {
    return "SELECT n.nspname::text, c.relname::text, "
           "(SELECT COALESCE(sum(GREATEST(l.reltuples, pg_catalog.pg_stat_get_live_tuples(l.oid))), 0)::bigint "
           "FROM pg_catalog.pg_class l WHERE l.relkind = 'r' AND (l.oid = c.oid OR l.oid IN "
           "(SELECT t.relid FROM pg_catalog.pg_partition_tree(c.oid) t WHERE t.isleaf))), 0, 0 "
           "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
           "WHERE c.relkind IN ('r', 'p') AND c.oid = pg_catalog.to_regclass(CASE WHEN $1::text = '' THEN '' "
           "ELSE pg_catalog.quote_ident($1::text) || '.' END || pg_catalog.quote_ident($2::text))";
}

std::string session_settings(std::optional<std::chrono::milliseconds> statement_timeout,
                             const std::optional<std::string>& search_path, int server_version) {
    std::string setup = "SET application_name = 'datamig'; SET TimeZone = 'UTC'";
    if (statement_timeout) setup += "; SET statement_timeout = " + std::to_string(statement_timeout->count());
    // Before current_schema() is asked, so a tenant's history table lives in its own schema.
    if (search_path) setup += "; SET search_path TO " + Dialect::quote(*search_path);
    // A killed runner's backend would otherwise run its statement to the end while still
    // holding the runner lock; since PostgreSQL 14 it can notice the client is gone.
    if (server_version >= 140000) setup += "; SET client_connection_check_interval = '1s'";
    return setup;
}

std::int64_t advisory_lock_key(const std::string& table) {
    const auto digest = sha256_hex("datamig:" + table);
    return static_cast<std::int64_t>(std::stoull(digest.substr(0, 16), nullptr, 16));
}

// A bigint advisory key shows in pg_locks as classid = high and objid = low 32 bits, objsubid = 1.
const char* const advisory_lock_holder_query =
    "SELECT a.pid, a.application_name, a.usename, "
    "pg_catalog.to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
    "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.classid = $1::oid AND l.objid = $2::oid "
    "AND l.database = "
    "(SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) "
    "LIMIT 1";

}  // namespace datamig
