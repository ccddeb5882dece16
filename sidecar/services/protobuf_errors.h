#ifndef EXOSPHERE_SIDECAR_SERVICES_PROTOBUF_ERRORS_H_
#define EXOSPHERE_SIDECAR_SERVICES_PROTOBUF_ERRORS_H_

#include <string>

// libprotobuf says why a parse failed (e.g. "String field 'exosphere.sidecar.v1.Hello.worker_label'
// contains invalid UTF-8 data ...") only in its own log, which goes to stderr outside the
// structured log. These route that log into ours and let the code that parsed read the reason.
namespace exosphere::sidecar {

// Sends libprotobuf's log lines to the structured log (event "protobuf"), bounded and redacted.
// Idempotent; call before any thread parses.
void RouteProtobufLogs();

// Collects the libprotobuf log lines written on this thread while it lives (needs
// RouteProtobufLogs). Not nestable.
class ProtobufErrorCapture {
 public:
  ProtobufErrorCapture();
  ~ProtobufErrorCapture();
  ProtobufErrorCapture(const ProtobufErrorCapture&) = delete;
  ProtobufErrorCapture& operator=(const ProtobufErrorCapture&) = delete;

  // The lines so far, joined with "; " (empty when libprotobuf said nothing).
  const std::string& errors() const { return errors_; }
  void Add(const std::string& line);

 private:
  std::string errors_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_PROTOBUF_ERRORS_H_
