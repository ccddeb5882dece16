#include "harness/process_sample.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace exosphere::harness {
namespace {

// The number after `prefix` in a /proc/PID/status line such as "VmRSS:   25800 kB".
void ReadKib(absl::string_view line, absl::string_view prefix, int64_t& value) {
  if (!absl::ConsumePrefix(&line, prefix)) return;
  line = absl::StripAsciiWhitespace(line);
  (void)absl::SimpleAtoi(line.substr(0, line.find(' ')), &value);
}

}  // namespace

ProcessSample SampleProcess(pid_t pid) {
  ProcessSample sample;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (std::getline(stat, line) && line.rfind(')') != std::string::npos) {
    // Fields after the command name (which may contain spaces) start after the last ')'; the
    // first of them is field 3, utime and stime are fields 14 and 15.
    std::istringstream fields(line.substr(line.rfind(')') + 1));
    std::string field;
    int64_t utime = 0;
    int64_t stime = 0;
    for (int index = 3; fields >> field; ++index) {
      if (index == 14) (void)absl::SimpleAtoi(field, &utime);
      if (index == 15) {
        (void)absl::SimpleAtoi(field, &stime);
        break;
      }
    }
    sample.cpu_seconds =
        static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  while (std::getline(status, line)) {
    ReadKib(line, "VmRSS:", sample.rss_kib);
    ReadKib(line, "VmHWM:", sample.peak_rss_kib);
  }
  return sample;
}

}  // namespace exosphere::harness
