#ifndef EXOSPHERE_CLI_COMMAND_LINE_H_
#define EXOSPHERE_CLI_COMMAND_LINE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace exosphere::cli {

// One flag a command accepts: `--name VALUE` / `--name=VALUE` (or `-s VALUE` with a short name),
// or a switch (`--name`) when value_name is empty.
struct FlagSpec {
  std::string name;
  char short_name = 0;
  std::string value_name;
  std::string help;
  bool repeated = false;
};

// The flags and positional arguments of one command line. Not thread-safe.
class ParsedArgs {
 public:
  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  // The flag's last value, or `fallback` when it was not given.
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> GetAll(const std::string& flag) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // A duration flag such as `30s`, `1m30s` or `500ms`; kInvalidArgument names the flag.
  absl::StatusOr<absl::Duration> GetDuration(const std::string& flag,
                                             absl::Duration fallback) const;
  // A non-negative integer flag; kInvalidArgument names the flag.
  absl::StatusOr<int> GetInt(const std::string& flag, int fallback) const;

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                              const std::vector<FlagSpec>& flags);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

// Parses `args` against `flags`. Everything after a bare `--` is positional. kInvalidArgument for
// an unknown flag, a missing value, a value given to a switch, or a non-repeated flag given twice.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& flags);

// Splits `key=value` pairs (from repeated --input / --store flags); kInvalidArgument names `flag`.
absl::StatusOr<std::map<std::string, std::string>> ParseKeyValues(
    const std::vector<std::string>& pairs, const std::string& flag);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_COMMAND_LINE_H_
