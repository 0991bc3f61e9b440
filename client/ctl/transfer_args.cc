// gpopctl upload and download-backup (see transfer_args.h).

#include "client/ctl/transfer_args.h"

namespace gpop::ctl {
namespace {

absl::Status ParseUpload(const RawArgs& raw, Command* command) {
  command->verb = Verb::kUpload;
  if (raw.positional.size() != 1 || raw.positional[0].empty()) {
    return Usage("upload: expected one folder or .tar file");
  }
  command->transfer_paths = raw.positional;
  command->transfer_location = raw.Get("location");
  return absl::OkStatus();
}

absl::Status ParseDownloadBackup(const RawArgs& raw, Command* command) {
  command->verb = Verb::kDownloadBackup;
  if (raw.positional.empty()) return Usage("download-backup: expected one or more backup IDs");
  if (raw.Get("out").empty()) return Usage("download-backup: --out FILE.tar|DIR is required");
  command->transfer_paths = raw.positional;
  command->transfer_location = raw.Get("location");
  command->out_file = raw.Get("out");
  command->as_backup_set = raw.Has("set");
  return absl::OkStatus();
}

}  // namespace

std::vector<SubcommandArgs> TransferSubcommands() {
  return {
      {"upload",
       {{"location", true, false}},
       /*operation_flags=*/false,
       /*positional=*/true,
       ParseUpload},
      {"download-backup",
       {{"location", true, false}, {"out", true, false}, {"set", false, false}},
       false,
       true,
       ParseDownloadBackup},
  };
}

}  // namespace gpop::ctl
