#include "service/engine/operation_ids.h"

#include <memory>
#include <vector>

namespace gpop::engine {
namespace {

std::mt19937_64 Seeded(const std::function<uint32_t()>& entropy) {
  std::vector<uint32_t> words(OperationIdGenerator::kSeedWords);
  for (uint32_t& w : words) w = entropy();
  std::seed_seq seq(words.begin(), words.end());
  return std::mt19937_64(seq);
}

}  // namespace

OperationIdGenerator::OperationIdGenerator()
    : OperationIdGenerator([device = std::make_shared<std::random_device>()] {
        return static_cast<uint32_t>((*device)());
      }) {}

OperationIdGenerator::OperationIdGenerator(const std::function<uint32_t()>& entropy)
    : rng_(Seeded(entropy)) {}

std::string OperationIdGenerator::Next() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string id = "op-";
  for (int i = 0; i < 26; ++i) id += kAlphabet[rng_() % 32];
  return id;
}

}  // namespace gpop::engine
