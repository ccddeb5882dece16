"""An in-process fake of the sidecar's gRPC services (grpc.aio server on a unix socket in a
temporary directory) that a test drives message by message."""

import asyncio
import os
import tempfile
from typing import Any, Awaitable, Callable, Dict, List, Optional

import grpc

from exosphere_sidecar.v1 import graphs_pb2_grpc, node_host_pb2, node_host_pb2_grpc

# Long enough for a loaded machine, short enough to fail a hung test quickly.
STEP_TIMEOUT = 10.0

_HALF_CLOSED = object()


class FakeStream:
    """One NodeHost.Connect stream as the fake sidecar sees it."""

    def __init__(self, context: grpc.aio.ServicerContext):
        self.metadata = {key: value for key, value in context.invocation_metadata()}
        self.received: "asyncio.Queue[Any]" = asyncio.Queue()
        self._outbox: "asyncio.Queue[Any]" = asyncio.Queue()
        self.half_closed = asyncio.Event()
        self.ended = asyncio.Event()
        self.cancelled_by_worker = False

    async def next_message(self, timeout: float = STEP_TIMEOUT) -> node_host_pb2.WorkerMessage:
        """The worker's next message (fails the test if the worker half-closes instead)."""
        message = await asyncio.wait_for(self.received.get(), timeout)
        if message is _HALF_CLOSED:
            raise AssertionError("the worker half-closed the stream instead of sending a message")
        return message

    async def expect(self, kind: str, timeout: float = STEP_TIMEOUT) -> Any:
        """The worker's next message, which must be of `kind` (hello, result, set_slots)."""
        message = await self.next_message(timeout)
        actual = message.WhichOneof("kind")
        if actual != kind:
            raise AssertionError(f"expected a {kind} from the worker, got {actual}: {message}")
        return getattr(message, kind)

    async def expect_half_close(self, timeout: float = STEP_TIMEOUT) -> None:
        message = await asyncio.wait_for(self.received.get(), timeout)
        if message is not _HALF_CLOSED:
            raise AssertionError(f"expected the worker to half-close, got {message}")

    def send(self, **kind: Any) -> None:
        """Sends one SidecarMessage, e.g. send(task=node_host_pb2.Task(...))."""
        self._outbox.put_nowait(node_host_pb2.SidecarMessage(**kind))

    def welcome(self, worker_id: str = "w-1", namespace: str = "ns",
                max_message_bytes: int = 4 << 20) -> None:
        self.send(welcome=node_host_pb2.Welcome(worker_id=worker_id, namespace=namespace,
                                                sidecar_version="0.1.0",
                                                max_message_bytes=max_message_bytes))

    def register(self, registered: bool = True, error: str = "", retry_in_ms: int = 0) -> None:
        self.send(registration=node_host_pb2.Registration(registered=registered, error=error,
                                                          retry_in_ms=retry_in_ms))

    def finish(self, code: grpc.StatusCode = grpc.StatusCode.OK, details: str = "") -> None:
        """Ends the stream with this status once the messages queued before are written."""
        self._outbox.put_nowait((code, details))

    async def serve(self, context: grpc.aio.ServicerContext) -> None:
        reader = asyncio.ensure_future(self._read(context))
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, tuple):
                    code, details = item
                    if code != grpc.StatusCode.OK:
                        context.set_code(code)
                        context.set_details(details)
                    return
                await context.write(item)
        except asyncio.CancelledError:
            self.cancelled_by_worker = True
            raise
        finally:
            reader.cancel()
            self.ended.set()

    async def _read(self, context: grpc.aio.ServicerContext) -> None:
        while True:
            message = await context.read()
            if message is grpc.aio.EOF:
                self.half_closed.set()
                self.received.put_nowait(_HALF_CLOSED)
                return
            self.received.put_nowait(message)


class FakeNodeHost(node_host_pb2_grpc.NodeHostServicer):
    def __init__(self) -> None:
        self.streams: "asyncio.Queue[FakeStream]" = asyncio.Queue()

    async def Connect(self, request_iterator, context):  # noqa: N802 - gRPC method name
        stream = FakeStream(context)
        self.streams.put_nowait(stream)
        await stream.serve(context)


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


class FakeGraphs(graphs_pb2_grpc.GraphsServicer):
    """Answers each method with the handler a test installed; records every request."""

    def __init__(self) -> None:
        self.handlers: Dict[str, Handler] = {}
        self.requests: List[Any] = []
        self.metadata: List[Dict[str, str]] = []

    async def _dispatch(self, method: str, request: Any, context: grpc.aio.ServicerContext):
        self.requests.append(request)
        self.metadata.append({key: value for key, value in context.invocation_metadata()})
        handler = self.handlers.get(method)
        if handler is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"no handler for {method}")
        return await handler(request, context)

    async def UpsertGraph(self, request, context):  # noqa: N802
        return await self._dispatch("UpsertGraph", request, context)

    async def GetGraph(self, request, context):  # noqa: N802
        return await self._dispatch("GetGraph", request, context)

    async def TriggerRun(self, request, context):  # noqa: N802
        return await self._dispatch("TriggerRun", request, context)

    async def ListRuns(self, request, context):  # noqa: N802
        return await self._dispatch("ListRuns", request, context)

    async def GetRunStates(self, request, context):  # noqa: N802
        return await self._dispatch("GetRunStates", request, context)

    async def WaitForRun(self, request, context):  # noqa: N802
        return await self._dispatch("WaitForRun", request, context)


class FakeSidecar:
    """Both fake services on `unix:<temporary dir>/sidecar.sock`; `restart()` replaces the
    server (and its streams) on the same address, like a restarted sidecar."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="exo-py-")
        self.address = "unix:" + os.path.join(self._dir.name, "sidecar.sock")
        self.node_host = FakeNodeHost()
        self.graphs = FakeGraphs()
        self._server: Optional[grpc.aio.Server] = None

    async def start(self) -> None:
        self._server = grpc.aio.server()
        node_host_pb2_grpc.add_NodeHostServicer_to_server(self.node_host, self._server)
        graphs_pb2_grpc.add_GraphsServicer_to_server(self.graphs, self._server)
        self._server.add_insecure_port(self.address)
        await self._server.start()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=None)
            self._server = None

    async def restart(self) -> None:
        await self.stop()
        self.node_host.streams = asyncio.Queue()
        await self.start()

    async def next_stream(self, timeout: float = STEP_TIMEOUT) -> FakeStream:
        return await asyncio.wait_for(self.node_host.streams.get(), timeout)

    async def close(self) -> None:
        await self.stop()
        self.cleanup()

    def cleanup(self) -> None:
        """Removes the temporary directory (after stop(), or when no server runs)."""
        self._dir.cleanup()
