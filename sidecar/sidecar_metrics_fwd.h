#ifndef EXOSPHERE_SIDECAR_SIDECAR_METRICS_FWD_H_
#define EXOSPHERE_SIDECAR_SIDECAR_METRICS_FWD_H_

// The components that record into SidecarMetrics only need its name: this keeps the metrics
// implementation's headers out of theirs.
namespace exosphere::sidecar {
class SidecarMetrics;
}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SIDECAR_METRICS_FWD_H_
