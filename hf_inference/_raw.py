"""The raw answer behind a typed one: ``await with_raw_response(client.chat_completion(...))``.

Typed outputs keep only the fields they declare; a provider's extras (Cerebras's
``time_info``, ``service_tier``...) live in the body. Rather than keep every body on every
answer, a call awaited through :func:`with_raw_response` hands its body to a holder in a
context variable: the typed path pays one ``ContextVar.get`` per call, nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from ._exceptions import DecodeError, InvalidInputError

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from ._transport import Response

__all__ = ["RawResponse", "with_raw_response"]

T = TypeVar("T")

# The holder of the call being awaited through with_raw_response, if any.
_holder: ContextVar[list[tuple[bytes, Response]] | None] = ContextVar(
    "hf_inference_raw", default=None
)


def keep(body: bytes, response: Response) -> None:
    """Called by the decoding step of every non-streamed answer with the body it read."""
    holder = _holder.get()
    if holder is not None:
        holder.append((body, response))


class RawResponse(Generic[T]):
    """A typed answer with the HTTP answer it came from.

    ``parsed`` is what the call returns; ``content`` the body bytes; ``json()`` the body as
    plain Python data (decoded on first use), with every field a provider added.
    """

    __slots__ = ("_json", "content", "headers", "parsed", "request_id", "status")

    def __init__(self, parsed: T, content: bytes, response: Response) -> None:
        self.parsed = parsed
        self.content = content
        self.status: int = response.status
        self.headers: CIMultiDictProxy[str] = response.headers
        self.request_id: str | None = response.request_id
        self._json: Any = _UNSET

    def json(self) -> Any:
        """The body decoded as JSON (dicts, lists, str, numbers); ``DecodeError`` if it is not."""
        if self._json is _UNSET:
            try:
                self._json = msgspec.json.decode(self.content)
            except msgspec.DecodeError as exc:
                raise DecodeError(
                    f"the answer is not JSON: {exc}", status=self.status, body=self.content
                ) from None
        return self._json

    def __repr__(self) -> str:
        return f"<RawResponse status={self.status} {len(self.content)} bytes {self.parsed!r}>"


_UNSET: Any = object()


async def with_raw_response(call: Awaitable[T]) -> RawResponse[T]:
    """Await a non-streamed call and return its typed result with the raw answer.

    ::

        raw = await with_raw_response(client.chat_completion(messages, model=m))
        raw.parsed.choices[0].message.content  # typed, as usual
        raw.json()["time_info"]  # a field the typed shape does not declare

    Streams are not calls to await (their events are decoded one by one): this refuses them.
    """
    if not isinstance(call, Awaitable):
        raise InvalidInputError(
            f"with_raw_response takes a call to await (client.chat_completion(...)), "
            f"got {type(call).__name__}: streams have no single raw answer"
        )
    holder: list[tuple[bytes, Response]] = []
    token = _holder.set(holder)
    try:
        parsed = await call
    finally:
        _holder.reset(token)
    if not holder:
        raise InvalidInputError(
            f"{type(parsed).__name__} did not come from one decoded HTTP answer "
            "(with_raw_response takes a non-streamed task call)"
        )
    body, response = holder[-1]
    return RawResponse(parsed, body, response)
