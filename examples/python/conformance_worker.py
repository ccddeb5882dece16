"""The Python worker of the cross-language conformance suite (tests/conformance/README.md).

Serves the nodes cf_start, cf_split, cf_transform and cf_collect (or those named in
CONFORMANCE_NODES, comma-separated) in namespace "conformance" under runtime name
"conformance-python", through the sidecar at EXOSPHERE_SIDECAR_ADDRESS. Prints "ready" once
the sidecar reports the nodes registered; serves until SIGTERM, finishes what it runs and
exits 0. "Once" behaviours are decided by creating $CONFORMANCE_MARKER_DIR/<name> with
O_CREAT|O_EXCL, so exactly one worker of a run wins, whatever its language.

The node classes carry the node names, since a node's name is its class name.
"""

import asyncio
import os
import signal
import sys
from datetime import timedelta

# Until the runtime installs its own handler (finish the tasks in flight, then stop), nothing
# runs: a SIGTERM during start-up just ends the worker successfully.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

from pydantic import BaseModel  # noqa: E402

try:
    import exosphere_sidecar  # noqa: F401 - installed, or on PYTHONPATH
except ImportError:
    # Run from the repository without PYTHONPATH: use the package next to this file's tree.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "client", "python"))

from exosphere_sidecar import (  # noqa: E402 - after the fallback above
    BaseNode,
    HelloRejectedError,
    PruneSignal,
    ReQueueAfterSignal,
    Runtime,
)

NAMESPACE = "conformance"
RUNTIME_NAME = "conformance-python"


def first_time(marker: str) -> bool:
    """True for exactly one caller per marker across the processes of a run."""
    path = os.path.join(os.environ["CONFORMANCE_MARKER_DIR"], marker)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


class cf_start(BaseNode):  # noqa: N801 - the class name is the node name
    class Inputs(BaseModel):
        text: str

    class Outputs(BaseModel):
        text: str

    async def execute(self):
        return self.Outputs(text=self.inputs.text.strip())


class cf_split(BaseNode):  # noqa: N801
    class Inputs(BaseModel):
        text: str

    class Outputs(BaseModel):
        item: str

    async def execute(self):
        return [self.Outputs(item=item.strip()) for item in self.inputs.text.split(",")]


class cf_transform(BaseNode):  # noqa: N801
    class Inputs(BaseModel):
        item: str
        suffix: str

    class Outputs(BaseModel):
        value: str

    class Secrets(BaseModel):
        salt: str

    async def execute(self):
        item = self.inputs.item
        if item == "skip":
            raise PruneSignal({"reason": "skip"})
        if item == "flaky" and first_time("flaky"):
            raise Exception("transient failure")
        if item == "later" and first_time("later"):
            raise ReQueueAfterSignal(timedelta(milliseconds=500))
        return self.Outputs(value=f"{item.upper()}{self.inputs.suffix}/{len(self.secrets.salt)}")


class cf_collect(BaseNode):  # noqa: N801
    class Inputs(BaseModel):
        text: str
        suffix: str

    class Outputs(BaseModel):
        summary: str

    async def execute(self):
        return self.Outputs(summary=self.inputs.text + self.inputs.suffix)


NODES = {node.__name__: node for node in (cf_start, cf_split, cf_transform, cf_collect)}


def selected_nodes() -> list:
    names = [name.strip() for name in os.environ.get("CONFORMANCE_NODES", "").split(",")
             if name.strip()]
    unknown = [name for name in names if name not in NODES]
    if unknown:
        raise SystemExit(f"conformance_worker: unknown node(s) in CONFORMANCE_NODES: {unknown}")
    return [NODES[name] for name in names] if names else list(NODES.values())


async def serve(nodes: list) -> None:
    runtime = Runtime(NAMESPACE, RUNTIME_NAME, nodes)
    serving = asyncio.ensure_future(runtime.start_async())
    registered = asyncio.ensure_future(runtime.wait_until_registered())
    await asyncio.wait([serving, registered], return_when=asyncio.FIRST_COMPLETED)
    if registered.done() and registered.exception() is None:
        print("ready", flush=True)
    else:
        registered.cancel()
    # Returns after SIGTERM once the tasks in flight are answered, or raises if the sidecar
    # rejected the Hello.
    await serving


def main() -> int:
    nodes = selected_nodes()
    if cf_transform in nodes and not os.environ.get("CONFORMANCE_MARKER_DIR"):
        print("conformance_worker: CONFORMANCE_MARKER_DIR must name a directory", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(nodes))
    except HelloRejectedError as error:
        print(f"conformance_worker: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
