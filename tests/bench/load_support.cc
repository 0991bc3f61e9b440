// See load_support.h.

#include "tests/bench/load_support.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace gpop::bench {

namespace {

[[noreturn]] void BadOption(const std::string& name, const std::string& value) {
  std::fprintf(stderr, "bench_load: --%s=%s: not a number (list)\n", name.c_str(), value.c_str());
  std::exit(2);
}

bool IsTerminal(v1::OperationState s) {
  return s == v1::SUCCEEDED || s == v1::FAILED || s == v1::CANCELLED;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Args::Args(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      std::fprintf(stderr, "bench_load: %s: options are --name=value\n", arg.c_str());
      std::exit(2);
    }
    size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      values_[arg.substr(2)] = "1";
    } else {
      values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    }
  }
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int64_t Args::GetInt(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end != '\0') BadOption(name, it->second);
  return v;
}

std::vector<int64_t> Args::GetInts(const std::string& name, std::vector<int64_t> fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  std::vector<int64_t> out;
  std::stringstream in(it->second);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (end == item.c_str() || *end != '\0') BadOption(name, it->second);
    out.push_back(v);
  }
  return out;
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("gpop.bench.channel", i);  // distinct arguments: never a shared connection
    args.SetMaxReceiveMessageSize(64 << 20);
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

std::string PrincipalToken(int i, int count) {
  return "bench-principal-" + std::to_string(count > 0 ? i % count : 0);
}

void Latencies::Merge(const Latencies& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

double Latencies::Percentile(double p) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * samples_.size()));
  rank = std::clamp<size_t>(rank, 1, samples_.size());
  return samples_[rank - 1];
}

int64_t RssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

JsonLine& JsonLine::Set(const std::string& key, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), std::isfinite(value) ? "%.6g" : "null", value);
  fields_.emplace_back(key, buf);
  return *this;
}

JsonLine& JsonLine::Set(const std::string& key, int64_t value) {
  fields_.emplace_back(key, std::to_string(value));
  return *this;
}

JsonLine& JsonLine::Set(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, "\"" + JsonEscape(value) + "\"");
  return *this;
}

void JsonLine::Print() const {
  std::string out = "{";
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out += ", ";
    out += "\"" + JsonEscape(fields_[i].first) + "\": " + fields_[i].second;
  }
  out += "}\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

void StatusWatcher::Group::WaitFirstItems(int n) {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return first_items >= n; });
}

void StatusWatcher::Group::WaitDone(int n) {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done >= n; });
}

StatusWatcher::StatusWatcher(Call call, const std::string& token, Group* group)
    : call_(std::move(call)), group_(group) {
  context_.AddMetadata("authorization", "Bearer " + token);
}

void StatusWatcher::Start() {
  call_(&context_, this);
  StartRead(&update_);
  StartCall();
}

SteadyClock::time_point StatusWatcher::terminal_time() const {
  return SteadyClock::time_point(SteadyClock::duration(terminal_ns_.load()));
}

void StatusWatcher::OnReadDone(bool ok) {
  if (!ok) return;  // OnDone follows
  if (update_.has_progress()) {
    if (update_.progress().has_observe_time()) {
      const google::protobuf::Timestamp& t = update_.progress().observe_time();
      auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      delivery_.Add(static_cast<double>(now - (t.seconds() * 1000000000 + t.nanos())) / 1e3);
    }
    progress_items_.fetch_add(1);
    last_numerator_.store(update_.progress().numerator());
  } else if (update_.has_event() && IsTerminal(update_.event().state())) {
    terminal_ns_.store(SteadyClock::now().time_since_epoch().count());
    terminal_state_.store(update_.event().state());
  }
  if (!first_seen_) {
    first_seen_ = true;
    std::lock_guard<std::mutex> lock(group_->mu);
    ++group_->first_items;
    group_->cv.notify_all();
  }
  StartRead(&update_);
}

void StatusWatcher::OnDone(const grpc::Status& status) {
  status_ = status;
  std::lock_guard<std::mutex> lock(group_->mu);
  if (!first_seen_) ++group_->first_items;  // settled: WaitFirstItems must not wait for it
  ++group_->done;
  group_->cv.notify_all();
}

}  // namespace gpop::bench
