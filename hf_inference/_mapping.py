"""The Hub's model -> provider mapping: fetched on the client's own session, cached per client.

``GET {hub}/api/models/{model}?expand[]=inferenceProviderMapping`` answers the providers that
serve a model, in the user's preference order: a list of ``{provider, providerId, task,
status, adapter?, adapterWeightsPath?}`` (current) or a dict keyed by provider (older); both
are read. The cache keeps answers for ``ttl`` seconds and at most ``max_size`` models (the
oldest go first); concurrent calls for one model share one lookup; a failed lookup is not
kept, so the next call asks again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio
import msgspec

from ._exceptions import DecodeError, HfInferenceError

if TYPE_CHECKING:
    from .providers import MappingEntry

Fetch = Callable[[str], Awaitable[bytes]]

DEFAULT_TTL = 300.0
DEFAULT_MAX_SIZE = 1024


class _WireEntry(msgspec.Struct, rename="camel"):
    provider_id: str
    task: str
    status: str = "live"
    provider: str | None = None
    adapter: str | None = None
    adapter_weights_path: str | None = None


class _ModelInfo(msgspec.Struct, rename="camel"):
    inference_provider_mapping: list[_WireEntry] | dict[str, _WireEntry] | None = None


_decoder = msgspec.json.Decoder(_ModelInfo)


def parse_mapping(body: bytes, model: str) -> tuple[MappingEntry, ...]:
    """The entries of a model info answer, in the Hub's order (list or legacy dict form)."""
    from .providers._base import MappingEntry

    try:
        info = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DecodeError(
            f"the Hub's provider mapping for {model} could not be read: {exc}", model=model
        ) from None
    raw = info.inference_provider_mapping
    if raw is None:
        return ()
    pairs: list[tuple[str, _WireEntry]] = (
        list(raw.items()) if isinstance(raw, dict) else [(e.provider or "", e) for e in raw]
    )
    return tuple(
        MappingEntry(
            provider=name,
            provider_id=e.provider_id,
            task=e.task,
            status=e.status,
            adapter=e.adapter,
            adapter_weights_path=e.adapter_weights_path,
        )
        for name, e in pairs
        if name
    )


class _Flight:
    """One lookup in progress; followers wait on ``done`` and read the outcome."""

    __slots__ = ("done", "entries", "error")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.entries: tuple[MappingEntry, ...] | None = None
        self.error: BaseException | None = None


class MappingCache:
    """Per-client cache of provider mappings with TTL, size bound and single flight."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        ttl: float = DEFAULT_TTL,
        max_size: int = DEFAULT_MAX_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, tuple[MappingEntry, ...]]] = OrderedDict()
        self._flights: dict[str, _Flight] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def cached(self, model: str) -> tuple[MappingEntry, ...] | None:
        """The fresh cached entries of ``model``, without any I/O."""
        found = self._entries.get(model)
        if found is None:
            return None
        if self._clock() >= found[0]:
            del self._entries[model]
            return None
        return found[1]

    async def get(self, model: str) -> tuple[MappingEntry, ...]:
        while True:
            entries = self.cached(model)
            if entries is not None:
                return entries
            flight = self._flights.get(model)
            if flight is None:
                return await self._lead(model)
            await flight.done.wait()
            if flight.entries is not None:
                return flight.entries
            if flight.error is not None:
                raise flight.error
            # The leader was cancelled: the next one up leads a fresh lookup.

    async def _lead(self, model: str) -> tuple[MappingEntry, ...]:
        flight = self._flights[model] = _Flight()
        try:
            entries = parse_mapping(await self._fetch(model), model)
            flight.entries = entries
            self._store(model, entries)
            return entries
        except HfInferenceError as exc:
            flight.error = exc  # shared with the waiting calls, never cached
            raise
        finally:
            del self._flights[model]
            flight.done.set()

    def _store(self, model: str, entries: tuple[MappingEntry, ...]) -> None:
        self._entries[model] = (self._clock() + self.ttl, entries)
        self._entries.move_to_end(model)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


def hub_model_url(hub_url: str, model: str) -> str:
    return f"{hub_url}/api/models/{model}?expand[]=inferenceProviderMapping"
