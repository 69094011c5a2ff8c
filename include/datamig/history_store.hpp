#pragma once
// The history and events tables (SPEC §5), written once for every database over a Driver:
// creating them, adopting and upgrading older tables, the select lists, decoding rows, the
// bookkeeping writes. What the core sees is the Database interface; connect() builds a store.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/database.hpp"
#include "datamig/driver.hpp"

namespace datamig {

class HistoryStore final : public Database {
public:
    // `table` is --table ("name" or "schema.name"); the schema is settled here, once.
    HistoryStore(std::unique_ptr<Driver> driver, const std::string& table, bool read_only);

    void ensure_history() override;
    bool try_lock() override { return driver_->try_lock(); }
    void unlock() noexcept override { driver_->unlock(); }
    std::string lock_holder() override { return driver_->lock_holder(); }
    void begin() override { driver_->begin(); }
    void commit() override { driver_->commit(); }
    void rollback() noexcept override { driver_->rollback(); }
    void rollback_to_savepoint(const std::string& name) override { driver_->rollback_to_savepoint(name); }
    void limit_statements(std::chrono::milliseconds limit) override;
    std::int64_t execute(std::string_view sql) override { return driver_->execute(sql); }
    std::optional<std::string> query_value(std::string_view sql) override { return driver_->query_value(sql); }
    QueryAnswer query_answer(std::string_view sql) override { return driver_->query_answer(sql); }
    void save_row(const HistoryRow& row) override;
    void append_event(const Event& event) override;
    void record(const HistoryRow& row, const Event& event) override;
    void record_removal(const Event& event) override;
    void interrupt() noexcept override { driver_->interrupt(); }
    bool replicas_lag_behind(std::chrono::milliseconds limit) override;
    void set_paused(const std::string& version, const std::optional<std::string>& at, const Event& event) override;
    bool paused(const std::string& version) override;
    KeyFacts key_facts(const std::string& table, const std::string& column) override;
    std::vector<std::string> schemas_like(const std::string& pattern) override;
    std::optional<std::int64_t> estimated_rows(const std::string& schema, const std::string& name) override;

private:
    std::vector<HistoryRow> read_rows(Detail detail) override;

    void create_or_upgrade();
    std::string select_history(const std::set<std::string>& existing, Detail detail) const;
    void prepare_writes();

    std::unique_ptr<Driver> driver_;
    bool read_only_;
    TableName history_;
    TableName events_;
    // The history table's columns once ensure_history has completed them; empty before, when a
    // read asks the catalog (status reads without ensure_history, and a legacy table has fewer).
    std::set<std::string> ensured_columns_;
};

}  // namespace datamig
