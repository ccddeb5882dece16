#include "devserver/state_requests.h"

namespace exosphere::devserver {
namespace {

const Loc kBody = {"body"};

// Runs `read` only when the body is a model; reports success when no error was added.
template <typename Request, typename Read>
std::optional<Request> ReadModel(const Json& body, FieldReader& reader, Read read) {
  if (!reader.ExpectModel(body, kBody)) return std::nullopt;
  const size_t errors_before = reader.errors().size();
  Request request;
  read(request);
  if (reader.errors().size() != errors_before) return std::nullopt;
  return request;
}

}  // namespace

std::optional<TriggerRequest> ParseTriggerRequest(const Json& body, FieldReader& reader) {
  return ReadModel<TriggerRequest>(body, reader, [&](TriggerRequest& request) {
    if (const Json* raw = FieldReader::Optional(body, "inputs")) {
      if (auto map = reader.StringDict(*raw, Child(kBody, "inputs"))) request.inputs = *map;
    }
    if (const Json* raw = FieldReader::Optional(body, "store")) {
      if (auto map = reader.StringDict(*raw, Child(kBody, "store"))) request.store = *map;
    }
    if (const Json* raw = FieldReader::Optional(body, "start_delay")) {
      const Loc loc = Child(kBody, "start_delay");
      if (auto delay = reader.Int(*raw, loc)) {
        if (reader.GreaterThanOrEqual(*delay, 0, *raw, loc)) request.start_delay = *delay;
      }
    }
  });
}

std::optional<EnqueueRequest> ParseEnqueueRequest(const Json& body, FieldReader& reader) {
  return ReadModel<EnqueueRequest>(body, reader, [&](EnqueueRequest& request) {
    if (const Json* raw = reader.Required(body, "nodes", kBody)) {
      if (auto nodes = reader.StringList(*raw, Child(kBody, "nodes"))) request.nodes = *nodes;
    }
    if (const Json* raw = reader.Required(body, "batch_size", kBody)) {
      if (auto size = reader.Int(*raw, Child(kBody, "batch_size"))) request.batch_size = *size;
    }
  });
}

std::optional<ExecutedRequest> ParseExecutedRequest(const Json& body, FieldReader& reader) {
  return ReadModel<ExecutedRequest>(body, reader, [&](ExecutedRequest& request) {
    if (const Json* raw = reader.Required(body, "outputs", kBody)) {
      const Loc loc = Child(kBody, "outputs");
      if (reader.List(*raw, loc)) {
        for (size_t i = 0; i < raw->size(); ++i) {
          if (reader.Dict((*raw)[i], Child(loc, static_cast<int64_t>(i)))) {
            request.outputs.push_back((*raw)[i]);
          }
        }
      }
    }
  });
}

std::optional<ErroredRequest> ParseErroredRequest(const Json& body, FieldReader& reader) {
  return ReadModel<ErroredRequest>(body, reader, [&](ErroredRequest& request) {
    if (const Json* raw = reader.Required(body, "error", kBody)) {
      if (auto text = reader.String(*raw, Child(kBody, "error"))) request.error = *text;
    }
  });
}

std::optional<PruneRequest> ParsePruneRequest(const Json& body, FieldReader& reader) {
  return ReadModel<PruneRequest>(body, reader, [&](PruneRequest& request) {
    if (const Json* raw = reader.Required(body, "data", kBody)) {
      if (reader.Dict(*raw, Child(kBody, "data"))) request.data = *raw;
    }
  });
}

std::optional<ReEnqueueAfterRequest> ParseReEnqueueAfterRequest(const Json& body,
                                                                FieldReader& reader) {
  return ReadModel<ReEnqueueAfterRequest>(body, reader, [&](ReEnqueueAfterRequest& request) {
    if (const Json* raw = reader.Required(body, "enqueue_after", kBody)) {
      const Loc loc = Child(kBody, "enqueue_after");
      if (auto delay = reader.Int(*raw, loc)) {
        if (reader.GreaterThan(*delay, 0, *raw, loc)) request.enqueue_after = *delay;
      }
    }
  });
}

std::optional<ManualRetryRequest> ParseManualRetryRequest(const Json& body, FieldReader& reader) {
  return ReadModel<ManualRetryRequest>(body, reader, [&](ManualRetryRequest& request) {
    if (const Json* raw = reader.Required(body, "fanout_id", kBody)) {
      if (auto text = reader.String(*raw, Child(kBody, "fanout_id"))) request.fanout_id = *text;
    }
  });
}

}  // namespace exosphere::devserver
