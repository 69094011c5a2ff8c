#pragma once
// The `items` table the live-traffic tests backfill (live_traffic_test.cpp,
// statement_limit_test.cpp): a batch:range migration over it, and what each committed batch
// covered.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "e2e/harness.hpp"

namespace datamig::test {

// `items` with ids 1..count and a counter per row; `batches` records the keys of each committed
// batch.
inline void create_items(const Project& project, int count) {
    project.execute(
        fmt::format("CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);\n"
                    "CREATE TABLE batches (start_key BIGINT NOT NULL, last_key BIGINT NOT NULL);\n"
                    "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {})\n"
                    "INSERT INTO items (id) SELECT i FROM seq;\n",
                    count));
}

// A batch:range `up` over items.id with `options`; `before` is SQL run first in each batch.
inline std::string items_up(const std::string& options, const std::string& before = "") {
    return fmt::format(
        "-- migrate:up batch:range key:items.id {}\n{}"
        "UPDATE items SET n = n + 1 WHERE id BETWEEN :batch_start AND :batch_last;\n"
        "INSERT INTO batches (start_key, last_key) VALUES (:batch_start, :batch_last);\n",
        options, before);
}

// The key span of each committed batch, in key order.
inline std::vector<long long> batch_sizes(const Project& project) {
    std::vector<long long> sizes;
    for (const auto& row : project.rows("SELECT last_key - start_key + 1 FROM batches ORDER BY start_key")) {
        sizes.push_back(std::stoll(row));
    }
    return sizes;
}

}  // namespace datamig::test
