"""The Responses API (``POST {router}/v1/responses``): ``client.responses.create(...)``.

Non-streamed, the answer is a :class:`~hf_inference.types.Response`. Streamed, it is an
:class:`AsyncStream` of named events, decoded on the stream's fast path: the SSE decoder hands
each ``event:`` + ``data:`` block over as its data bytes (the payload's ``type`` repeats the
name) and one msgspec decode into the tagged union picks the event class. What that decode
does not take comes to :func:`resolve_event`: event types this version does not know (kept as
:class:`~hf_inference.types.ResponseEvent`), ``error`` (raised as :class:`StreamError`) and
``response.failed`` (raised as :class:`ResponseFailedError` carrying the failed response).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import msgspec

from . import _raw
from ._exceptions import (
    STREAM_ERRORS,
    DecodeError,
    InvalidInputError,
    ResponseFailedError,
    StreamError,
    error_from_stream_event,
)
from ._params import (
    IN_EXTRA_BODY,
    CallOptions,
    body_fields,
    call_options,
    check_keywords,
    parameter_names,
)
from ._payloads import json_body
from ._sse import ServerSentEvent
from ._streaming import AsyncStream
from .types import responses as r

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._client import AsyncInferenceClient
    from ._transport import Response as HTTPResponse

__all__ = ["Responses", "ResponsesParameters", "resolve_event"]

_event_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(r._DECODED_EVENTS)
_response_decoder = msgspec.json.Decoder(r.Response)
_failed_decoder = msgspec.json.Decoder(r.ResponseFailedEvent)
_KNOWN_TYPES = frozenset(
    cls.__struct_config__.tag
    for cls in r._DECODED_EVENTS.__args__  # type: ignore[attr-defined]
)
_TERMINAL = (r.ResponseCompletedEvent, r.ResponseIncompleteEvent)


class ResponsesParameters(CallOptions, total=False):
    """Responses API request fields (sent as given), plus the per-call options."""

    max_output_tokens: int
    temperature: float
    top_p: float
    tools: Sequence[Mapping[str, Any]]
    tool_choice: str | Mapping[str, Any]
    parallel_tool_calls: bool
    text: Mapping[str, Any]
    reasoning: Mapping[str, Any]
    metadata: Mapping[str, str]
    previous_response_id: str
    store: bool
    truncation: str
    user: str
    provider: str


_NAMES = parameter_names(ResponsesParameters)


def resolve_event(event: ServerSentEvent, payload: Any) -> Any:
    """An event the fast decode did not take: the item to yield, or the error to raise."""
    if not isinstance(payload, dict):
        raise DecodeError(f"Responses event is not a JSON object: {event.data[:200]!r}")
    kind = payload.get("type", event.event)
    if kind == "error" or (kind in ("", "message") and payload.get("error")):
        if "error" in payload:  # the router's own shape: {"error": {...}} or {"error": "..."}
            raise error_from_stream_event(payload, model=None, request_id=None)
        # OpenAI's ``error`` event: {"type": "error", "code", "message", "param"}.
        code = payload.get("code")
        code = code if isinstance(code, str) else None
        message = payload.get("message")
        cls = STREAM_ERRORS.get(code or "", StreamError)
        raise cls(
            message if isinstance(message, str) and message else "the server sent an error event",
            error_type=code,
        )
    if kind == "response.failed":
        failed = _decode(_failed_decoder, event.data, kind).response
        error = failed.error or r.ResponseError()
        raise ResponseFailedError(
            f"the response failed: {error.message or 'no message'}",
            error_type=error.code,
            response=failed,
        )
    if kind in _KNOWN_TYPES:
        # A known event that came the long way (split across reads, or its name only in the
        # ``event:`` line).
        data = event.data if "type" in payload else msgspec.json.encode({**payload, "type": kind})
        return _decode(_event_decoder, data, kind)
    return r.ResponseEvent(type=str(kind), data=payload)


def _decode(decoder: msgspec.json.Decoder[Any], data: str | bytes, kind: str) -> Any:
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise DecodeError(
            f"{kind} event does not match its documented shape: {exc}",
            body=data.encode() if isinstance(data, str) else data,
        ) from None


def _is_final(event: Any) -> bool:
    return isinstance(event, _TERMINAL)


class Responses:
    """``client.responses``: OpenAI's Responses API on the Hugging Face router."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncInferenceClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        input: str | Sequence[Mapping[str, Any]],
        model: str | None = ...,
        instructions: str | None = ...,
        stream: Literal[False] = ...,
        **params: Unpack[ResponsesParameters],
    ) -> r.Response: ...

    @overload
    async def create(
        self,
        *,
        input: str | Sequence[Mapping[str, Any]],
        model: str | None = ...,
        instructions: str | None = ...,
        stream: Literal[True],
        **params: Unpack[ResponsesParameters],
    ) -> AsyncStream[r.ResponseStreamEvent]: ...

    async def create(
        self,
        *,
        input: str | Sequence[Mapping[str, Any]],
        model: str | None = None,
        instructions: str | None = None,
        stream: bool = False,
        **params: Unpack[ResponsesParameters],
    ) -> r.Response | AsyncStream[r.ResponseStreamEvent]:
        """Create a response; with ``stream=True`` an :class:`AsyncStream` of typed events.

        ``input``: a string, or a list of input items (``{"role": "user", "content": ...}``,
        ``function_call_output`` items...). ``model`` may carry a ``:provider`` suffix.
        A response whose ``status`` is ``"failed"`` raises :class:`ResponseFailedError`.
        """
        url, model_id, body, options = self._request(input, model, instructions, stream, params)
        client = self._client
        accept = "text/event-stream" if stream else None
        headers = client._headers(url, options, "application/json", accept)
        if stream:
            return AsyncStream(
                lambda: client._send(url, headers, body, options, model_id, stream=True),
                cast("msgspec.json.Decoder[r.ResponseStreamEvent]", _event_decoder),
                model=model_id,
                is_complete=_is_final,
                max_event_size=client.max_event_size,
                named_payloads=True,
                resolve=resolve_event,
            )
        response = await client._send(url, headers, body, options, model_id)
        return self._decoded(await response.read(client.max_response_size), response, model_id)

    def _request(
        self,
        inputs: Any,
        model: str | None,
        instructions: str | None,
        stream: bool,
        params: Mapping[str, Any],
    ) -> tuple[str, str, bytes, CallOptions]:
        client = self._client
        model = model if model is not None else client.model
        if not model:
            raise InvalidInputError(
                "no model given for responses.create: pass model=... or set it on the client"
            )
        if not isinstance(inputs, str | list | tuple):
            raise InvalidInputError(
                f"input must be a string or a list of input items, got {type(inputs).__name__}"
            )
        check_keywords("responses.create", params, _NAMES, IN_EXTRA_BODY)
        provider = params.get("provider") or client.provider
        if provider and provider not in ("hf-inference", "auto") and ":" not in model:
            model = f"{model}:{provider}"
        root = client._endpoint or client.router_url
        url = root if root.endswith("/responses") else f"{root}/v1/responses"
        body: dict[str, Any] = {"model": model, "input": inputs}
        if instructions is not None:
            body["instructions"] = instructions
        body.update(body_fields(params))
        body.update(params.get("extra_body") or {})
        if stream:
            body["stream"] = True
        return url, model, json_body(body), call_options(params)

    @staticmethod
    def _decoded(data: bytes, response: HTTPResponse, model: str) -> r.Response:
        _raw.keep(data, response)
        try:
            answer = _response_decoder.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise DecodeError(
                f"responses answer could not be decoded: {exc}",
                status=response.status,
                model=model,
                request_id=response.request_id,
                body=data,
            ) from None
        if answer.status == "failed":
            error = answer.error or r.ResponseError()
            raise ResponseFailedError(
                f"the response failed: {error.message or 'no message'}",
                error_type=error.code,
                response=answer,
                status=response.status,
                model=model,
                request_id=response.request_id,
            )
        return answer
