#ifndef EXOSPHERE_TESTS_RELIABILITY_NODE_NAMES_H_
#define EXOSPHERE_TESTS_RELIABILITY_NODE_NAMES_H_

// The nodes exosphere-reliability-worker serves (tests/reliability/reliability_nodes.h says what
// each does), shared by the worker and the graphs the tests build.
namespace exosphere::reliability {

// inputs {value}; outputs {value}: returns its input.
inline constexpr char kNoopNode[] = "rel-noop";
// inputs {value, sleep_ms}; outputs {value}: waits sleep_ms, then returns value.
inline constexpr char kSleepNode[] = "rel-sleep";
// inputs {value, poison}; outputs {value}: poison "abort" or "exit" kills the worker process,
// "abort_once" kills the first worker that runs the state only; otherwise returns value.
inline constexpr char kPoisonNode[] = "rel-poison";
// inputs {value}; outputs {value}: never finishes on its own.
inline constexpr char kHangNode[] = "rel-hang";
// inputs {count}; outputs {value}: returns `count` outputs {value: "0"}, {value: "1"}, ...
inline constexpr char kFanOutNode[] = "rel-fanout";

// The exit code of a worker that a poison input ended with "exit".
inline constexpr int kPoisonExitCode = 86;

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_NODE_NAMES_H_
