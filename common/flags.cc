#include "common/flags.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace exosphere {

std::vector<char*> NormalizeFlagNames(int argc, char** argv, std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  bool flags_ended = false;
  for (size_t i = 1; i < storage.size(); ++i) {
    std::string& arg = storage[i];
    if (arg == "--") flags_ended = true;
    if (flags_ended || arg.size() < 3 || arg[0] != '-') continue;
    const size_t start = arg[1] == '-' ? 2 : 1;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t j = start; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  std::vector<char*> result;
  result.reserve(storage.size() + 1);
  for (std::string& arg : storage) result.push_back(arg.data());
  result.push_back(nullptr);
  return result;
}

void ConfigureFlagsUsage(const std::string& version) {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "main.cc");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.version_string = [version] { return version + "\n"; };
  // --help names a flag's file by its last two components ("sidecar/main.cc"), not by where the
  // tree was built.
  config.normalize_filename = [](absl::string_view file) {
    const size_t last = file.rfind('/');
    const size_t before = last == 0 || last == absl::string_view::npos ? absl::string_view::npos
                                                                       : file.rfind('/', last - 1);
    return std::string(before == absl::string_view::npos ? file : file.substr(before + 1));
  };
  absl::SetFlagsUsageConfig(config);
}

std::optional<std::string> GetEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::Status ApplyEnvironmentFallbacks(const std::vector<FlagEnv>& pairs, const EnvGetter& getenv,
                                       const std::vector<char*>& argv) {
  // This abseil release keeps CommandLineFlag::IsSpecifiedOnCommandLine private, so the names
  // given are read off the command line itself ("--name", "--name=v", "--noname").
  std::set<std::string> given;
  for (size_t i = 1; i < argv.size() && argv[i] != nullptr; ++i) {
    absl::string_view arg(argv[i]);
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) continue;
    const std::string name(arg.substr(0, arg.find('=')));
    given.insert(name);
    if (absl::StartsWith(name, "no")) given.insert(name.substr(2));
  }
  for (const FlagEnv& pair : pairs) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(pair.flag);
    if (flag == nullptr) return absl::InternalError(absl::StrCat("no flag --", pair.flag));
    if (given.count(pair.flag) > 0) continue;
    const std::optional<std::string> value = getenv(pair.env);
    if (!value.has_value()) continue;
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", pair.env, " (for --", pair.flag, "): ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace exosphere
