"""Signals a node raises from `execute` to prune its branch or to run again later."""

from datetime import timedelta
from typing import Any, Dict, Optional


class PruneSignal(Exception):
    """Stops this branch of the graph: the state becomes PRUNED and nothing runs after it.

    Args:
        data: free-form JSON data stored on the pruned state (default `{}`).

    Do not catch this exception inside the node; let it reach the Runtime.
    """

    def __init__(self, data: Optional[Dict[str, Any]] = None):
        self.data = {} if data is None else data
        super().__init__(
            f"Prune signal received with data: {self.data} \n NOTE: Do not catch this Exception, "
            "let it bubble up to Runtime for handling at StateManager"
        )


class ReQueueAfterSignal(Exception):
    """Puts the state back; it runs again once `delay` has passed.

    Args:
        delay: a positive `datetime.timedelta`; sent to the state manager in whole milliseconds
            (a positive delay under 1 ms counts as 1 ms).

    Raises:
        ValueError: "Delay must be greater than 0" for a zero or negative delay.
        TypeError: when `delay` is not a timedelta.
    """

    def __init__(self, delay: timedelta):
        if not isinstance(delay, timedelta):
            raise TypeError(
                f"ReQueueAfterSignal expects a datetime.timedelta, got {type(delay).__name__}"
            )
        if delay <= timedelta(0):
            raise ValueError("Delay must be greater than 0")
        self.delay = delay
        super().__init__(
            f"ReQueueAfter signal received with timedelta: {delay} \n NOTE: Do not catch this "
            "Exception, let it bubble up to Runtime for handling at StateManager"
        )

    @property
    def delay_ms(self) -> int:
        """The delay in whole milliseconds, at least 1."""
        return max(1, self.delay // timedelta(milliseconds=1))
