// Operation ids: "op-" and 26 random base32 characters (130 bits), unguessable and unique.

#ifndef GPOP_SERVICE_ENGINE_OPERATION_IDS_H_
#define GPOP_SERVICE_ENGINE_OPERATION_IDS_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>

namespace gpop::engine {

// OperationIdGenerator
//
// Draws new operation ids from a mt19937_64 whose whole state (19,968 bits) is seeded from the
// system's entropy source, not from one 32-bit draw. Not thread-safe (the engine calls it under
// its mutex).
class OperationIdGenerator {
 public:
  // 32-bit words drawn from the entropy source: the generator's full state.
  static constexpr int kSeedWords = std::mt19937_64::state_size * 2;

  OperationIdGenerator();  // seeded from std::random_device
  // Seeded from kSeedWords calls of `entropy` (tests inject it).
  explicit OperationIdGenerator(const std::function<uint32_t()>& entropy);

  std::string Next();

 private:
  std::mt19937_64 rng_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_OPERATION_IDS_H_
