#ifndef EXOSPHERE_SIDECAR_CORE_REPORT_QUEUE_H_
#define EXOSPHERE_SIDECAR_CORE_REPORT_QUEUE_H_

#include <string>

#include "sidecar/transport/report.h"

namespace exosphere::sidecar {

// Takes ownership of the one report of a claimed state and delivers it to the state manager.
// Implemented by the Reporter; faked in tests.
class ReportQueue {
 public:
  virtual ~ReportQueue() = default;
  // Never blocks and never calls back into the caller.
  virtual void Submit(std::string ns, Report report) = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_REPORT_QUEUE_H_
