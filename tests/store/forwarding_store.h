// The tests' name for store::ForwardingStore (service/store/forwarding_store.h).

#ifndef GPOP_TESTS_STORE_FORWARDING_STORE_H_
#define GPOP_TESTS_STORE_FORWARDING_STORE_H_

#include "service/store/forwarding_store.h"

namespace gpop::testing {

using ForwardingStore = store::ForwardingStore;

}  // namespace gpop::testing

#endif  // GPOP_TESTS_STORE_FORWARDING_STORE_H_
