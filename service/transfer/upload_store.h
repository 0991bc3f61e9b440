// Uploads of GPMC backups and backup sets: each upload is a tar stream received in pieces into
// <uploads>/<id>/data.tar, resumable from the bytes already received, within size quotas per
// principal and overall. When the last byte arrives the whole stream is checked (SHA-256, then
// extracted into a staging folder inside the backup location and checked completely: see
// tar_extract.h and upload_layout.h) and only then published, all or nothing even across a
// crash (upload_publish.h): every backup folder staged, a journal listing them made durable,
// each renamed into the location and the location's manifest.xml rewritten (atomically) to list
// them, the journal marked done. A refused upload leaves nothing behind; a cut one leaves
// nothing visible; a publish stopped by a crash is finished or undone when the store opens.
#ifndef GPOP_SERVICE_TRANSFER_UPLOAD_STORE_H_
#define GPOP_SERVICE_TRANSFER_UPLOAD_STORE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"
#include "service/core/mutex.h"
#include "service/core/operation.h"
#include "service/transfer/publish_journal.h"
#include "service/transfer/tar_extract.h"
#include "service/transfer/transfer_locations.h"
#include "service/transfer/upload_publish.h"

namespace gpop::sysvol {
class LocationIndex;  // backup_index.h
}  // namespace gpop::sysvol

namespace gpop::transfer {

// ErrorInfo reasons of uploads (besides UPLOAD_REJECTED, tar_extract.h).
inline constexpr char kUploadNotFound[] = "UPLOAD_NOT_FOUND";
inline constexpr char kUploadQuotaExceeded[] = "UPLOAD_QUOTA_EXCEEDED";
inline constexpr char kUploadOffsetMismatch[] = "UPLOAD_OFFSET_MISMATCH";
inline constexpr char kUploadBusy[] = "UPLOAD_BUSY";
inline constexpr char kUploadChecksumMismatch[] = "UPLOAD_CHECKSUM_MISMATCH";
inline constexpr char kBackupExists[] = "BACKUP_EXISTS";

// UploadOptions
//
// Where uploads are kept and how large they may be.
struct UploadOptions {
  // Holds one folder per unfinished upload (created when missing).
  std::filesystem::path dir;
  TransferLocations locations;
  // Bytes of unfinished uploads (their declared total_bytes) one principal, and everyone
  // together, may have at once. Past them: RESOURCE_EXHAUSTED, UPLOAD_QUOTA_EXCEEDED.
  int64_t quota_per_principal = int64_t{2} << 30;
  int64_t quota_total = int64_t{8} << 30;
  // Unfinished uploads untouched this long are discarded.
  std::chrono::seconds expiry = std::chrono::hours(24);
  ExtractLimits limits;
  // The lock a backup operation holds while it reads and publishes into the location named
  // (sysvol::BackupLocations::Mutex): a publish renames the uploaded backups in under it, never
  // between a backup's scan of the location and its own publish. Null: the store's own lock.
  std::function<core::Mutex*(const std::string& location)> location_lock;
  // The in-memory index of the location named (sysvol::BackupLocations::Index), through which a
  // publish brings the location's manifest.xml up to date, under location_lock, before it
  // returns. Null: a fresh index for each publish (every backup's record of the location read).
  std::function<sysvol::LocationIndex*(const std::string& location)> location_index;
  // Test only (unit tests, and gpopd's kill hook in builds with GPOP_TEST_HOOKS): asked at each
  // step of a publish; true stops it there as a crash would (see PublishCrashHook).
  PublishCrashHook crash_hook;
  // Test only: asked at each step of the recovery of an interrupted publish (see
  // RecoveryCrashHook).
  RecoveryCrashHook recovery_crash_hook;
  // The wall clock (injected so that tests control expiry).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

// DeclaredFile
//
// A file the client says it sends (UploadFile of the proto).
struct DeclaredFile {
  std::string path;
  int64_t size = 0;
  std::string sha256;
};

// UploadRequest
//
// What CreateUpload asks for.
struct UploadRequest {
  std::string location;  // empty = default
  int64_t total_bytes = 0;
  std::string sha256;
  std::vector<DeclaredFile> files;
};

// UploadRecord
//
// An upload as the caller sees it.
struct UploadRecord {
  std::string id;
  std::string principal;
  std::string location;  // the configured name
  int64_t total_bytes = 0;
  std::string sha256;
  int64_t received_bytes = 0;
  bool published = false;
  bool backup_set = false;
  std::vector<PublishedBackup> backups;  // when published
};

// UploadStore
//
// Thread-safe. One writer per upload at a time (a second one: ABORTED, UPLOAD_BUSY). Uploads are
// seen only by the principal that created them (others: NOT_FOUND, UPLOAD_NOT_FOUND).
class UploadStore {
 public:
  // Open
  //
  // Creates `options.dir` when missing and takes up the uploads found there: unfinished ones
  // (their received bytes are the durably recorded offset, never more than the file holds) and
  // published ones (from their journal, until they expire or are cancelled), dropping expired or
  // unreadable ones. A publish a crash stopped past its commit point (an open journal) is
  // rolled forward when all its backup folders are staged or in the location, else rolled back
  // (the upload then complete, not published: finishing it again publishes it); either way
  // under the location's lock, before the store is used. Then removes the staging folders no
  // open journal needs.
  static core::Result<std::unique_ptr<UploadStore>> Open(UploadOptions options);

  const UploadOptions& options() const { return options_; }

  // Resolves a location name (empty: the default; exact, then ASCII case-insensitive).
  // NOT_FOUND, LOCATION_NOT_FOUND when none.
  core::Result<std::pair<std::string, std::filesystem::path>> ResolveLocation(
      const std::string& name) const;

  // Create
  //
  // Validates `request` (INVALID_ARGUMENT naming the field), checks the quotas and records a
  // new upload with nothing received.
  core::Result<UploadRecord> Create(const std::string& principal, const UploadRequest& request)
      GPOP_EXCLUDES(mu_);

  core::Result<UploadRecord> Get(const std::string& principal, const std::string& id)
      GPOP_EXCLUDES(mu_);

  // Cancel
  //
  // Removes an unfinished upload and its bytes; a published one is only forgotten. An upload
  // whose interrupted publish could not be resolved yet: FAILED_PRECONDITION, UPLOAD_BUSY.
  core::Result<UploadRecord> Cancel(const std::string& principal, const std::string& id)
      GPOP_EXCLUDES(mu_);

  // Writer
  //
  // Appends bytes of one upload; made by BeginWrite. Not thread-safe (one stream's handler).
  // Finish (or the destructor) releases the upload for the next writer.
  class Writer {
   public:
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    // Appends `data`; past total_bytes: OUT_OF_RANGE.
    core::Status Append(std::string_view data);
    // Makes the bytes received durable; when the upload is complete, checks and publishes it.
    // A refused upload is removed (its error says why).
    core::Result<UploadRecord> Finish();

   private:
    friend class UploadStore;
    Writer(UploadStore* store, std::string id, int fd, int64_t offset, int64_t total)
        : store_(store), id_(std::move(id)), fd_(fd), durable_(offset), offset_(offset),
          total_(total) {}
    // Syncs the bytes written and records their end as the durable offset; on any failure the
    // upload goes on from the durable offset it had.
    void Release();
    UploadStore* store_;
    std::string id_;
    int fd_;
    int64_t durable_;  // the offset recorded (synced) when this writer began
    int64_t offset_;   // the end of what this writer wrote
    int64_t total_;
  };

  // BeginWrite
  //
  // Starts appending at `offset`, which must be the bytes received so far (else
  // FAILED_PRECONDITION, UPLOAD_OFFSET_MISMATCH, metadata "received_bytes").
  core::Result<std::unique_ptr<Writer>> BeginWrite(const std::string& principal,
                                                   const std::string& id, int64_t offset)
      GPOP_EXCLUDES(mu_);

 private:
  struct Session {
    UploadRecord record;
    std::vector<DeclaredFile> declared;
    std::chrono::system_clock::time_point touched;
    bool writing = false;
    // A publish journal that is neither done nor undone (its recovery failed): resolved first
    // by the next publish attempt, never expired or cancelled meanwhile.
    bool journal_open = false;
  };

  explicit UploadStore(UploadOptions options) : options_(std::move(options)) {}

  std::filesystem::path FolderOf(const std::string& id) const { return options_.dir / id; }
  core::Status SaveMeta(const Session& session) const;
  // Records `received` (bytes of data.tar already fsynced) as where the upload goes on, durably
  // (a new file renamed over the old one, the folder synced). Open trusts only this record: a
  // crash can leave data.tar longer than what was synced, with bytes that never arrived.
  core::Status SaveReceived(const std::string& id, int64_t received) const;
  void ExpireLocked() GPOP_REQUIRES(mu_);
  void RemoveLocked(const std::string& id) GPOP_REQUIRES(mu_);
  core::Result<Session*> FindLocked(const std::string& principal, const std::string& id)
      GPOP_REQUIRES(mu_);
  void EndWrite(const std::string& id, int64_t received) GPOP_EXCLUDES(mu_);
  // Checks and publishes a complete upload (outside mu_: it reads and writes files).
  core::Result<UploadRecord> Publish(const std::string& id) GPOP_EXCLUDES(mu_);
  // The lock publishes into `location` take (UploadOptions::location_lock, else publish_mu_).
  core::Mutex* LocationMutex(const std::string& location);
  // Resolves the open publish journal of upload `id` (RecoverPublish) under the location's lock.
  core::Result<Recovered> ResolveJournal(const std::string& id, const PublishJournal& journal)
      GPOP_EXCLUDES(mu_);
  // Open's step for the upload folder `id` (upload_store_publish.cc): reads its journal into
  // `*journal` and resolves it when open (`*journal_open` when that failed: its staging folder
  // is added to `keep_staging`). False, with the staging folder kept too, when the folder or
  // its journal cannot be read: the upload is then skipped.
  bool RecoverAtOpen(const std::string& id, std::optional<PublishJournal>* journal,
                     bool* journal_open, std::set<std::string>* keep_staging) GPOP_EXCLUDES(mu_);
  // Removes from every location the upload staging folders not in `keep` (open journals').
  void RemoveStaleStaging(const std::set<std::string>& keep) const;

  const UploadOptions options_;
  core::Mutex mu_;
  std::map<std::string, Session> sessions_ GPOP_GUARDED_BY(mu_);
  // Serialises publishes when no location_lock is configured.
  core::Mutex publish_mu_;
};

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_UPLOAD_STORE_H_
