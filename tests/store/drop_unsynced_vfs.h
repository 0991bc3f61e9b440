// A SQLite VFS for tests that models a power cut: writes stay in memory until the file is
// synced, and Crash() throws away every write not synced yet (and ignores later writes, deletes
// and syncs, so that closing the crashed connections changes nothing on disk).

#ifndef GPOP_TESTS_STORE_DROP_UNSYNCED_VFS_H_
#define GPOP_TESTS_STORE_DROP_UNSYNCED_VFS_H_

namespace gpop::testing {

// The VFS name to pass to SqliteStoreOptions::vfs or sqlite3_open_v2. Registers it on first use.
// Thread-safe.
const char* DropUnsyncedVfs();

// From now on, unsynced writes are gone and the files are frozen as they are on "disk".
void CrashDropUnsynced();

// After the crashed connections are closed: files behave normally again ("the machine is back").
void RestartDropUnsynced();

}  // namespace gpop::testing

#endif  // GPOP_TESTS_STORE_DROP_UNSYNCED_VFS_H_
