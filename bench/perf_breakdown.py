#!/usr/bin/env python3
"""Groups the samples of a sidecar profile the way bench/README.md reports them.

Reads `perf script` output (a profile recorded with call graphs, e.g.
`perf record -g --call-graph dwarf -p PID`) on stdin and prints, as Markdown, the share of
samples per group (see CATEGORIES), with the reports' samples split by the library of the frame
that was running (libcurl, kernel, libc, the rest). Then the top symbols by self
samples, and the shares of a few costs spread over every group (allocation, locks and wake-ups,
JSON). Usage:

  perf script -i perf.data | bench/perf_breakdown.py [--top=15]
"""

import argparse
import collections
import re
import sys

# What a frame belongs to, by its symbol or its library. A sample goes to the group of the frame
# nearest the leaf that belongs to any (so the kernel and libc go to whoever called them), except
# that an HTTP call made by the poller is a claim, not a report.
CATEGORIES = [
    ("router", re.compile(
        r"TaskRouter|WorkerRegistry|TaskLifecycle|TaskValidator|SidecarMetrics|"
        r"WorkerStream::HandleMessage|WorkerStream::ParseIncoming|Journal::|PollGroup|"
        r"WorkerMessages|BuildTaskMessage")),
    ("claim", re.compile(r"Poller::|ClaimStates|ParseClaim")),
    ("http", re.compile(
        r"(Curl|Plain)HttpClient::|Http1EventLoop::|Http1ResponseParser::|^curl_|^Curl_|libcurl")),
    ("report", re.compile(r"Reporter::|SendReport|Report::|RestStatesClient::|RestTransport::")),
    ("grpc", re.compile(
        r"grpc|gpr_|protobuf|upb_|address_sorting|WorkerStream::|NodeHostService", re.IGNORECASE)),
]
GROUP_OF = {
    "router": "dispatch and results (router, validation, metrics, journal)",
    "claim": "claims (poller: the HTTP call, parsing the reply)",
    "report": "sending reports",
    "grpc": "gRPC (completion queues, HTTP/2, protobuf)",
}
REST = "the rest (thread hand-offs, scheduler, allocation outside the above)"
GROUPS = [GROUP_OF["report"], GROUP_OF["grpc"], GROUP_OF["router"], GROUP_OF["claim"], REST]


def GroupOf(frames):
    for index, (symbol, dso) in enumerate(frames):
        for category, pattern in CATEGORIES:
            if pattern.search(symbol) or (category == "http" and "libcurl" in dso) or (
                    category == "grpc" and re.search(r"libgrpc|libgpr|libprotobuf|libupb", dso)):
                if category == "http":
                    outer = frames[index + 1:]
                    if any(CATEGORIES[1][1].search(outer_symbol) for outer_symbol, _ in outer):
                        return GROUP_OF["claim"]
                    return GROUP_OF["report"]
                return GROUP_OF[category]
    return REST


# Costs spread over the groups, by the symbol that was running (self samples).
COSTS = [
    ("allocation (malloc, free, new, delete)", re.compile(
        r"^(malloc|free|cfree|_int_malloc|_int_free|malloc_consolidate|realloc|calloc|"
        r"operator new|operator delete|tcache|__libc_malloc|__libc_free|_int_realloc)")),
    ("locks and wake-ups (futex, mutex, condition variables)", re.compile(
        r"futex|Mutex|pthread_mutex|pthread_cond|__lll_lock|CondVar|Waiter|"
        r"try_to_wake_up|schedule|__schedule|finish_task_switch", re.IGNORECASE)),
    ("JSON (nlohmann: building, dumping, parsing)", re.compile(r"nlohmann|json::")),
    ("memcpy, memmove, strlen", re.compile(r"^__mem(cpy|move|set)|^mem(cpy|move)|strlen")),
]

# Inclusive shares (samples with a matching frame anywhere on the stack) of the pieces of the
# per-state work worth looking at when cutting it.
ON_STACK = [
    ("HTTP calls of reports and claims (CurlHttpClient::Send, PlainHttpClient::Send, "
     "Http1EventLoop)",
     r"(Curl|Plain)HttpClient::(Send|RoundTrip)|Http1EventLoop::"),
    ("  the event loop waiting for its sockets (epoll_wait, once per batch of events)",
     r"^epoll_wait|^__GI_epoll_wait"),
    ("  libcurl waiting for the socket (curl_multi_poll: poll, 2+ per request)",
     r"^curl_multi_poll|^__poll"),
    ("  sending the request (send)", r"^__send|^__libc_send"),
    ("  reading the response (recv)", r"^__libc_recv|^__recv"),
    ("  libcurl formatting the request (curl_maprintf, curl_msnprintf)",
     r"^curl_m(v)?a?s?n?printf"),
    ("  libcurl parsing the URL of each request (curl_url_get, curl_url_set)", r"^curl_url_"),
    ("  headers list (curl_slist_append, curl_slist_free_all)", r"^curl_slist"),
    ("  PlainHttpClient parsing the response (Http1ResponseParser)", r"Http1ResponseParser::"),
    ("  PlainHttpClient picking a connection (Acquire, Release, the peek)",
     r"PlainHttpClient::(Acquire|Release)"),
    ("building the report request (Report::Body, JSON dump, BuildRequest)",
     r"Report::Body|RestTransport::BuildRequest|SendReportAsync"),
    ("claims and reports: reading the reply (RestTransport::Interpret, JSON parser)",
     r"RestTransport::Interpret"),
    ("reporter bookkeeping (Submit, Enqueue, Attempt, OnAttemptDone, Settle)",
     r"Reporter::(Submit|Enqueue|Attempt|OnAttemptDone|Settle)"),
    ("thread hand-offs (ThreadPool::Submit, Mutex wake-ups, futex)",
     r"ThreadPool::Submit|Mutex::Wakeup|Mutex::UnlockSlow|CondVar::Signal|__x64_sys_futex"),
    ("task to the worker (TaskRouter::Dispatch, WorkerStream::Send)",
     r"TaskRouter::Dispatch|WorkerStream::Send"),
    ("result from the worker (WorkerStream::HandleMessage)", r"WorkerStream::HandleMessage"),
    ("protobuf (de)serialization", r"GenericSerialize|GenericDeserialize"),
]

FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")


def Samples(lines):
    """Yields each sample's frames, leaf first, as (symbol, dso)."""
    frames = []
    for line in lines:
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        match = FRAME.match(line)
        if match:
            symbol = re.sub(r"\+0x[0-9a-f]+$", "", match.group(1))
            frames.append((symbol, match.group(2)))
    if frames:
        yield frames


def Library(dso):
    if "kernel" in dso or dso.startswith("[") and dso != "[unknown]":
        return "kernel"
    if "libcurl" in dso:
        return "libcurl"
    if "/libc.so" in dso or "/libc-" in dso:
        return "libc"
    if "libstdc++" in dso:
        return "libstdc++"
    name = dso.rsplit("/", 1)[-1]
    return name or dso


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    total = 0
    groups = collections.Counter()
    report_libraries = collections.Counter()
    symbols = collections.Counter()
    costs = collections.Counter()
    syscalls = collections.Counter()
    on_stack = collections.Counter()
    on_stack_patterns = [(name, re.compile(pattern)) for name, pattern in ON_STACK]
    for frames in Samples(sys.stdin):
        total += 1
        group = GroupOf(frames)
        groups[group] += 1
        leaf_symbol, leaf_dso = frames[0]
        if group == GROUP_OF["report"]:
            report_libraries[Library(leaf_dso)] += 1
        symbols[(leaf_symbol, Library(leaf_dso))] += 1
        for name, pattern in COSTS:
            if pattern.search(leaf_symbol):
                costs[name] += 1
                break
        if Library(leaf_dso) == "kernel":
            names = [symbol for symbol, _ in frames]
            call = "outside a system call (interrupts, scheduling)"
            for index, symbol in enumerate(names):
                if symbol.startswith("do_syscall_64") and index > 0:
                    call = re.sub(r"^(__x64_sys_|__sys_|ksys_)", "", names[index - 1])
                    # cpu-clock samples in a VM land where interrupts are re-enabled: these are
                    # the entry to or the return from a system call, not the call itself.
                    if "irq_enable" in call or call.startswith("exit_to_user_mode"):
                        call = "entering or leaving a system call"
                    break
            syscalls[call] += 1
        for name, pattern in on_stack_patterns:
            if any(pattern.search(symbol) for symbol, _ in frames):
                on_stack[name] += 1
    if total == 0:
        sys.exit("no samples with call graphs on stdin")

    def Share(count):
        return f"{100.0 * count / total:.1f} %"

    print(f"{total} samples\n")
    print("| share of sidecar CPU samples | what |\n| --- | --- |")
    for name in GROUPS:
        detail = ""
        if name == GROUP_OF["report"]:
            detail = ": " + ", ".join(
                f"{library} {Share(count)}" for library, count in report_libraries.most_common(5))
        print(f"| {Share(groups[name])} | {name}{detail} |")
    print("\n| self share | symbol | library |\n| --- | --- | --- |")
    for (symbol, library), count in symbols.most_common(args.top):
        print(f"| {Share(count)} | `{symbol[:90]}` | {library} |")
    print("\n| kernel share | system call |\n| --- | --- |")
    for call, count in syscalls.most_common(8):
        print(f"| {Share(count)} | {call} |")
    print("\n| on the stack | what |\n| --- | --- |")
    for name, _ in ON_STACK:
        print(f"| {Share(on_stack[name])} | {name} |")
    print("\n| self share, all groups | cost |\n| --- | --- |")
    for name, _ in COSTS:
        print(f"| {Share(costs[name])} | {name} |")


if __name__ == "__main__":
    main()
