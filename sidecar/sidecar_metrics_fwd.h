#ifndef EXOSPHERE_SIDECAR_SIDECAR_METRICS_FWD_H_
#define EXOSPHERE_SIDECAR_SIDECAR_METRICS_FWD_H_

// SidecarMetrics depends on the statistics of the components that record into it; they only
// need its name.
namespace exosphere::sidecar {
class SidecarMetrics;
}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SIDECAR_METRICS_FWD_H_
