// Operation ids: "op-" and 26 random base32 characters (130 bits), unguessable and unique.

#ifndef GPOP_SERVICE_ENGINE_OPERATION_IDS_H_
#define GPOP_SERVICE_ENGINE_OPERATION_IDS_H_

#include <random>
#include <string>

namespace gpop::engine {

// OperationIdGenerator
//
// Draws new operation ids. Not thread-safe (the engine calls it under its mutex).
class OperationIdGenerator {
 public:
  OperationIdGenerator();
  std::string Next();

 private:
  std::mt19937_64 rng_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_OPERATION_IDS_H_
