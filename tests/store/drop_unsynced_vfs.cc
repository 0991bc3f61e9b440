#include "tests/store/drop_unsynced_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gpop::testing {
namespace {

std::atomic<bool> crashed{false};

// One open file: the real file after this header, and the writes not synced yet, in order.
// SQLite serialises calls on one file handle, but the pending list is also read by other
// handles' Crash paths, so it has its own mutex.
struct File {
  sqlite3_file base;
  std::mutex* mu;
  std::vector<std::pair<sqlite3_int64, std::string>>* pending;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

File* Of(sqlite3_file* f) { return reinterpret_cast<File*>(f); }

sqlite3_vfs* Real() { return sqlite3_vfs_find(nullptr); }

// Writes the pending writes to the real file (without syncing it).
int Apply(File* f) {
  std::lock_guard<std::mutex> lock(*f->mu);
  for (auto& [offset, bytes] : *f->pending) {
    int rc = f->real()->pMethods->xWrite(f->real(), bytes.data(), static_cast<int>(bytes.size()),
                                         offset);
    if (rc != SQLITE_OK) return rc;
  }
  f->pending->clear();
  return SQLITE_OK;
}

int Close(sqlite3_file* file) {
  File* f = Of(file);
  // A clean close leaves the data to the OS (page cache); a crashed one loses it.
  if (!crashed) Apply(f);
  int rc = f->real()->pMethods ? f->real()->pMethods->xClose(f->real()) : SQLITE_OK;
  delete f->pending;
  delete f->mu;
  return rc;
}

int Read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  int rc = f->real()->pMethods->xRead(f->real(), out, amount, offset);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  sqlite3_int64 real_size = 0;
  f->real()->pMethods->xFileSize(f->real(), &real_size);
  sqlite3_int64 size = real_size;
  std::lock_guard<std::mutex> lock(*f->mu);
  for (auto& [at, bytes] : *f->pending) {
    sqlite3_int64 end = at + static_cast<sqlite3_int64>(bytes.size());
    size = std::max(size, end);
    sqlite3_int64 from = std::max(at, offset), to = std::min(end, offset + amount);
    if (from < to) {
      std::memcpy(static_cast<char*>(out) + (from - offset), bytes.data() + (from - at), to - from);
    }
  }
  return offset + amount <= size ? SQLITE_OK : SQLITE_IOERR_SHORT_READ;
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  if (crashed) return SQLITE_OK;  // the machine is off: nothing reaches the disk
  File* f = Of(file);
  std::lock_guard<std::mutex> lock(*f->mu);
  f->pending->emplace_back(offset, std::string(static_cast<const char*>(data), amount));
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (crashed) return SQLITE_OK;
  File* f = Of(file);
  // Simplification: a truncate makes what was written before it reach the file first.
  if (int rc = Apply(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xTruncate(f->real(), size);
}

int Sync(sqlite3_file* file, int flags) {
  if (crashed) return SQLITE_OK;
  File* f = Of(file);
  if (int rc = Apply(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xSync(f->real(), flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  File* f = Of(file);
  int rc = f->real()->pMethods->xFileSize(f->real(), size);
  if (rc != SQLITE_OK) return rc;
  std::lock_guard<std::mutex> lock(*f->mu);
  for (auto& [at, bytes] : *f->pending) {
    *size = std::max(*size, at + static_cast<sqlite3_int64>(bytes.size()));
  }
  return SQLITE_OK;
}

#define PASS(name, ...) Of(file)->real()->pMethods->name(Of(file)->real(), ##__VA_ARGS__)
int Lock(sqlite3_file* file, int level) { return PASS(xLock, level); }
int Unlock(sqlite3_file* file, int level) { return PASS(xUnlock, level); }
int CheckReservedLock(sqlite3_file* file, int* out) { return PASS(xCheckReservedLock, out); }
int FileControl(sqlite3_file* file, int op, void* arg) {
  if (op == SQLITE_FCNTL_MMAP_SIZE) return SQLITE_NOTFOUND;  // no memory maps: reads see pending
  return PASS(xFileControl, op, arg);
}
int SectorSize(sqlite3_file* file) { return PASS(xSectorSize); }
int DeviceCharacteristics(sqlite3_file* file) { return PASS(xDeviceCharacteristics); }
int ShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  return PASS(xShmMap, page, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return PASS(xShmLock, offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) { PASS(xShmBarrier); }
int ShmUnmap(sqlite3_file* file, int delete_flag) { return PASS(xShmUnmap, delete_flag); }
#undef PASS
int Fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = Of(file);
  f->base.pMethods = nullptr;
  int rc = Real()->xOpen(Real(), name, f->real(), flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  f->mu = new std::mutex;
  f->pending = new std::vector<std::pair<sqlite3_int64, std::string>>;
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (crashed) return SQLITE_OK;
  return Real()->xDelete(Real(), name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return Real()->xAccess(Real(), name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return Real()->xFullPathname(Real(), name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return Real()->xDlOpen(Real(), name); }
void DlError(sqlite3_vfs*, int n, char* out) { Real()->xDlError(Real(), n, out); }
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return Real()->xDlSym(Real(), h, sym);
}
void DlClose(sqlite3_vfs*, void* h) { Real()->xDlClose(Real(), h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return Real()->xRandomness(Real(), n, out); }
int Sleep(sqlite3_vfs*, int us) { return Real()->xSleep(Real(), us); }
int CurrentTime(sqlite3_vfs*, double* out) { return Real()->xCurrentTime(Real(), out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return Real()->xGetLastError(Real(), n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return Real()->xCurrentTimeInt64(Real(), out);
}

}  // namespace

const char* DropUnsyncedVfs() {
  static const char* name = [] {
    static sqlite3_vfs vfs;
    std::memset(&vfs, 0, sizeof vfs);
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(File)) + Real()->szOsFile;
    vfs.mxPathname = Real()->mxPathname;
    vfs.zName = "gpop-drop-unsynced";
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    sqlite3_vfs_register(&vfs, 0);
    return vfs.zName;
  }();
  return name;
}

void CrashDropUnsynced() { crashed = true; }
void RestartDropUnsynced() { crashed = false; }

}  // namespace gpop::testing
