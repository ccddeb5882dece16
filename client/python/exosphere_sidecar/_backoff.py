"""Reconnection delays: capped exponential backoff with "equal jitter"."""

import random


class ReconnectBackoff:
    """Attempt n waits a uniformly random time in [c/2, c] with c = min(initial * 2**n, maximum).

    The floor avoids bursts of immediate reconnects; the jitter keeps the workers of a restarted
    sidecar from reconnecting in lockstep. Times are in seconds.
    """

    def __init__(self, initial: float, maximum: float, rng: random.Random = None):
        if initial <= 0 or maximum < initial:
            raise ValueError("backoff needs 0 < initial <= maximum")
        self._initial = initial
        self._maximum = maximum
        self._attempt = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        """The upper bound of the next delay."""
        # The exponent is capped so that the power cannot overflow a float.
        return min(self._initial * 2.0 ** min(self._attempt, 60), self._maximum)

    def next(self) -> float:
        """The delay before the next attempt; advances the attempt counter."""
        ceiling = self.ceiling()
        self._attempt += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self._attempt = 0
