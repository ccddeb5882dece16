#ifndef EXOSPHERE_DEVSERVER_RETRY_DELAY_H_
#define EXOSPHERE_DEVSERVER_RETRY_DELAY_H_

#include <cstdint>

#include "absl/random/bit_gen_ref.h"

#include "devserver/models.h"

namespace exosphere::devserver {

// The delay in milliseconds before automatic retry number `retry_count` (>= 1; the NEW
// retry_count) under `policy`, per the table of contract 3.4: jitter is a uniform real draw from
// `bitgen` truncated to an integer, and `max_delay` caps the result after jitter. Where Python's
// unbounded integers would grow past the int64 range the value saturates at INT64_MAX.
// Thread-compatible (`bitgen` must not be shared without synchronization).
int64_t RetryDelayMs(const RetryPolicy& policy, int64_t retry_count, absl::BitGenRef bitgen);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_RETRY_DELAY_H_
