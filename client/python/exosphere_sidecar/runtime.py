"""Runtime: serves node classes through the local sidecar (the official SDK's class, over gRPC)."""

import asyncio
import logging
import os
import signal
import socket
import threading
from typing import Dict, List, Optional

import grpc

from . import _config, _nodes
from ._backoff import ReconnectBackoff
from ._session import Outcome, SessionListener, WorkerSession
from .errors import HelloRejectedError
from .node.BaseNode import BaseNode
from .v1 import node_host_pb2 as pb

logger = logging.getLogger("exosphere_sidecar")

# Codes that end a stream before the Welcome because the Hello itself is wrong: sending it
# again cannot help (see proto/exosphere/sidecar/v1/node_host.proto).
_PERMANENT_HELLO_ERRORS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.UNAUTHENTICATED,
)
# After the half-close the sidecar ends the stream at once; this only bounds a stop against a
# sidecar that hangs.
_CLOSE_TIMEOUT_SECONDS = 5.0


def _setup_default_logging() -> None:
    """The SDK's name for it: a basic root-logger configuration unless logging is configured
    already or EXOSPHERE_DISABLE_DEFAULT_LOGGING is set (level from EXOSPHERE_LOG_LEVEL)."""
    _config.setup_default_logging()


class Runtime(SessionListener):
    """Serves `nodes` to the ExosphereHost state manager through the local sidecar.

    The constructor has the official SDK's signature, defaults and checks (ValueError "Batch
    size should be at least 1", "Workers should be at least 1", then the nodes). `state_manager_uri`,
    `key`, `batch_size`, `state_manage_version` and `poll_interval` are accepted for
    compatibility and otherwise ignored (the sidecar talks to the state manager; configure it
    there), with a one-time warning when one is given a value other than the SDK's default.

    Args:
        namespace: namespace of the nodes and of the states they run.
        name: runtime name the nodes are registered under.
        nodes: BaseNode subclasses (checked like the SDK does: ValueError "Following errors
            while validating nodes: ...").
        workers: how many tasks run at once (the worker's slots), default 4.
        sidecar_address: `unix:/path`, `/path` or `host:port`; default EXOSPHERE_SIDECAR_ADDRESS,
            else `unix:/tmp/exosphere-sidecar.sock`.
        worker_token: sent as `x-exosphere-worker-token` when the sidecar requires one; default
            EXOSPHERE_WORKER_TOKEN.
        worker_label: shown in the sidecar's logs; default `python:<host>:<pid>`.
        initial_backoff, max_backoff: reconnection delays in seconds (equal jitter).
        handle_signals: on SIGTERM or SIGINT, finish the tasks in flight and stop (a second
            signal stops at once). Only from the main thread.

    `start()` blocks until the runtime stops when called from synchronous code; inside a running
    event loop it returns an asyncio.Task, like the SDK. `await start_async()` is the coroutine.
    The runtime reconnects with backoff whenever the stream to the sidecar breaks; it raises
    HelloRejectedError when the sidecar rejects its Hello (INVALID_ARGUMENT,
    FAILED_PRECONDITION, UNAUTHENTICATED).
    """

    def __init__(
        self,
        namespace: str,
        name: str,
        nodes: List[type],
        state_manager_uri: Optional[str] = None,
        key: Optional[str] = None,
        batch_size: int = 16,
        workers: int = 4,
        state_manage_version: str = "v0",
        poll_interval: int = 1,
        *,
        sidecar_address: Optional[str] = None,
        worker_token: Optional[str] = None,
        worker_label: Optional[str] = None,
        initial_backoff: float = 0.2,
        max_backoff: float = 10.0,
        handle_signals: bool = True,
    ):
        _setup_default_logging()
        # The SDK's checks, in its order and with its messages (its "State manager URI is not
        # set" and "API key is not set" do not apply: the sidecar holds both).
        if batch_size < 1:
            raise ValueError("Batch size should be at least 1")
        if workers < 1:
            raise ValueError("Workers should be at least 1")
        _nodes.validate_nodes(nodes)
        ignored = {
            "state_manager_uri": state_manager_uri is not None,
            "key": key is not None,
            "batch_size": batch_size != 16,
            "state_manage_version": state_manage_version != "v0",
            "poll_interval": poll_interval != 1,
        }
        _config.warn_ignored("Runtime", [name for name, given in ignored.items() if given])

        self._namespace = namespace
        self._name = name
        self._nodes: Dict[str, type] = {node.__name__: node for node in nodes}
        self._workers = workers
        self._address = _config.resolve_sidecar_address(sidecar_address)
        self._metadata = _config.call_metadata(_config.resolve_worker_token(worker_token))
        label = worker_label or f"python:{socket.gethostname()}:{os.getpid()}"
        self._hello = _nodes.build_hello(namespace, name, nodes, workers, label)
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._handle_signals = handle_signals

        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._started = False
        self._stop_before_start = False
        self._stopping = False
        self._session: Optional[WorkerSession] = None
        self._closer: Optional[asyncio.Task] = None
        self._registered = False
        self._registration_error = ""
        self._worker_id = ""
        self._final_error: Optional[BaseException] = None
        self._wake = asyncio.Event()
        self._registered_event = asyncio.Event()
        self._done_event = asyncio.Event()

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def name(self) -> str:
        return self._name

    @property
    def sidecar_address(self) -> str:
        return self._address

    @property
    def registered(self) -> bool:
        """Whether the sidecar reports the nodes registered with the state manager now."""
        return self._registered

    def start(self):
        """Runs the runtime. From synchronous code: blocks until it stops (returns None, or
        raises HelloRejectedError). Inside a running event loop: returns the asyncio.Task that
        runs it, like the official SDK."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.start_async())
        return loop.create_task(self.start_async())

    async def start_async(self) -> None:
        """Runs the runtime on the current event loop until `stop()`, a signal (see
        `handle_signals`) or a rejected Hello (HelloRejectedError). A runtime runs once."""
        if self._started:
            raise RuntimeError("Runtime.start: this runtime was already started; create a new one")
        self._started = True
        self._loop = asyncio.get_running_loop()
        if self._stop_before_start:
            self._finish()
            return
        remove_handlers = self._install_signal_handlers()
        try:
            await self._connection_loop()
        except BaseException as error:
            self._final_error = error
            raise
        finally:
            remove_handlers()
            if self._closer is not None and not self._closer.done():
                self._closer.cancel()
                await asyncio.gather(self._closer, return_exceptions=True)
            self._finish()

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stops gracefully: no new tasks, the tasks in flight finish and send their results,
        then the stream is closed and `start()` returns. With `timeout` (seconds), tasks still
        running after it are cancelled (the sidecar gives them to another worker). Calling it
        again while stopping stops at once. Safe from any thread and from inside a node."""
        loop = self._loop
        if loop is None:
            self._stop_before_start = True
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._request_stop(timeout)
        else:
            try:
                loop.call_soon_threadsafe(self._request_stop, timeout)
            except RuntimeError:
                pass  # the loop is closed: the runtime has stopped already

    async def wait_until_registered(self, timeout: Optional[float] = None) -> None:
        """Returns once the sidecar reports the nodes registered with the state manager.

        Raises:
            TimeoutError: not registered within `timeout` seconds (names the last error).
            HelloRejectedError: the runtime ended because its Hello was rejected.
            RuntimeError: the runtime stopped before the nodes were registered.
        """
        waiters = [asyncio.ensure_future(self._registered_event.wait()),
                   asyncio.ensure_future(self._done_event.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self._registered:
            return
        if self._done_event.is_set():
            if isinstance(self._final_error, Exception):
                raise self._final_error
            raise RuntimeError("The runtime stopped before its nodes were registered")
        last = f"; last error: {self._registration_error}" if self._registration_error else ""
        raise TimeoutError(
            f"The nodes of runtime \"{self._name}\" were not registered with the state manager "
            f"within {timeout} s{last}"
        )

    # The connection loop.

    async def _connection_loop(self) -> None:
        backoff = ReconnectBackoff(self._initial_backoff, self._max_backoff)
        while not self._stopping:
            channel = _config.open_channel(self._address)
            session = WorkerSession(channel, self._hello, self._metadata, self._nodes, self)
            self._session = session
            logger.debug("Connecting to the sidecar at %s", self._address)
            try:
                outcome: Outcome = await session.run()
            finally:
                self._session = None
                self._set_registered(False)
                await channel.close()
            if self._stopping:
                break
            if outcome.welcomed:
                backoff.reset()
            elif outcome.code in _PERMANENT_HELLO_ERRORS:
                message = (f"The sidecar at {self._address} rejected the Hello of runtime "
                           f"\"{self._name}\": {outcome.details}")
                logger.error(message)
                raise HelloRejectedError(message, outcome.code, outcome.details)
            delay = backoff.next()
            logger.log(
                logging.INFO if outcome.welcomed else logging.WARNING,
                "%s the sidecar at %s (%s: %s); reconnecting in %.0f ms",
                "Lost the stream to" if outcome.welcomed else "Could not connect to",
                self._address, outcome.code.name, outcome.details, delay * 1000,
            )
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    def _request_stop(self, timeout: Optional[float]) -> None:
        if self._done_event.is_set():
            return
        if self._stopping:
            logger.warning("Stopping at once: tasks still running are cancelled")
            self._abort()
            return
        self._stopping = True
        self._wake.set()
        session = self._session
        if session is not None:
            self._closer = asyncio.get_running_loop().create_task(
                self._close_session(session, timeout))

    def _abort(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._session is not None:
            self._session.abort()

    async def _close_session(self, session: WorkerSession, timeout: Optional[float]) -> None:
        if session.in_flight:
            logger.info("Stopping: finishing %d task(s) in flight", session.in_flight)
        await session.close()
        try:
            await asyncio.wait_for(session.wait_closed(), timeout)
        except asyncio.TimeoutError:
            logger.warning("Tasks still running after %s s; cancelling them (the sidecar gives "
                           "them to another worker)", timeout)
            session.abort()
            return
        try:
            await asyncio.wait_for(session.wait_ended(), _CLOSE_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            logger.warning("The sidecar did not close the stream; cancelling it")
            session.abort()

    def _install_signal_handlers(self):
        if not self._handle_signals or threading.current_thread() is not threading.main_thread():
            return lambda: None
        installed = []
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            try:
                self._loop.add_signal_handler(signal_number, self._on_signal, signal_number)
                installed.append(signal_number)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not a Unix event loop, or not the main thread

        def remove() -> None:
            for signal_number in installed:
                self._loop.remove_signal_handler(signal_number)

        return remove

    def _on_signal(self, signal_number: int) -> None:
        if not self._stopping:
            logger.info("%s received: finishing the tasks in flight, then stopping (a second "
                        "signal stops at once)", signal.Signals(signal_number).name)
        self._request_stop(None)

    def _finish(self) -> None:
        self._stopping = True
        self._set_registered(False)
        self._done_event.set()

    def _set_registered(self, registered: bool) -> None:
        self._registered = registered
        if registered:
            self._registered_event.set()
        else:
            self._registered_event.clear()

    # SessionListener: what the stream reports.

    def on_welcome(self, welcome: pb.Welcome) -> None:
        self._worker_id = welcome.worker_id
        logger.info("Connected to the sidecar at %s (version %s) as worker %s in namespace \"%s\" "
                    "with %d slot(s)", self._address, welcome.sidecar_version, welcome.worker_id,
                    welcome.namespace, self._workers)

    def on_registration(self, registration: pb.Registration) -> None:
        self._registration_error = registration.error
        self._set_registered(registration.registered)
        if registration.registered:
            logger.info("Nodes of runtime \"%s\" registered with the state manager: %s",
                        self._name, ", ".join(self._nodes))
        else:
            logger.warning("Registering the nodes with the state manager failed: %s; the sidecar "
                           "retries in %d ms", registration.error, registration.retry_in_ms)

    def on_drain(self, drain: pb.Drain, in_flight: int) -> None:
        logger.info("The sidecar is draining: finishing %d task(s) in flight within %d ms, then "
                    "reconnecting", in_flight, drain.deadline_ms)

    def on_result(self, node_name: str, result: pb.TaskResult) -> None:
        outcome = result.WhichOneof("outcome")
        if outcome == "executed":
            logger.debug("State %s (%s) executed with %d output(s)", result.state_id, node_name,
                         len(result.executed.outputs))
        elif outcome == "errored":
            logger.warning("State %s (%s) errored: %s", result.state_id, node_name,
                           result.errored.message)
        elif outcome == "prune":
            logger.info("State %s (%s) pruned", result.state_id, node_name)
        else:
            logger.info("State %s (%s) re-enqueued after %d ms", result.state_id, node_name,
                        result.requeue_after.delay_ms)

    def on_result_rejected(self, rejected: pb.ResultRejected) -> None:
        logger.warning("The sidecar rejected the result for state %s (%s): %s", rejected.state_id,
                       pb.ResultRejected.Reason.Name(rejected.reason), rejected.message)


__all__ = ["Runtime", "BaseNode"]
