"""Processes for end-to-end tests: the real exosphere-sidecar (with its embedded devserver) and
Python workers, each in a temporary directory, every one killed and awaited at cleanup."""

import asyncio
import os
import shutil
import signal
import sys
import tempfile
from typing import List, Optional, Sequence

SOURCE_DIR = os.environ.get("EXOSPHERE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PYTHON = os.environ.get("EXOSPHERE_PYTHON") or sys.executable
EXAMPLES_DIR = os.path.join(SOURCE_DIR, "examples", "python")
PACKAGE_DIR = os.path.join(SOURCE_DIR, "client", "python")

# Generous for sanitizer builds on a loaded machine; a hang still fails in bounded time.
STARTUP_TIMEOUT = 30.0
RUN_TIMEOUT = 60.0


def bin_dir() -> str:
    directory = os.environ.get("EXOSPHERE_BIN_DIR")
    if not directory:
        raise AssertionError("EXOSPHERE_BIN_DIR must name the directory of exosphere-sidecar "
                             "(ctest sets it)")
    return directory


def worker_env(sidecar_address: str, pythonpath: bool = True, **extra: str) -> dict:
    """The environment of a Python worker process: the package on PYTHONPATH (unless
    `pythonpath` is false), the sidecar's address, default logging on (the tests read the
    runtime's log lines)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("EXOSPHERE_DISABLE_DEFAULT_LOGGING", "PYTHONPATH")}
    if pythonpath:
        env["PYTHONPATH"] = PACKAGE_DIR
    env["EXOSPHERE_SIDECAR_ADDRESS"] = sidecar_address
    env["EXOSPHERE_LOG_LEVEL"] = "INFO"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Process:
    """A child process whose stdout and stderr lines are collected as they come."""

    def __init__(self, name: str, process: asyncio.subprocess.Process):
        self.name = name
        self.process = process
        self.lines = {"stdout": [], "stderr": []}
        self._changed = asyncio.Event()
        self._readers = [asyncio.ensure_future(self._read("stdout", process.stdout)),
                         asyncio.ensure_future(self._read("stderr", process.stderr))]

    async def _read(self, stream_name: str, stream: asyncio.StreamReader) -> None:
        while True:
            line = await stream.readline()
            if not line:
                break
            self.lines[stream_name].append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    def describe(self) -> str:
        """The last lines of output, for failure messages."""
        tail = self.lines["stdout"][-20:] + self.lines["stderr"][-40:]
        return f"{self.name} (exit {self.process.returncode}):\n" + "\n".join(tail)

    async def wait_for_line(self, text: str, stream_name: str = "stderr",
                            timeout: float = STARTUP_TIMEOUT, count: int = 1) -> List[str]:
        """Waits until `count` lines of the stream contain `text`; returns them."""

        async def find() -> List[str]:
            while True:
                found = [line for line in self.lines[stream_name] if text in line]
                if len(found) >= count:
                    return found
                if all(reader.done() for reader in self._readers):
                    raise AssertionError(f"{self.name} ended before printing {text!r}")
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(find(), timeout)
        except (asyncio.TimeoutError, AssertionError) as error:
            raise AssertionError(f"no line {text!r} from {self.describe()}") from error

    async def terminate(self, timeout: float = STARTUP_TIMEOUT) -> int:
        """SIGTERM, then the exit code (SIGKILL after `timeout`)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.wait(timeout)

    async def wait(self, timeout: float = STARTUP_TIMEOUT) -> int:
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            await self.kill()
            raise AssertionError(f"{self.name} did not exit in {timeout} s") from None
        await asyncio.gather(*self._readers, return_exceptions=True)
        return self.process.returncode

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def start_process(name: str, argv: Sequence[str], env: Optional[dict] = None,
                        cwd: Optional[str] = None) -> Process:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return Process(name, process)


class E2EStack:
    """A temporary directory, a sidecar with an embedded devserver listening on a unix socket
    in it, and the workers a test starts. `close()` ends them all (SIGTERM, then SIGKILL)."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="exo-py-e2e-")
        self.address = "unix:" + os.path.join(self.dir, "sidecar.sock")
        self.sidecar: Optional[Process] = None
        self.processes: List[Process] = []

    async def start_sidecar(self, *flags: str) -> None:
        self.sidecar = await start_process("exosphere-sidecar", [
            os.path.join(bin_dir(), "exosphere-sidecar"), "--dev", "--listen", self.address,
            "--poll-interval-ms", "50", "--log-level", "warn", *flags])
        self.processes.append(self.sidecar)
        await self.sidecar.wait_for_line("listening on ", "stdout")
        await self.sidecar.wait_for_line("devserver on ", "stdout")

    async def restart_sidecar(self, *flags: str) -> None:
        """Stops the sidecar with SIGTERM (it drains its workers) and starts a new one on the
        same address with `flags`, and a new, empty devserver."""
        old = self.sidecar
        await old.terminate()
        self.processes.remove(old)
        await self.start_sidecar(*flags)

    async def start_worker(self, name: str, script: str, *args: str, pythonpath: bool = True,
                           **env: str) -> Process:
        process = await start_process(
            name, [PYTHON, os.path.join(EXAMPLES_DIR, script), *args],
            env=worker_env(self.address, pythonpath, **env), cwd=self.dir)
        self.processes.append(process)
        return process

    async def close(self) -> None:
        for process in reversed(self.processes):
            try:
                await process.terminate(timeout=15)
            except AssertionError:
                pass  # killed: the test already failed or will report the hang
        shutil.rmtree(self.dir)
