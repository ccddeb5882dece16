#ifndef EXOSPHERE_HARNESS_PROCESS_SAMPLE_H_
#define EXOSPHERE_HARNESS_PROCESS_SAMPLE_H_

#include <cstdint>

#include <sys/types.h>

namespace exosphere::harness {

// What a process has used so far, from /proc (Linux).
struct ProcessSample {
  double cpu_seconds = 0;    // user + system, since it started
  int64_t rss_kib = 0;       // resident now (VmRSS)
  int64_t peak_rss_kib = 0;  // resident at most (VmHWM)
};

// Zeros for the fields /proc does not give (a process that is gone).
ProcessSample SampleProcess(pid_t pid);

}  // namespace exosphere::harness

#endif  // EXOSPHERE_HARNESS_PROCESS_SAMPLE_H_
