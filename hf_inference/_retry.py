"""Retry and model-loading policy: pure arithmetic, no I/O (the client owns sleeping).

Backoff is exponential with jitter; a server's own wish (``retry-after-ms``, ``Retry-After`` in
seconds or as an HTTP date, ``RateLimit: ...;t=N``) wins when it is sane, capped at
``retry_after_max``. A model that is loading (503 with ``estimated_time``) is waited for
separately, within ``loading_budget`` seconds of sleeping, and does not use up retries.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Final

import msgspec

from ._exceptions import InvalidInputError

RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})

_SECONDS = re.compile(r"\d{1,12}(?:\.\d{1,9})?")
# `RateLimit: "api";r=0;t=55` (the Hub) and `RateLimit: limit=10, remaining=0, reset=55`
# (the IETF draft): seconds until the window resets.
_RATELIMIT_RESET = re.compile(r"(?:^|[;,\s])(?:t|reset)=(\d{1,12}(?:\.\d{1,9})?)(?=$|[;,\s])")


# A msgspec Struct rather than a dataclass: class creation at import is ~40x cheaper.
class RetryPolicy(msgspec.Struct, frozen=True):
    """When and how long to wait before sending a request again."""

    max_retries: int = 2
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES
    #: Wait while a model loads (503 with estimated_time), within ``loading_budget`` seconds.
    wait_for_model: bool = True
    loading_budget: float = 120.0
    loading_sleep_min: float = 1.0
    loading_sleep_max: float = 30.0
    rng: random.Random = msgspec.field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise InvalidInputError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if self.loading_budget < 0:
            raise InvalidInputError(f"loading_budget must be >= 0, got {self.loading_budget!r}")

    def backoff(self, retry: int) -> float:
        """Delay before retry number ``retry`` (1-based): 0.5, 1, 2, 4, 8 s... with jitter."""
        base = min(self.backoff_max, self.backoff_initial * (2 ** min(retry - 1, 62)))
        # Jitter in [base/2, base] spreads retrying clients without ever exceeding the cap.
        return float(base * (0.5 + 0.5 * self.rng.random()))

    def loading_sleep(self, estimated_time: float | None) -> float:
        """One sleep while a model loads: its estimate, clamped to [1, 30] s."""
        estimate = estimated_time if estimated_time is not None else self.loading_sleep_min
        if estimate != estimate:  # NaN from a confused server
            estimate = self.loading_sleep_min
        return min(self.loading_sleep_max, max(self.loading_sleep_min, estimate))

    def loading_delay(self, estimated_time: float | None, waited: float) -> float | None:
        """The next loading sleep given ``waited`` seconds already slept, None once spent.

        The last sleep is shortened to what is left of the budget, so the model gets one more
        try at the very end of it instead of being given up on early.
        """
        left = self.loading_budget - waited
        if left <= 0:
            return None
        return min(self.loading_sleep(estimated_time), left)

    def retry_delay(self, retry: int, headers: Mapping[str, str], now: float) -> float:
        """The server's requested delay if sane, else our backoff."""
        requested = server_retry_after(headers, now)
        if requested is not None:
            return min(requested, self.retry_after_max)
        return self.backoff(retry)


def server_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked us to wait, or None if it did not say (or said nonsense).

    ``now`` is the wall clock (seconds since the epoch) for HTTP-date values.
    """
    value = headers.get("retry-after-ms")
    if value is not None and _SECONDS.fullmatch(value.strip()):
        return float(value) / 1000
    value = headers.get("retry-after")
    if value is not None:
        value = value.strip()
        if _SECONDS.fullmatch(value):
            return float(value)
        try:
            # email is a heavy import that only this rare header form needs.
            from email.utils import parsedate_to_datetime

            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - now)
    value = headers.get("ratelimit")
    if value is not None:
        match = _RATELIMIT_RESET.search(value)
        if match:
            return float(match.group(1))
    return None
