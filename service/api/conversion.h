// Proto <-> core/engine conversion for gpop.v1 and google.longrunning, in four parts: requests
// (validated on the way in), operation specs, time values, and records and stream items on the
// way out. Include the part you use; this header brings all four.

#ifndef GPOP_SERVICE_API_CONVERSION_H_
#define GPOP_SERVICE_API_CONVERSION_H_

#include "service/api/record_conversion.h"   // IWYU pragma: export
#include "service/api/request_conversion.h"  // IWYU pragma: export
#include "service/api/spec_conversion.h"     // IWYU pragma: export
#include "service/api/time_conversion.h"     // IWYU pragma: export

#endif  // GPOP_SERVICE_API_CONVERSION_H_
