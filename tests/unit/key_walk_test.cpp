#include "datamig/key_walk.hpp"

#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/memory_database.hpp"

using datamig::KeyWalk;
using datamig::QueryAnswer;
using datamig::test::MemoryDatabase;

namespace {

datamig::SectionOptions options() {
    datamig::SectionOptions range;
    range.batch = datamig::BatchMode::range;
    range.key_table = "users";
    range.key_column = "email";
    return range;
}

// A memory database answering the walk's queries from a fixed list of answers.
MemoryDatabase answering(std::map<std::string, std::optional<std::string>> answers, QueryAnswer::Type type) {
    MemoryDatabase db;
    db.answer = [answers](const std::string& query) -> std::optional<std::string> {
        const auto found = answers.find(query);
        if (found == answers.end()) FAIL("unexpected query: " << query);
        return found->second;
    };
    db.typed_answer = [answers, type](const std::string& query) {
        return QueryAnswer{1, 1, type, type == QueryAnswer::Type::integer ? "" : "text", answers.at(query)};
    };
    return db;
}

}  // namespace

TEST_CASE("KeyWalk: a text key is walked in batch_size rows, resuming after its checkpoint", "[key_walk]") {
    auto db = answering(
        {
            {"SELECT email FROM users WHERE email IS NOT NULL ORDER BY email DESC LIMIT 1", "zoe's"},
            {"SELECT email FROM users WHERE email <= 'zoe''s' AND email > 'bob' ORDER BY email LIMIT 1", "carl"},
            {"SELECT email FROM users WHERE email <= 'zoe''s' AND email > 'bob' ORDER BY email LIMIT 1 OFFSET 1",
             "dora"},
            {"SELECT email FROM users WHERE email <= 'zoe''s' AND email > 'dora' ORDER BY email LIMIT 1", "zoe's"},
            {"SELECT email FROM users WHERE email <= 'zoe''s' AND email > 'dora' ORDER BY email LIMIT 1 OFFSET 1",
             std::nullopt},
            {"SELECT email FROM users WHERE email <= 'zoe''s' AND email > 'zoe''s' ORDER BY email LIMIT 1",
             std::nullopt},
        },
        QueryAnswer::Type::other);
    const auto range = options();
    KeyWalk walk(db, range, "f.sql:1", std::string("bob"), 100);
    CHECK_FALSE(walk.integer());

    auto batch = walk.next(2);
    REQUIRE(batch);
    CHECK(batch->keys.start == "'carl'");
    CHECK(batch->keys.last == "'dora'");
    CHECK_FALSE(batch->keys.end);
    CHECK(batch->checkpoint == "dora");
    CHECK_FALSE(batch->last);
    walk.advance(*batch);

    batch = walk.next(2);  // one key left: the batch ends at the highest key
    REQUIRE(batch);
    CHECK(batch->keys.start == "'zoe''s'");
    CHECK(batch->keys.last == "'zoe''s'");
    CHECK(batch->last);
    walk.advance(*batch);
    CHECK_FALSE(walk.next(2));
}

TEST_CASE("KeyWalk: an integer key is walked in spans, with :batch_end and the share done", "[key_walk]") {
    auto range = options();
    range.key_column = "id";
    auto db = answering(
        {
            {"SELECT id FROM users WHERE id IS NOT NULL ORDER BY id DESC LIMIT 1", "100"},
            {"SELECT min(id) FROM users", "1"},
            {"SELECT min(id) FROM users WHERE id >= 51", "60"},
        },
        QueryAnswer::Type::integer);
    KeyWalk walk(db, range, "f.sql:1", std::nullopt, 1000);
    REQUIRE(walk.integer());
    auto batch = walk.next(50);
    REQUIRE(batch);
    CHECK(batch->keys.start == "1");
    CHECK(batch->keys.last == "50");
    CHECK(batch->keys.end == "51");
    CHECK(batch->done == Approx(0.5));
    walk.advance(*batch);
    batch = walk.next(50);  // skips the gap 51..59
    REQUIRE(batch);
    CHECK(batch->keys.start == "60");
    CHECK(batch->checkpoint == "110");
    CHECK(batch->last);
}

TEST_CASE("KeyWalk: a checkpoint that is no whole number cannot resume an integer walk", "[key_walk]") {
    auto range = options();
    range.key_column = "id";
    auto db = answering({{"SELECT id FROM users WHERE id IS NOT NULL ORDER BY id DESC LIMIT 1", "100"}},
                        QueryAnswer::Type::integer);
    CHECK_THROWS_WITH(KeyWalk(db, range, "f.sql:1", std::string("dora"), 1000),
                      Catch::Contains("the checkpoint (batch_cursor) of an integer key is 'dora', not a whole number"));
}
