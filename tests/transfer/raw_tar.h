// RawTar: builds tar streams byte by byte (ustar headers, optional pax records), so that tests
// can write the hostile entries no well-behaved tar writer would: "../" and absolute names,
// links, devices, lying sizes, truncated streams.
#ifndef GPOP_TESTS_TRANSFER_RAW_TAR_H_
#define GPOP_TESTS_TRANSFER_RAW_TAR_H_

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace gpop::transfer::testing {

class RawTar {
 public:
  // One entry: `type` is the ustar typeflag ('0' file, '5' folder, '1' hard link, '2' symlink,
  // '3' char device, '4' block device, '6' FIFO, 'x' pax header). `declared_size` < 0: the
  // size of `data`.
  RawTar& Entry(const std::string& name, char type, const std::string& data = "",
                const std::string& link = "", int64_t declared_size = -1) {
    char header[512];
    std::memset(header, 0, sizeof(header));
    std::strncpy(header, name.c_str(), 100);
    std::snprintf(header + 100, 8, "%07o", type == '5' ? 0755 : 0644);
    std::snprintf(header + 108, 8, "%07o", 0);
    std::snprintf(header + 116, 8, "%07o", 0);
    const int64_t size = declared_size >= 0 ? declared_size : static_cast<int64_t>(data.size());
    std::snprintf(header + 124, 12, "%011llo",
                  static_cast<unsigned long long>(size & 077777777777LL));
    std::snprintf(header + 136, 12, "%011o", 0);
    header[156] = type;
    std::strncpy(header + 157, link.c_str(), 100);
    std::memcpy(header + 257, "ustar", 6);
    std::memcpy(header + 263, "00", 2);
    std::memset(header + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    std::snprintf(header + 148, 8, "%06o", sum);
    header[155] = ' ';
    bytes_.append(header, sizeof(header));
    bytes_ += data;
    if (data.size() % 512 != 0) bytes_.append(512 - data.size() % 512, '\0');
    return *this;
  }
  RawTar& File(const std::string& name, const std::string& data) { return Entry(name, '0', data); }
  RawTar& Folder(const std::string& name) { return Entry(name, '5'); }
  // A pax extended header applying `key=value` to the next entry.
  RawTar& Pax(const std::string& key, const std::string& value) {
    std::string body = " " + key + "=" + value + "\n";
    size_t len = body.size();
    std::string record;
    for (size_t digits = 1;; ++digits) {
      record = std::to_string(len + digits) + body;
      if (record.size() == len + digits) break;
    }
    return Entry("PaxHeader", 'x', record);
  }
  std::string Finish() const { return bytes_ + std::string(1024, '\0'); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace gpop::transfer::testing

#endif  // GPOP_TESTS_TRANSFER_RAW_TAR_H_
