"""One NodeHost.Connect stream: Hello, Welcome, tasks and their results, CancelTask, Drain."""

import asyncio
import logging
from typing import Callable, Dict, NamedTuple, Optional, Sequence, Set, Tuple

import grpc

from . import _nodes
from .v1 import node_host_pb2 as pb
from .v1 import node_host_pb2_grpc as pb_grpc

logger = logging.getLogger("exosphere_sidecar")


class Outcome(NamedTuple):
    """How a stream ended."""

    welcomed: bool
    code: grpc.StatusCode
    details: str


class SessionListener:
    """What the Runtime hears from a session (all called on the event loop)."""

    def on_welcome(self, welcome: pb.Welcome) -> None: ...

    def on_registration(self, registration: pb.Registration) -> None: ...

    def on_drain(self, drain: pb.Drain, in_flight: int) -> None: ...

    def on_result(self, node_name: str, result: pb.TaskResult) -> None: ...

    def on_result_rejected(self, rejected: pb.ResultRejected) -> None: ...


class _ProtocolError(Exception):
    pass


class WorkerSession:
    """Serves one stream until it ends; used once (a reconnect makes a new session).

    Each Task (alone or in a TaskBatch) runs as its own asyncio task; its result is written
    unless the task was cancelled by the sidecar (CancelTask) or the stream ended, in which case
    the sidecar has already given the state to someone else and nothing is sent. Not
    thread-safe: use it on one event loop.
    """

    def __init__(self, channel: grpc.aio.Channel, hello: pb.Hello, metadata: Sequence[Tuple[str, str]],
                 nodes: Dict[str, type], listener: SessionListener):
        self._stub = pb_grpc.NodeHostStub(channel)
        self._hello = hello
        self._metadata = tuple(metadata)
        self._nodes = nodes
        self._listener = listener
        self._call: Optional[grpc.aio.StreamStreamCall] = None
        # Tasks received and not answered yet, by state id.
        self._in_flight: Dict[str, asyncio.Task] = {}
        # Every node task still running, including those whose result is being written.
        self._tasks: Set[asyncio.Task] = set()
        self._write_lock = asyncio.Lock()
        self._writes_closed = False
        self._pending_writes = 0
        self._welcomed = False
        self._closing = False
        self._half_closed = False
        self._ended = False
        self._cancelled_by_us = False
        self._max_message_bytes = 0
        # Set once the stream is half-closed or has ended.
        self._closed_or_ended = asyncio.Event()
        self._ended_event = asyncio.Event()

    @property
    def welcomed(self) -> bool:
        return self._welcomed

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def run(self) -> Outcome:
        """Opens the stream, sends the Hello and serves the stream until it ends."""
        self._call = self._stub.Connect(metadata=self._metadata)
        code, details = grpc.StatusCode.OK, ""
        try:
            await self._write(pb.WorkerMessage(hello=self._hello))
            while True:
                message = await self._call.read()
                if message is grpc.aio.EOF:
                    break
                await self._handle(message)
        except grpc.aio.AioRpcError as error:
            code, details = error.code(), error.details() or ""
        except _ProtocolError as error:
            code, details = grpc.StatusCode.INTERNAL, str(error)
            self._cancel_call()
        except asyncio.CancelledError:
            # A call we cancelled ourselves (abort, close before the Welcome) ends reads with
            # CancelledError; anything else is a cancellation of the caller and propagates.
            if not self._cancelled_by_us or _being_cancelled():
                self._cancel_call()
                await self._end()
                raise
            code, details = grpc.StatusCode.CANCELLED, "the worker cancelled the stream"
        await self._end()
        return Outcome(self._welcomed, code, details)

    async def close(self) -> None:
        """Graceful close: tells the sidecar the worker has no free slot, and half-closes the
        stream once no task is in flight (the sidecar then ends it). Before the Welcome there
        is nothing to finish, so the stream is cancelled instead."""
        if self._ended or self._closing:
            return
        self._closing = True
        if not self._welcomed:
            self._cancel_call()
            return
        await self._write(pb.WorkerMessage(set_slots=pb.SetSlots(slots=0)))
        await self._half_close_if_idle()

    async def wait_closed(self) -> None:
        """Returns once the stream is half-closed or has ended."""
        await self._closed_or_ended.wait()

    async def wait_ended(self) -> None:
        await self._ended_event.wait()

    def abort(self) -> None:
        """Cancels the stream and every node task at once; their results are not sent."""
        for task in list(self._tasks):
            task.cancel()
        self._cancel_call()

    def _cancel_call(self) -> None:
        if self._call is not None and not self._call.done():
            self._cancelled_by_us = True
            self._call.cancel()

    async def _end(self) -> None:
        self._ended = True
        self._writes_closed = True
        self._in_flight.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._closed_or_ended.set()
        self._ended_event.set()

    async def _handle(self, message: pb.SidecarMessage) -> None:
        kind = message.WhichOneof("kind")
        if not self._welcomed and kind != "welcome":
            raise _ProtocolError(f"the sidecar sent {kind or 'an unknown message'} before Welcome")
        if kind == "welcome":
            if self._welcomed:
                raise _ProtocolError("the sidecar sent a second Welcome")
            self._welcomed = True
            self._max_message_bytes = message.welcome.max_message_bytes
            self._listener.on_welcome(message.welcome)
            if self._closing:
                # close() came while the Hello was in flight.
                self._closing = False
                await self.close()
        elif kind == "registration":
            self._listener.on_registration(message.registration)
        elif kind == "task":
            self._start(message.task)
        elif kind == "task_batch":
            # Sent because the Hello accepts batches: each task is served as if it came alone.
            for task in message.task_batch.tasks:
                self._start(task)
        elif kind == "cancel":
            task = self._in_flight.pop(message.cancel.state_id, None)
            if task is not None:
                task.cancel()
            await self._half_close_if_idle()
        elif kind == "result_rejected":
            self._listener.on_result_rejected(message.result_rejected)
        elif kind == "drain":
            self._listener.on_drain(message.drain, len(self._in_flight))
            self._closing = True
            await self._half_close_if_idle()
        # Any other kind comes from a newer protocol revision and is ignored.

    def _start(self, task: pb.Task) -> None:
        if self._half_closed:
            # Sent before the sidecar saw the half-close; its result could not be sent, and the
            # sidecar gives the state to another worker.
            logger.debug("Task %s arrived after the stream was half-closed; not run", task.state_id)
            return
        if task.state_id in self._in_flight:
            logger.warning("The sidecar sent task %s twice; the second copy is ignored", task.state_id)
            return
        runner = asyncio.get_running_loop().create_task(self._serve(task))
        self._in_flight[task.state_id] = runner
        self._tasks.add(runner)
        runner.add_done_callback(self._tasks.discard)

    async def _serve(self, task: pb.Task) -> None:
        node = self._nodes.get(task.node_name)
        if node is None:
            result = _nodes.errored(task.state_id, f'Unknown node "{task.node_name}"')
        else:
            result = await _nodes.execute_task(node, task)
        if self._ended or self._in_flight.get(task.state_id) is not asyncio.current_task():
            return  # cancelled meanwhile: the sidecar expects nothing
        del self._in_flight[task.state_id]
        message = pb.WorkerMessage(result=result)
        size = message.ByteSize()
        if self._max_message_bytes and size > self._max_message_bytes:
            # Sent as is, it would end the whole stream (INVALID_ARGUMENT).
            result = _nodes.errored(
                task.state_id,
                f"the result of {size} bytes exceeds the sidecar's limit of "
                f"{self._max_message_bytes} bytes",
            )
            message = pb.WorkerMessage(result=result)
        self._listener.on_result(task.node_name, result)
        self._pending_writes += 1
        try:
            await self._write(message)
        finally:
            self._pending_writes -= 1
        await self._half_close_if_idle()

    async def _write(self, message: pb.WorkerMessage) -> bool:
        async with self._write_lock:
            if self._writes_closed:
                return False
            try:
                await self._call.write(message)
                return True
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the stream broke; the read loop reports why
                self._writes_closed = True
                return False

    async def _half_close_if_idle(self) -> None:
        if (not self._closing or self._half_closed or self._ended or not self._welcomed
                or self._in_flight or self._pending_writes):
            return
        self._half_closed = True
        async with self._write_lock:
            if not self._writes_closed:
                self._writes_closed = True
                try:
                    await self._call.done_writing()
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - the stream broke; the read loop reports why
                    pass
        self._closed_or_ended.set()


def _being_cancelled() -> bool:
    """Whether the current task has a cancellation request pending. Python 3.10 cannot tell;
    there a stream the session cancelled itself counts as its own doing (the Runtime is
    stopping then anyway)."""
    task = asyncio.current_task()
    cancelling: Optional[Callable[[], int]] = getattr(task, "cancelling", None)
    return False if cancelling is None else cancelling() > 0
