#include "tests/reliability/reliability_graphs.h"

#include "tests/reliability/node_names.h"

namespace exosphere::reliability {
namespace {

using json::Json;

json::StringMap Overlay(json::StringMap base, const json::StringMap& overrides) {
  for (const auto& [key, value] : overrides) base[key] = value;
  return base;
}

}  // namespace

json::StringMap DefaultInputs(const std::string& node) {
  if (node == kSleepNode) return {{"value", "v"}, {"sleep_ms", "0"}};
  if (node == kPoisonNode) return {{"value", "v"}, {"poison", ""}};
  if (node == kFanOutNode) return {{"count", "1"}};
  return {{"value", "v"}};
}

json::Json SingleNodeGraph(const std::string& ns, const std::string& node,
                           const json::StringMap& inputs) {
  return Json{
      {"secrets", Json::object()},
      {"nodes",
       Json::array({Json{{"node_name", node},
                         {"namespace", ns},
                         {"identifier", "n"},
                         {"inputs", json::FromStringMap(Overlay(DefaultInputs(node), inputs))},
                         {"next_nodes", Json::array()}}})}};
}

json::Json FanOutGraph(const std::string& ns, const std::string& child,
                       const json::StringMap& child_inputs) {
  json::StringMap inputs = Overlay(DefaultInputs(child), child_inputs);
  inputs["value"] = "${{ fan.outputs.value }}";
  return Json{
      {"secrets", Json::object()},
      {"nodes", Json::array({Json{{"node_name", kFanOutNode},
                                  {"namespace", ns},
                                  {"identifier", "fan"},
                                  {"inputs", json::FromStringMap(DefaultInputs(kFanOutNode))},
                                  {"next_nodes", Json::array({"child"})}},
                             Json{{"node_name", child},
                                  {"namespace", ns},
                                  {"identifier", "child"},
                                  {"inputs", json::FromStringMap(inputs)},
                                  {"next_nodes", Json::array()}}})}};
}

json::Json FastRetryPolicy(int max_retries) {
  return Json{{"max_retries", max_retries}, {"strategy", "FIXED"}, {"backoff_factor", 1}};
}

}  // namespace exosphere::reliability
