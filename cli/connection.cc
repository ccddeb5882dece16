#include "cli/connection.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace exosphere::cli {
namespace {

std::string Setting(const ParsedArgs& args, const std::string& flag, const EnvGetter& getenv,
                    const std::string& env) {
  if (args.Has(flag)) return args.Get(flag);
  std::optional<std::string> value = getenv(env);
  return value.has_value() ? *value : "";
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the API key file ", path, ": ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  std::string key(absl::StripAsciiWhitespace(contents.str()));
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the API key file ", path, " is empty"));
  }
  return key;
}

}  // namespace

absl::StatusOr<Connection> ResolveConnection(const ParsedArgs& args, const EnvGetter& getenv) {
  Connection connection;
  connection.uri = Setting(args, "state-manager-uri", getenv, "EXOSPHERE_STATE_MANAGER_URI");
  if (connection.uri.empty()) {
    return absl::InvalidArgumentError(
        "no state manager URI: set EXOSPHERE_STATE_MANAGER_URI or pass --state-manager-uri "
        "(e.g. http://127.0.0.1:8000)");
  }
  if (!absl::StartsWith(connection.uri, "http://") &&
      !absl::StartsWith(connection.uri, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("state manager URI ", connection.uri,
                                                   ": expected an http:// or https:// URL"));
  }
  const std::string key_file = Setting(args, "api-key-file", getenv, "EXOSPHERE_API_KEY_FILE");
  if (!key_file.empty()) {
    absl::StatusOr<std::string> key = ReadKeyFile(key_file);
    if (!key.ok()) return key.status();
    connection.api_key = *std::move(key);
  } else {
    connection.api_key = getenv("EXOSPHERE_API_KEY").value_or("");
  }
  if (connection.api_key.empty()) {
    return absl::InvalidArgumentError(
        "no API key: set EXOSPHERE_API_KEY, or EXOSPHERE_API_KEY_FILE or --api-key-file to a "
        "file holding it");
  }
  connection.ns = Setting(args, "namespace", getenv, "EXOSPHERE_NAMESPACE");
  if (connection.ns.empty()) {
    return absl::InvalidArgumentError(
        "no namespace: set EXOSPHERE_NAMESPACE or pass -n/--namespace");
  }
  return connection;
}

}  // namespace exosphere::cli
