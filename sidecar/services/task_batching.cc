#include "sidecar/services/task_batching.h"

#include <iterator>
#include <utility>

#include "google/protobuf/io/coded_stream.h"

namespace exosphere::sidecar {

namespace {

using ::google::protobuf::io::CodedOutputStream;

// The SidecarMessage around the batch: the task_batch field's tag and its length prefix.
constexpr size_t kEnvelopeBytes = 1 + 5;

}  // namespace

size_t CoalesceLeadingTasks(std::deque<v1::SidecarMessage>& outbox, size_t max_bytes) {
  // The common case under light load, a lone task, costs no size computation.
  if (outbox.size() < 2 || !outbox[0].has_task() || !outbox[1].has_task()) return 0;
  size_t count = 0;
  size_t bytes = kEnvelopeBytes;
  for (const v1::SidecarMessage& message : outbox) {
    if (!message.has_task()) break;
    const size_t size = message.task().ByteSizeLong();
    // One repeated entry: its tag, its length prefix and the task.
    const size_t entry = 1 + CodedOutputStream::VarintSize64(size) + size;
    if (bytes + entry > max_bytes) break;
    bytes += entry;
    ++count;
  }
  if (count < 2) return 0;
  v1::SidecarMessage batch;
  auto& tasks = *batch.mutable_task_batch()->mutable_tasks();
  tasks.Reserve(static_cast<int>(count));
  for (size_t i = 0; i < count; ++i) *tasks.Add() = std::move(*outbox[i].mutable_task());
  outbox.erase(outbox.begin(), std::next(outbox.begin(), static_cast<std::ptrdiff_t>(count)));
  outbox.push_front(std::move(batch));
  return count;
}

}  // namespace exosphere::sidecar
