// The SQLite layer: statements cached per connection (prepared once, whatever the number of
// uses), transactions that compile nothing per use, and a rollback that still happens when a
// transaction is dropped.

#include "service/sqlite/database.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/testing/fixtures.h"

namespace gpop::sqlite {
namespace {

const Schema& TestSchema() {
  static const Schema* schema = new Schema{
      "test database", 0x74657374, {"CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);"}, {}};
  return *schema;
}

std::unique_ptr<Database> OpenNew() {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(
      (gpop::testing::TempDir("gpop-sqlite-layer") / "test.db").string(), TestSchema());
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

absl::StatusOr<int64_t> Count(Database* db) { return db->QueryInt("SELECT count(*) FROM t"); }

TEST(DatabaseTest, CachedStatementsArePreparedOnceAndReused) {
  std::unique_ptr<Database> db = OpenNew();
  ASSERT_NE(db, nullptr);
  constexpr char kInsert[] = "INSERT INTO t (v) VALUES (?1)";
  const int64_t before = db->compiled();
  absl::StatusOr<Statement*> first = db->Cached(kInsert);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(db->compiled(), before + 1);
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<Statement*> again = db->Cached(kInsert);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *first);
    ASSERT_TRUE((*again)->Bind(1, std::string("row")).Run().ok());
    EXPECT_EQ(db->LastInsertRowid(), i + 1);
  }
  EXPECT_EQ(db->compiled(), before + 1);
  // Another SQL text is another statement.
  absl::StatusOr<Statement*> other = db->Cached("DELETE FROM t WHERE k = ?1");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *first);
  EXPECT_EQ(db->compiled(), before + 2);
  EXPECT_EQ(*Count(db.get()), 10);
}

TEST(DatabaseTest, BadSqlIsAnErrorAndNotCached) {
  std::unique_ptr<Database> db = OpenNew();
  ASSERT_NE(db, nullptr);
  EXPECT_FALSE(db->Cached("INSERT INTO nowhere VALUES (1)").ok());
  EXPECT_FALSE(db->Cached("INSERT INTO nowhere VALUES (1)").ok());  // tried again, not kept
}

TEST(DatabaseTest, TransactionsCompileNothingOnceWarm) {
  std::unique_ptr<Database> db = OpenNew();
  ASSERT_NE(db, nullptr);
  auto commit_one = [&] {
    absl::StatusOr<Transaction> tx = Transaction::Begin(db.get());
    ASSERT_TRUE(tx.ok()) << tx.status();
    absl::StatusOr<Statement*> insert = db->Cached("INSERT INTO t (v) VALUES ('x')");
    ASSERT_TRUE(insert.ok());
    ASSERT_TRUE((*insert)->Run().ok());
    ASSERT_TRUE(tx->Commit().ok());
  };
  commit_one();
  const int64_t warm = db->compiled();
  for (int i = 0; i < 5; ++i) commit_one();
  EXPECT_EQ(db->compiled(), warm);
  EXPECT_EQ(*Count(db.get()), 6);
}

TEST(DatabaseTest, ADroppedTransactionRollsBack) {
  std::unique_ptr<Database> db = OpenNew();
  ASSERT_NE(db, nullptr);
  for (int round = 0; round < 2; ++round) {  // the second with the ROLLBACK already cached
    absl::StatusOr<Transaction> tx = Transaction::Begin(db.get());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t (v) VALUES ('gone')").ok());
  }
  EXPECT_EQ(*Count(db.get()), 0);
  // The connection is usable afterwards: no transaction left open.
  absl::StatusOr<Transaction> tx = Transaction::Begin(db.get());
  ASSERT_TRUE(tx.ok()) << tx.status();
  ASSERT_TRUE(db->Exec("INSERT INTO t (v) VALUES ('kept')").ok());
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(*Count(db.get()), 1);
}

}  // namespace
}  // namespace gpop::sqlite
