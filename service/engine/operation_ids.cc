#include "service/engine/operation_ids.h"

namespace gpop::engine {

OperationIdGenerator::OperationIdGenerator() : rng_(std::random_device{}()) {}

std::string OperationIdGenerator::Next() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string id = "op-";
  for (int i = 0; i < 26; ++i) id += kAlphabet[rng_() % 32];
  return id;
}

}  // namespace gpop::engine
