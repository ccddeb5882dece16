"""Captures the package's log records in tests (instead of printing them) so that a test can
await a record that marks an event it cannot otherwise observe, e.g. a failed connection."""

import asyncio
import logging
from typing import List

from fake_sidecar import STEP_TIMEOUT


class LogCapture(logging.Handler):
    """Collects the records of the "exosphere_sidecar" logger while installed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: List[str] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self._changed.set()

    async def wait_for(self, text: str, timeout: float = STEP_TIMEOUT, count: int = 1) -> str:
        """The `count`-th message containing `text`, waiting for it if needed."""

        async def find() -> str:
            while True:
                found = [message for message in self.messages if text in message]
                if len(found) >= count:
                    return found[count - 1]
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)


def install() -> LogCapture:
    """Routes the package's records to a new LogCapture only (see uninstall)."""
    capture = LogCapture()
    logger = logging.getLogger("exosphere_sidecar")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return capture


def uninstall(capture: LogCapture) -> None:
    logger = logging.getLogger("exosphere_sidecar")
    logger.removeHandler(capture)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
