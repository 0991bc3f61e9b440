// Fake GPMC COM objects (see fake_gpmc.h). Only the methods the adapter uses do anything; the
// rest answer E_NOTIMPL, so an adapter that starts calling them shows up as a failing test.

#include "tests/gpmc/fake_gpmc.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <utility>

#include "service/backends/gpmc/com_util.h"
#include "service/backends/gpmc/gpmc_ids.h"

namespace gpop::gpmc::testing {

struct FakeWorld::Shutdown {
  core::Mutex mu;
  core::CondVar cv;
  bool down GPOP_GUARDED_BY(mu) = false;
  bool let_go GPOP_GUARDED_BY(mu) = false;
};

namespace {

// FakeUnknown
//
// IUnknown for a fake implementing interface `I`: atomic reference count, answers IUnknown,
// IDispatch (when `I` derives from it) and `I`, and counts itself in the world's live counter.
template <typename I>
class FakeUnknown : public I {
 public:
  explicit FakeUnknown(FakeWorld* world) : world_(world), live_(world->live_counter()) { ++*live_; }
  virtual ~FakeUnknown() { --*live_; }

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** out) override {
    if (!out) return E_POINTER;
    *out = nullptr;
    if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IidOf<I>::value()) ||
        (std::is_base_of<IDispatch, I>::value && IsEqualIID(riid, IID_IDispatch))) {
      *out = static_cast<I*>(this);
      AddRef();
      return S_OK;
    }
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return ++refs_; }
  ULONG STDMETHODCALLTYPE Release() override {
    const ULONG left = --refs_;
    if (left == 0) delete this;
    return left;
  }

 protected:
  FakeWorld* const world_;

 private:
  const std::shared_ptr<std::atomic<long>> live_;
  std::atomic<ULONG> refs_{1};
};

// FakeDispatch
//
// FakeUnknown plus an IDispatch without a type library.
template <typename I>
class FakeDispatch : public FakeUnknown<I> {
 public:
  using FakeUnknown<I>::FakeUnknown;
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* n) override {
    *n = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT, LCID, ITypeInfo**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID, LPOLESTR*, UINT, LCID, DISPID*) override {
    return DISP_E_UNKNOWNNAME;
  }
  HRESULT STDMETHODCALLTYPE Invoke(DISPID, REFIID, LCID, WORD, DISPPARAMS*, VARIANT*, EXCEPINFO*,
                                   UINT*) override {
    return E_NOTIMPL;
  }
};

HRESULT PutString(const std::string& text, BSTR* out) {
  if (!out) return E_POINTER;
  const std::wstring wide = Utf8ToWide(text);
  *out = SysAllocStringLen(wide.data(), static_cast<UINT>(wide.size()));
  return S_OK;
}

std::string ToUtf8(BSTR s) { return s ? WideToUtf8(s, SysStringLen(s)) : std::string(); }

// Puts a new reference to `object` into `*out` as VT_DISPATCH and drops the caller's one.
void PutDispatch(IDispatch* object, VARIANT* out) {
  VariantInit(out);
  out->vt = VT_DISPATCH;
  out->pdispVal = object;  // takes over the creation reference
}

class FakeEnum final : public FakeUnknown<IEnumVARIANT> {
 public:
  FakeEnum(FakeWorld* world, std::vector<IDispatch*> items)  // takes one reference of each
      : FakeUnknown(world), items_(std::move(items)) {}
  ~FakeEnum() override {
    for (IDispatch* item : items_) item->Release();
  }
  HRESULT STDMETHODCALLTYPE Next(ULONG n, VARIANT* out, ULONG* fetched) override {
    ULONG done = 0;
    while (done < n && next_ < items_.size()) {
      items_[next_]->AddRef();
      PutDispatch(items_[next_++], &out[done++]);
    }
    if (fetched) *fetched = done;
    return done == n ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG n) override {
    next_ += n;
    return next_ <= items_.size() ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Reset() override {
    next_ = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(IEnumVARIANT**) override { return E_NOTIMPL; }

 private:
  std::vector<IDispatch*> items_;
  size_t next_ = 0;
};

// FakeCollection
//
// A GPMC collection (IGPMGPOCollection, IGPMBackupCollection, IGPMStatusMsgCollection share
// Count / Item (1-based, as VB collections) / _NewEnum).
template <typename I>
class FakeCollection final : public FakeDispatch<I> {
 public:
  FakeCollection(FakeWorld* world, std::vector<IDispatch*> items)  // takes the references
      : FakeDispatch<I>(world), items_(std::move(items)) {}
  ~FakeCollection() override {
    for (IDispatch* item : items_) item->Release();
  }
  HRESULT STDMETHODCALLTYPE get_Count(LONG* n) override {
    *n = static_cast<LONG>(items_.size());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Item(LONG i, VARIANT* out) override {
    if (i < 1 || i > static_cast<LONG>(items_.size())) return E_INVALIDARG;
    items_[i - 1]->AddRef();
    PutDispatch(items_[i - 1], out);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get__NewEnum(IEnumVARIANT** out) override {
    for (IDispatch* item : items_) item->AddRef();
    *out = new FakeEnum(this->world_, items_);
    return S_OK;
  }

 private:
  std::vector<IDispatch*> items_;
};

class FakeStatusMessage final : public FakeDispatch<IGPMStatusMessage> {
 public:
  FakeStatusMessage(FakeWorld* world, FakeMessage m) : FakeDispatch(world), m_(std::move(m)) {}
  HRESULT STDMETHODCALLTYPE get_ObjectPath(BSTR* s) override {
    return PutString(m_.object_path, s);
  }
  HRESULT STDMETHODCALLTYPE ErrorCode() override { return m_.error_code; }
  HRESULT STDMETHODCALLTYPE get_ExtensionName(BSTR* s) override {
    return PutString(m_.extension_name, s);
  }
  HRESULT STDMETHODCALLTYPE get_SettingsName(BSTR* s) override {
    return PutString(m_.settings_name, s);
  }
  HRESULT STDMETHODCALLTYPE OperationCode() override { return m_.operation_code; }
  HRESULT STDMETHODCALLTYPE get_Message(BSTR* s) override { return PutString(m_.message, s); }

 private:
  const FakeMessage m_;
};

class FakeResult final : public FakeDispatch<IGPMResult> {
 public:
  FakeResult(FakeWorld* world, HRESULT overall, const VARIANT* result,
             std::vector<FakeMessage> messages)
      : FakeDispatch(world), overall_(overall), messages_(std::move(messages)) {
    result_ = Variant::CopyOf(result);
  }
  HRESULT STDMETHODCALLTYPE get_Status(IGPMStatusMsgCollection** out) override {
    *out = NewStatusMessages(world_, messages_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Result(VARIANT* out) override {
    VariantInit(out);
    return VariantCopy(out, result_.get());
  }
  HRESULT STDMETHODCALLTYPE OverallStatus() override { return overall_; }

 private:
  const HRESULT overall_;
  Variant result_;
  const std::vector<FakeMessage> messages_;
};

// One asynchronous call's delivery: shared by the delivery thread and the cancel object.
class AsyncJob {
 public:
  AsyncJob(FakeWorld* world, AsyncScript script, ComPtr<IGPMAsyncProgress> progress,
           const VARIANT* result)
      : world_(world), script_(std::move(script)), progress_(std::move(progress)) {
    result_ = Variant::CopyOf(result);
  }

  void Deliver() {
    const long den = script_.progress_steps + 1;
    for (int i = 1; i <= script_.progress_steps; ++i) {
      IGPMStatusMsgCollection* messages = nullptr;
      if (i == 1 && !script_.progress_messages.empty()) {
        messages = NewStatusMessages(world_, script_.progress_messages);
      }
      Variant none;
      progress_->Status(i, den, S_OK, none.get(), messages);
      if (messages) messages->Release();
    }
    if (script_.wait_for_cancel) {
      bool cancelled = WaitForCancel();
      if (script_.final_inside_cancel && cancelled) return;  // Cancel() delivered it
    }
    if (script_.hold_until_let_go) {
      WaitForLetGo();
      if (script_.late_final) SendFinal(script_.late_final_hr);
      return;
    }
    if (script_.send_final) SendFinal(script_.final_hr);
  }

  HRESULT Cancel() {
    {
      core::MutexLock lock(&mu_);
      cancelled_ = true;
      cv_.SignalAll();
    }
    if (script_.final_inside_cancel) SendFinal(script_.final_hr);
    return script_.cancel_hr;
  }

 private:
  bool WaitForCancel() {
    const auto& shutdown = world_->shutdown();
    for (;;) {
      {
        core::MutexLock lock(&mu_);
        if (cancelled_) return true;
        cv_.WaitUntil(&mu_, std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
        if (cancelled_) return true;
      }
      core::MutexLock lock(&shutdown->mu);
      if (shutdown->down) return false;
    }
  }

  void WaitForLetGo() {
    const auto& shutdown = world_->shutdown();
    core::MutexLock lock(&shutdown->mu);
    while (!shutdown->let_go && !shutdown->down) shutdown->cv.Wait(&shutdown->mu);
  }

  void SendFinal(HRESULT hr) {
    const long den = script_.progress_steps + 1;
    const bool ok = SUCCEEDED(hr);
    IGPMStatusMsgCollection* messages = nullptr;
    if (!script_.final_messages.empty()) {
      messages = NewStatusMessages(world_, script_.final_messages);
    }
    Variant none;
    progress_->Status(ok ? den : den - 1, den, hr, ok ? result_.get() : none.get(), messages);
    if (messages) messages->Release();
  }

  FakeWorld* const world_;
  const AsyncScript script_;
  const ComPtr<IGPMAsyncProgress> progress_;
  Variant result_;
  core::Mutex mu_;
  core::CondVar cv_;
  bool cancelled_ GPOP_GUARDED_BY(mu_) = false;
};

class FakeAsyncCancel final : public FakeDispatch<IGPMAsyncCancel> {
 public:
  FakeAsyncCancel(FakeWorld* world, std::shared_ptr<AsyncJob> job)
      : FakeDispatch(world), job_(std::move(job)) {}
  HRESULT STDMETHODCALLTYPE Cancel() override {
    world_->Record("Cancel");
    return job_->Cancel();
  }

 private:
  const std::shared_ptr<AsyncJob> job_;
};

class FakeMigrationTable final : public FakeDispatch<IGPMMigrationTable> {
 public:
  FakeMigrationTable(FakeWorld* world, std::string path)
      : FakeDispatch(world), path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  HRESULT STDMETHODCALLTYPE Save(BSTR) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE Add(LONG, VARIANT) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE AddEntry(BSTR, GPMEntryType, VARIANT*, IGPMMapEntry**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE GetEntry(BSTR, IGPMMapEntry**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE DeleteEntry(BSTR) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE UpdateDestination(BSTR, VARIANT*, IGPMMapEntry**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE Validate(IGPMResult**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GetEntries(IGPMMapEntryCollection**) override { return E_NOTIMPL; }

 private:
  const std::string path_;
};

// "table=<path>" for a migration-table argument, "table=none" for an empty one.
std::string DescribeTable(const VARIANT* table) {
  if (!table || table->vt == VT_EMPTY) return "table=none";
  if (table->vt != VT_DISPATCH || !table->pdispVal) return "table=bad";
  auto* fake = dynamic_cast<FakeMigrationTable*>(table->pdispVal);
  return fake ? "table=" + fake->path() : "table=foreign";
}

class FakeSearchCriteria final : public FakeDispatch<IGPMSearchCriteria> {
 public:
  using FakeDispatch::FakeDispatch;
  HRESULT STDMETHODCALLTYPE Add(GPMSearchProperty property, GPMSearchOperation op,
                                VARIANT value) override {
    if (op != opEquals || value.vt != VT_BSTR) return E_INVALIDARG;
    if (property == gpoDisplayName)
      display_name_ = ToUtf8(value.bstrVal);
    else if (property == gpoID)
      gpo_id_ = ToUtf8(value.bstrVal);
    else
      return E_INVALIDARG;
    return S_OK;
  }
  std::string display_name_;
  std::string gpo_id_;
};

IDispatch* NewGpo(FakeWorld* world, const std::string& id);
IDispatch* NewBackup(FakeWorld* world, const FakeWorld::BackupData& data);

void NewReport(const std::string& text, VARIANT* out) {
  VariantInit(out);
  out->vt = VT_BSTR;
  out->bstrVal = SysAllocString(Utf8ToWide(text).c_str());
}

// Runs world->StartAsync with `final_result` (one reference, released here).
HRESULT StartWith(FakeWorld* world, IDispatch* final_result, VARIANT* progress, VARIANT* cancel,
                  IGPMResult** result) {
  Variant value;
  if (final_result) PutDispatch(final_result, value.get());
  return world->StartAsync(progress, cancel, result, value.get());
}

class FakeBackup final : public FakeDispatch<IGPMBackup> {
 public:
  FakeBackup(FakeWorld* world, FakeWorld::BackupData data)
      : FakeDispatch(world), data_(std::move(data)) {}
  HRESULT STDMETHODCALLTYPE get_ID(BSTR* s) override { return PutString(data_.id, s); }
  HRESULT STDMETHODCALLTYPE get_GPOID(BSTR* s) override { return PutString(data_.gpo_id, s); }
  HRESULT STDMETHODCALLTYPE get_GPODomain(BSTR* s) override {
    return PutString("corp.example.com", s);
  }
  HRESULT STDMETHODCALLTYPE get_GPODisplayName(BSTR* s) override {
    return PutString(data_.gpo_name, s);
  }
  HRESULT STDMETHODCALLTYPE get_Timestamp(DATE* d) override {
    *d = 45000.5;  // 2023-03-15 12:00 UTC
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Comment(BSTR* s) override { return PutString(data_.comment, s); }
  HRESULT STDMETHODCALLTYPE get_BackupDir(BSTR* s) override { return PutString(data_.dir, s); }
  HRESULT STDMETHODCALLTYPE Delete() override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GenerateReport(GPMReportType type, VARIANT* progress, VARIANT* cancel,
                                           IGPMResult** result) override {
    world_->Record("Backup.GenerateReport(" + data_.id + ",type=" + std::to_string(type) + ")");
    Variant report;
    NewReport("<report backup=\"" + data_.id + "\" type=\"" + std::to_string(type) + "\"/>",
              report.get());
    return world_->StartAsync(progress, cancel, result, report.get());
  }
  HRESULT STDMETHODCALLTYPE GenerateReportToFile(GPMReportType, BSTR, IGPMResult**) override {
    return E_NOTIMPL;
  }

 private:
  const FakeWorld::BackupData data_;
};

// A backup into a directory that really exists (a test's temporary folder) gets files, as GPMC
// writes them: "<dir>\\<id>\\Backup.xml" and "<dir>\\<id>\\DomainSysvol\\GPO\\gpt.ini"
// (kFakeBackupBytes bytes in all). Other directories stay names only.
void WriteBackupFiles(const std::string& dir, const std::string& id) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(fs::u8path(dir), ec)) return;
  const fs::path folder = fs::u8path(dir) / fs::u8path(id);
  fs::create_directories(folder / "DomainSysvol" / "GPO", ec);
  std::ofstream(folder / "Backup.xml", std::ios::binary) << kFakeBackupXml;
  std::ofstream(folder / "DomainSysvol" / "GPO" / "gpt.ini", std::ios::binary) << kFakeGptIni;
}

class FakeGpo final : public FakeDispatch<IGPMGPO> {
 public:
  FakeGpo(FakeWorld* world, std::string id) : FakeDispatch(world), id_(std::move(id)) {}

  HRESULT STDMETHODCALLTYPE get_DisplayName(BSTR* s) override {
    return PutString(world_->GpoName(id_), s);
  }
  HRESULT STDMETHODCALLTYPE put_DisplayName(BSTR name) override {
    world_->Record("put_DisplayName(" + id_ + "," + ToUtf8(name) + ")");
    world_->RenameGpo(id_, ToUtf8(name));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Path(BSTR*) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE get_ID(BSTR* s) override { return PutString(id_, s); }
  HRESULT STDMETHODCALLTYPE get_DomainName(BSTR* s) override {
    return PutString("corp.example.com", s);
  }
  HRESULT STDMETHODCALLTYPE get_CreationTime(DATE* d) override {
    *d = 45000.0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_ModificationTime(DATE* d) override {
    *d = 45001.0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_UserDSVersionNumber(LONG* v) override {
    *v = 3;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_ComputerDSVersionNumber(LONG* v) override {
    *v = 7;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_UserSysvolVersionNumber(LONG*) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE get_ComputerSysvolVersionNumber(LONG*) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GetWMIFilter(IGPMWMIFilter**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE SetWMIFilter(IGPMWMIFilter*) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE SetUserEnabled(VARIANT_BOOL) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE SetComputerEnabled(VARIANT_BOOL) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE IsUserEnabled(VARIANT_BOOL* v) override {
    *v = VARIANT_TRUE;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE IsComputerEnabled(VARIANT_BOOL* v) override {
    *v = VARIANT_FALSE;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetSecurityInfo(IGPMSecurityInfo**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE SetSecurityInfo(IGPMSecurityInfo*) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE Delete() override {
    world_->Record("Delete(" + id_ + ")");
    return world_->DeleteGpo(id_);
  }
  HRESULT STDMETHODCALLTYPE Backup(BSTR dir, BSTR comment, VARIANT* progress, VARIANT* cancel,
                                   IGPMResult** result) override {
    world_->Record("Backup(" + id_ + "," + ToUtf8(dir) + "," + ToUtf8(comment) + ")");
    FakeWorld::BackupData data;
    const std::string backup_id = world_->AddBackupOf(ToUtf8(dir), id_, ToUtf8(comment));
    world_->FindBackup(ToUtf8(dir), backup_id, &data);
    WriteBackupFiles(ToUtf8(dir), backup_id);
    return StartWith(world_, NewBackup(world_, data), progress, cancel, result);
  }
  HRESULT STDMETHODCALLTYPE Import(LONG flags, IGPMBackup* backup, VARIANT* table,
                                   VARIANT* progress, VARIANT* cancel,
                                   IGPMResult** result) override {
    Bstr backup_id;
    if (!backup || FAILED(backup->get_ID(backup_id.Put()))) return E_INVALIDARG;
    world_->Record("Import(" + id_ + ",backup=" + backup_id.Utf8() +
                   ",flags=" + std::to_string(flags) + "," + DescribeTable(table) + ")");
    return StartWith(world_, NewGpo(world_, id_), progress, cancel, result);
  }
  HRESULT STDMETHODCALLTYPE GenerateReport(GPMReportType type, VARIANT* progress, VARIANT* cancel,
                                           IGPMResult** result) override {
    world_->Record("GenerateReport(" + id_ + ",type=" + std::to_string(type) + ")");
    Variant report;
    NewReport("<report gpo=\"" + id_ + "\" type=\"" + std::to_string(type) + "\"/>", report.get());
    return world_->StartAsync(progress, cancel, result, report.get());
  }
  HRESULT STDMETHODCALLTYPE GenerateReportToFile(GPMReportType, BSTR, IGPMResult**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE CopyTo(LONG flags, IGPMDomain* domain, VARIANT* name, VARIANT* table,
                                   VARIANT* progress, VARIANT* cancel,
                                   IGPMResult** result) override {
    if (!domain || !name || name->vt != VT_BSTR) return E_INVALIDARG;
    world_->Record("CopyTo(" + id_ + ",name=" + ToUtf8(name->bstrVal) +
                   ",flags=" + std::to_string(flags) + "," + DescribeTable(table) + ")");
    IDispatch* copy = nullptr;
    if (SUCCEEDED(world_->script().start_hr)) {
      const std::string new_id = world_->CreateGpo();
      world_->RenameGpo(new_id, ToUtf8(name->bstrVal));
      copy = NewGpo(world_, new_id);
    }
    return StartWith(world_, copy, progress, cancel, result);
  }
  HRESULT STDMETHODCALLTYPE SetSecurityDescriptor(LONG, IDispatch*) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GetSecurityDescriptor(LONG, IDispatch**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE IsACLConsistent(VARIANT_BOOL*) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE MakeACLConsistent() override { return E_NOTIMPL; }

 private:
  const std::string id_;
};

IDispatch* NewGpo(FakeWorld* world, const std::string& id) { return new FakeGpo(world, id); }
IDispatch* NewBackup(FakeWorld* world, const FakeWorld::BackupData& data) {
  return new FakeBackup(world, data);
}

class FakeBackupDir final : public FakeDispatch<IGPMBackupDir> {
 public:
  FakeBackupDir(FakeWorld* world, std::string dir) : FakeDispatch(world), dir_(std::move(dir)) {}
  HRESULT STDMETHODCALLTYPE get_BackupDirectory(BSTR* s) override { return PutString(dir_, s); }
  HRESULT STDMETHODCALLTYPE GetBackup(BSTR id, IGPMBackup** out) override {
    world_->Record("GetBackup(" + ToUtf8(id) + ")");
    FakeWorld::BackupData data;
    if (!world_->FindBackup(dir_, ToUtf8(id), &data))
      return HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
    *out = new FakeBackup(world_, data);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE SearchBackups(IGPMSearchCriteria* criteria,
                                          IGPMBackupCollection** out) override {
    auto* fake = dynamic_cast<FakeSearchCriteria*>(criteria);
    std::vector<IDispatch*> items;
    for (const auto& b : world_->BackupsIn(dir_)) {
      if (fake && !fake->gpo_id_.empty() && fake->gpo_id_ != b.gpo_id) continue;
      if (fake && !fake->display_name_.empty() && fake->display_name_ != b.gpo_name) continue;
      items.push_back(new FakeBackup(world_, b));
    }
    *out = new FakeCollection<IGPMBackupCollection>(world_, std::move(items));
    return S_OK;
  }

 private:
  const std::string dir_;
};

class FakeDomain final : public FakeDispatch<IGPMDomain> {
 public:
  using FakeDispatch::FakeDispatch;
  HRESULT STDMETHODCALLTYPE get_DomainController(BSTR* s) override {
    return PutString("dc1.corp.example.com", s);
  }
  HRESULT STDMETHODCALLTYPE get_Domain(BSTR* s) override {
    return PutString("corp.example.com", s);
  }
  HRESULT STDMETHODCALLTYPE CreateGPO(IGPMGPO** out) override {
    const std::string id = world_->CreateGpo();
    world_->Record("CreateGPO(" + id + ")");
    *out = new FakeGpo(world_, id);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetGPO(BSTR id, IGPMGPO** out) override {
    world_->Record("GetGPO(" + ToUtf8(id) + ")");
    if (!world_->HasGpo(ToUtf8(id))) return HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
    *out = new FakeGpo(world_, ToUtf8(id));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE SearchGPOs(IGPMSearchCriteria* criteria,
                                       IGPMGPOCollection** out) override {
    auto* fake = dynamic_cast<FakeSearchCriteria*>(criteria);
    const std::string name = fake ? fake->display_name_ : std::string();
    world_->Record("SearchGPOs(" + name + ")");
    std::vector<IDispatch*> items;
    for (const std::string& id : world_->GposNamed(name)) items.push_back(new FakeGpo(world_, id));
    *out = new FakeCollection<IGPMGPOCollection>(world_, std::move(items));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE RestoreGPO(IGPMBackup* backup, LONG flags, VARIANT* progress,
                                       VARIANT* cancel, IGPMResult** result) override {
    Bstr id, gpo_id;
    if (!backup || FAILED(backup->get_ID(id.Put())) || FAILED(backup->get_GPOID(gpo_id.Put()))) {
      return E_INVALIDARG;
    }
    world_->Record("RestoreGPO(" + id.Utf8() + ",flags=" + std::to_string(flags) + ")");
    return StartWith(world_, NewGpo(world_, gpo_id.Utf8()), progress, cancel, result);
  }
  HRESULT STDMETHODCALLTYPE GetSOM(BSTR, IGPMSOM**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE SearchSOMs(IGPMSearchCriteria*, IGPMSOMCollection**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE GetWMIFilter(BSTR, IGPMWMIFilter**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE SearchWMIFilters(IGPMSearchCriteria*,
                                             IGPMWMIFilterCollection**) override {
    return E_NOTIMPL;
  }
};

class FakeGpm final : public FakeDispatch<IGPM> {
 public:
  using FakeDispatch::FakeDispatch;
  HRESULT STDMETHODCALLTYPE GetDomain(BSTR domain, BSTR dc, LONG flags, IGPMDomain** out) override {
    world_->Record("GetDomain(" + ToUtf8(domain) + "," + ToUtf8(dc) + "," + std::to_string(flags) +
                   ")");
    *out = new FakeDomain(world_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetBackupDir(BSTR dir, IGPMBackupDir** out) override {
    if (!world_->HasBackupDir(ToUtf8(dir))) return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
    *out = new FakeBackupDir(world_, ToUtf8(dir));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetSitesContainer(BSTR, BSTR, BSTR, LONG,
                                              IGPMSitesContainer**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE GetRSOP(GPMRSOPMode, BSTR, LONG, IGPMRSOP**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE CreatePermission(BSTR, GPMPermissionType, VARIANT_BOOL,
                                             IGPMPermission**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE CreateSearchCriteria(IGPMSearchCriteria** out) override {
    *out = new FakeSearchCriteria(world_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE CreateTrustee(BSTR, IGPMTrustee**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GetClientSideExtensions(IGPMCSECollection**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE GetConstants(IGPMConstants**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GetMigrationTable(BSTR path, IGPMMigrationTable** out) override {
    world_->Record("GetMigrationTable(" + ToUtf8(path) + ")");
    *out = new FakeMigrationTable(world_, ToUtf8(path));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE CreateMigrationTable(IGPMMigrationTable**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE InitializeReporting(BSTR) override { return E_NOTIMPL; }
};

}  // namespace

IGPMStatusMsgCollection* NewStatusMessages(FakeWorld* world,
                                           const std::vector<FakeMessage>& messages) {
  std::vector<IDispatch*> items;
  for (const FakeMessage& m : messages) items.push_back(new FakeStatusMessage(world, m));
  return new FakeCollection<IGPMStatusMsgCollection>(world, std::move(items));
}

FakeWorld::FakeWorld()
    : live_(std::make_shared<std::atomic<long>>(0)), shutdown_(std::make_shared<Shutdown>()) {}

FakeWorld::~FakeWorld() { JoinThreads(); }

GpmFactory FakeWorld::Factory(HRESULT hr) {
  return [this, hr](IGPM** out) -> HRESULT {
    Record("CreateGPM");
    if (FAILED(hr)) return hr;
    *out = new FakeGpm(this);
    return S_OK;
  };
}

void FakeWorld::AddGpo(const std::string& id, const std::string& name) {
  core::MutexLock lock(&mu_);
  gpos_[id] = name;
}

void FakeWorld::AddBackupDir(const std::string& dir) {
  core::MutexLock lock(&mu_);
  dirs_.push_back(dir);
}

void FakeWorld::AddBackup(const std::string& dir, const std::string& backup_id,
                          const std::string& gpo_id, const std::string& gpo_name) {
  core::MutexLock lock(&mu_);
  backups_.push_back({backup_id, dir, gpo_id, gpo_name, "made by the test"});
}

bool FakeWorld::HasGpo(const std::string& id) const {
  core::MutexLock lock(&mu_);
  return gpos_.count(id) != 0;
}

std::string FakeWorld::GpoName(const std::string& id) const {
  core::MutexLock lock(&mu_);
  auto it = gpos_.find(id);
  return it == gpos_.end() ? std::string() : it->second;
}

std::vector<std::string> FakeWorld::GposNamed(const std::string& name) const {
  core::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [id, n] : gpos_) {
    if (name.empty() || _stricmp(n.c_str(), name.c_str()) == 0) out.push_back(id);
  }
  return out;
}

size_t FakeWorld::gpo_count() const {
  core::MutexLock lock(&mu_);
  return gpos_.size();
}

void FakeWorld::SetScript(AsyncScript script) {
  core::MutexLock lock(&mu_);
  script_ = std::move(script);
}

AsyncScript FakeWorld::script() const {
  core::MutexLock lock(&mu_);
  return script_;
}

std::vector<std::string> FakeWorld::calls() const {
  core::MutexLock lock(&mu_);
  return calls_;
}

int FakeWorld::CountCalls(const std::string& prefix) const {
  core::MutexLock lock(&mu_);
  int n = 0;
  for (const std::string& c : calls_) n += c.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

void FakeWorld::Record(std::string call) {
  core::MutexLock lock(&mu_);
  calls_.push_back(std::move(call));
}

void FakeWorld::LetGo() {
  core::MutexLock lock(&shutdown_->mu);
  shutdown_->let_go = true;
  shutdown_->cv.SignalAll();
}

void FakeWorld::JoinThreads() {
  {
    core::MutexLock lock(&shutdown_->mu);
    shutdown_->down = true;
    shutdown_->cv.SignalAll();
  }
  std::vector<std::thread> threads;
  {
    core::MutexLock lock(&mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

HRESULT FakeWorld::StartAsync(VARIANT* progress, VARIANT* cancel, IGPMResult** result,
                              const VARIANT* final_result) {
  const AsyncScript s = script();
  if (FAILED(s.start_hr)) return s.start_hr;
  if (!progress || progress->vt != VT_DISPATCH || !progress->pdispVal || !cancel || !result) {
    return E_INVALIDARG;  // the adapter must always run asynchronously
  }
  ComPtr<IGPMAsyncProgress> sink =
      ComPtr<IDispatch>::Share(progress->pdispVal).As<IGPMAsyncProgress>();
  if (!sink) return E_NOINTERFACE;
  auto job = std::make_shared<AsyncJob>(this, s, sink, final_result);
  PutDispatch(new FakeAsyncCancel(this, job), cancel);
  *result = new FakeResult(this, s.overall_hr, final_result, s.result_messages);
  if (s.delivery == AsyncScript::Delivery::kBeforeReturn) {
    Record("Status before return");
    job->Deliver();
  } else {
    core::MutexLock lock(&mu_);
    threads_.emplace_back([job] { job->Deliver(); });
  }
  return S_OK;
}

std::string FakeWorld::CreateGpo() {
  core::MutexLock lock(&mu_);
  char id[64];
  std::snprintf(id, sizeof(id), "{0000FA4E-0000-4000-8000-%012d}", next_id_++);
  gpos_[id] = "";
  return id;
}

void FakeWorld::RenameGpo(const std::string& id, const std::string& name) {
  core::MutexLock lock(&mu_);
  if (gpos_.count(id)) gpos_[id] = name;
}

HRESULT FakeWorld::DeleteGpo(const std::string& id) {
  core::MutexLock lock(&mu_);
  return gpos_.erase(id) ? S_OK : HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
}

bool FakeWorld::HasBackupDir(const std::string& dir) const {
  core::MutexLock lock(&mu_);
  for (const std::string& d : dirs_) {
    if (d == dir) return true;
  }
  return false;
}

bool FakeWorld::FindBackup(const std::string& dir, const std::string& id, BackupData* out) const {
  core::MutexLock lock(&mu_);
  for (const BackupData& b : backups_) {
    if (b.dir == dir && b.id == id) {
      *out = b;
      return true;
    }
  }
  return false;
}

std::vector<FakeWorld::BackupData> FakeWorld::BackupsIn(const std::string& dir) const {
  core::MutexLock lock(&mu_);
  std::vector<BackupData> out;
  for (const BackupData& b : backups_) {
    if (b.dir == dir) out.push_back(b);
  }
  return out;
}

std::string FakeWorld::AddBackupOf(const std::string& dir, const std::string& gpo_id,
                                   const std::string& comment) {
  core::MutexLock lock(&mu_);
  char id[64];
  std::snprintf(id, sizeof(id), "{0000BAC0-0000-4000-8000-%012d}", next_id_++);
  auto it = gpos_.find(gpo_id);
  backups_.push_back({id, dir, gpo_id, it == gpos_.end() ? "" : it->second, comment});
  return id;
}

}  // namespace gpop::gpmc::testing
