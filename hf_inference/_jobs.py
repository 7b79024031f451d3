"""Provider jobs: poll a status URL inside the call's deadline, report progress, cancel on exit.

A job is whatever a provider answers before the result exists: fal's queue, replicate's
predictions, together's video jobs, wavespeed and zai results. The loop here knows none of
them; a provider module says how to read one status payload (:class:`JobState`) and how to
cancel. Every wait goes through the exchange's sleep (the client's injected one), every wait
ends before the deadline, and leaving the loop for any reason but success or a reported
failure (cancellation, the deadline, a broken poll) sends the provider's cancel request,
shielded and briefly bounded, so nothing keeps running and billing behind the caller's back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Protocol

import anyio
import msgspec

from ._exceptions import HfInferenceError, InferenceTimeoutError, JobError
from ._transport import Response
from .types import BinaryOutput

logger = logging.getLogger("hf_inference")

#: First wait between two polls, growth factor and cap (seconds).
POLL_FIRST = 0.25
POLL_FACTOR = 1.5
POLL_MAX = 4.0
#: The cancel request gets this long; it must not hold up a caller who gave up.
CANCEL_BUDGET = 5.0


class JobProgress(msgspec.Struct, frozen=True, gc=False):
    """One status report of a running job, handed to ``on_progress``."""

    provider: str
    job_id: str
    status: str
    queue_position: int | None = None
    elapsed: float = 0.0


class JobState(NamedTuple):
    """What one status payload says: the status text, done or not, a failure message."""

    status: str
    done: bool = False
    failure: str | None = None
    queue_position: int | None = None


class Exchange(Protocol):
    """What a provider shape may do during one call (the client implements it on its session).

    ``url(path)``: the call's base (``{router}/{provider}`` or the provider's direct URL) plus
    a path. ``rebase(url)``: a URL the provider handed back, moved onto that same base (only
    its path is kept, so credentials never follow a provider-chosen host).
    """

    provider: str
    deadline: float

    def url(self, path: str) -> str: ...

    def rebase(self, url: str, query: str = "") -> str: ...

    async def send(
        self, method: str, url: str, body: tuple[bytes, str] | None = None
    ) -> Response: ...

    async def read_json(self, response: Response) -> Any: ...

    async def media(self, url: str) -> BinaryOutput: ...

    async def as_url(self, data: Any, default_type: str) -> str: ...

    def progress(self, update: JobProgress) -> None: ...

    async def sleep(self, seconds: float) -> None: ...


async def get_json(
    exchange: Exchange, method: str, url: str, body: tuple[bytes, str] | None = None
) -> Any:
    """Send and decode the JSON answer (a non-2xx status raises the typed HTTP error)."""
    return await exchange.read_json(await exchange.send(method, url, body))


async def run_job(
    exchange: Exchange,
    *,
    job_id: str,
    status_url: str,
    read_state: Callable[[Any], JobState],
    first: Any = None,
    cancel: Callable[[], Awaitable[Any]] | None = None,
) -> Any:
    """Poll ``status_url`` until ``read_state`` says done; return that last payload.

    ``first``: the submit answer, read before the first poll (it may already be done).
    """
    started = anyio.current_time()
    delay = POLL_FIRST
    payload = first
    state = JobState("SUBMITTED")
    try:
        while True:
            if payload is not None:
                state = read_state(payload)
                exchange.progress(
                    JobProgress(
                        exchange.provider,
                        job_id,
                        state.status,
                        state.queue_position,
                        anyio.current_time() - started,
                    )
                )
                if state.failure is not None:
                    raise JobError(
                        f"{exchange.provider} job {job_id} failed: {state.failure}",
                        job_id=job_id,
                        provider=exchange.provider,
                    )
                if state.done:
                    return payload
            if anyio.current_time() + delay >= exchange.deadline:
                raise InferenceTimeoutError(
                    f"{exchange.provider} job {job_id} still {state.status} when the call's "
                    f"deadline passed (after {anyio.current_time() - started:.1f} s; raise "
                    "Timeout(total=...) for longer jobs)",
                    phase="total",
                )
            await exchange.sleep(delay)
            delay = min(delay * POLL_FACTOR, POLL_MAX)
            payload = await get_json(exchange, "GET", status_url)
    except JobError:
        raise
    except BaseException:
        if cancel is not None:
            await _cancel(exchange, job_id, cancel)
        raise


async def _cancel(exchange: Exchange, job_id: str, cancel: Callable[[], Awaitable[Any]]) -> None:
    with anyio.CancelScope(shield=True), anyio.move_on_after(CANCEL_BUDGET):
        try:
            await cancel()
        except HfInferenceError as exc:
            # The caller's own error (or cancellation) is what matters; say why cancel failed.
            logger.info("%s: cancelling job %s failed: %s", exchange.provider, job_id, exc)


async def release(response: Response) -> None:
    """Read and drop an answer nobody needs (a cancel acknowledgement)."""
    await response.read_error_body()
