"""The error tree of hf_inference.

::

    HfInferenceError
    ├── InvalidInputError (also ValueError)        bad model id, header, URL or argument
    │   └── ProviderError                           no provider can take this call
    │       ├── UnknownProviderError        provider name not in the registry
    │       ├── ProviderTaskError           the provider does not offer this task
    │       └── NoProviderError             no provider serves this model for this task
    ├── HTTPStatusError                             the server answered with an error status
    │   ├── BadRequestError                 400
    │   ├── AuthenticationError             401
    │   ├── PaymentRequiredError            402
    │   ├── PermissionDeniedError           403
    │   ├── NotFoundError                   404
    │   ├── GoneError                       410 (the retired api-inference host)
    │   ├── UnprocessableEntityError        422
    │   ├── RateLimitError                  429
    │   ├── ModelLoadingError               503 with estimated_time
    │   └── ServerError                     other 5xx
    │       └── ServiceUnavailableError     503 without estimated_time
    ├── StreamError                                 an error event inside a 200 event stream
    │   ├── StreamValidationError           error_type "validation"
    │   ├── GenerationError                 error_type "generation"
    │   ├── OverloadedError                 error_type "overloaded"
    │   ├── IncompleteGenerationError       error_type "incomplete_generation"
    │   └── ResponseFailedError             a Responses API answer failed (.response)
    ├── IncompleteStreamError                       body ended or broke before the final event
    ├── InferenceTimeoutError (also TimeoutError)   connect, pool, read, first byte, deadline
    │   └── ModelLoadingTimeout                     the model did not load within the budget
    ├── APIConnectionError                          DNS, refused, reset, TLS
    ├── JobError                                    a provider job (queue, prediction) failed
    ├── ClientClosedError (also RuntimeError)       a call on a closed client
    ├── EventLoopError (also RuntimeError)          a client used where its loop cannot serve it
    └── DecodeError                                 body or event does not match the output type
        ├── SSEDecodeError                          invalid UTF-8 in an event stream
        └── SSEEventTooLargeError                   one event over max_event_size

Every error carries ``status``, ``model``, ``request_id``, ``message`` and ``body`` (the raw
body, capped). None of them ever holds the token: errors are built from our own values,
never from an aiohttp exception (whose repr carries the request headers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

__all__ = [
    "APIConnectionError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "DecodeError",
    "EventLoopError",
    "GenerationError",
    "GoneError",
    "HTTPStatusError",
    "HfInferenceError",
    "IncompleteGenerationError",
    "IncompleteStreamError",
    "InferenceTimeoutError",
    "InvalidInputError",
    "JobError",
    "ModelLoadingError",
    "ModelLoadingTimeout",
    "NoProviderError",
    "NotFoundError",
    "OverloadedError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ProviderError",
    "ProviderTaskError",
    "RateLimitError",
    "ResponseFailedError",
    "SSEDecodeError",
    "SSEEventTooLargeError",
    "ServerError",
    "ServiceUnavailableError",
    "StreamError",
    "StreamValidationError",
    "UnknownProviderError",
    "UnprocessableEntityError",
    "error_from_response",
    "error_from_stream_event",
]

#: Bodies kept on an error are capped so a huge HTML page does not live on in logs.
MAX_ERROR_BODY = 8 * 1024

ROUTER_HINT = (
    "api-inference.huggingface.co is retired; use https://router.huggingface.co/hf-inference "
    "(the client's default base_url)"
)


class HfInferenceError(Exception):
    """Base class of every error raised by hf_inference."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        model: str | None = None,
        request_id: str | None = None,
        body: bytes | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.model = model
        self.request_id = request_id
        self.body = body[:MAX_ERROR_BODY] if body is not None else None

    def __str__(self) -> str:
        parts = [self.message]
        context = []
        if self.status is not None:
            context.append(f"status={self.status}")
        if self.model is not None:
            context.append(f"model={self.model!r}")
        if self.request_id is not None:
            context.append(f"request_id={self.request_id!r}")
        if context:
            parts.append(f"({', '.join(context)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.message, self.status, self.model, self.request_id, self.body),
            self.__dict__,
        )


def _rebuild(
    cls: type[HfInferenceError],
    message: str,
    status: int | None,
    model: str | None,
    request_id: str | None,
    body: bytes | None,
) -> HfInferenceError:
    error = cls.__new__(cls)
    HfInferenceError.__init__(
        error, message, status=status, model=model, request_id=request_id, body=body
    )
    return error


class InvalidInputError(HfInferenceError, ValueError):
    """An argument was rejected before any socket was opened."""


class ProviderError(InvalidInputError):
    """No provider can take this call; raised before any inference request is sent.

    ``task``: the Hub task name; ``provider``: the provider asked for (or None for auto);
    ``providers``: the names that would work (for this task, or serving this model).
    """

    def __init__(
        self,
        message: str,
        *,
        task: str | None = None,
        provider: str | None = None,
        providers: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.task = task
        self.provider = provider
        self.providers = providers


class UnknownProviderError(ProviderError):
    """The provider name is not one this client knows."""


class ProviderTaskError(ProviderError):
    """The provider exists but does not offer this task (or does not serve this model for it)."""


class NoProviderError(ProviderError):
    """No live provider serves this model for this task."""


class JobError(HfInferenceError):
    """A provider job (fal queue, replicate prediction, video job) ended in failure."""

    def __init__(
        self, message: str, *, job_id: str | None = None, provider: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id
        self.provider = provider


class ClientClosedError(HfInferenceError, RuntimeError):
    """A call on a client that was closed (``aclose()``/``close()`` or the end of its block)."""


class EventLoopError(HfInferenceError, RuntimeError):
    """A client used from an event loop that cannot serve the call.

    The blocking client called while the calling thread's event loop is running (it would
    stall that loop, and deadlock if the server answering lives on it), or an async client whose
    connections belong to another event loop that is still running.
    """


class HTTPStatusError(HfInferenceError):
    """The server answered with a 4xx or 5xx status."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        model: str | None = None,
        request_id: str | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        error_type: str | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        super().__init__(message, status=status, model=model, request_id=request_id, body=body)
        # Lower-case names: servers differ in case, lookups should not.
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.error_type = error_type
        self.warnings = warnings or []


class BadRequestError(HTTPStatusError):
    """400: the server rejected the inputs or parameters."""


class AuthenticationError(HTTPStatusError):
    """401: missing or invalid token."""


class PaymentRequiredError(HTTPStatusError):
    """402: the account has no credits left for this request."""


class PermissionDeniedError(HTTPStatusError):
    """403: the token may not use this model or provider."""


class NotFoundError(HTTPStatusError):
    """404: no such model, endpoint or route."""


class GoneError(HTTPStatusError):
    """410: the route is retired (the old api-inference host answers this)."""


class UnprocessableEntityError(HTTPStatusError):
    """422: validation failed (TGI parameters, chat template, malformed JSON)."""


class RateLimitError(HTTPStatusError):
    """429: too many requests, or the server is overloaded."""


class ServerError(HTTPStatusError):
    """A 5xx status other than model loading."""


class ServiceUnavailableError(ServerError):
    """503 without ``estimated_time``: overloaded or unhealthy."""


class ModelLoadingError(HTTPStatusError):
    """503 with ``estimated_time``: the model is being loaded."""

    def __init__(self, message: str, *, estimated_time: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.estimated_time = estimated_time


class StreamError(HfInferenceError):
    """The server reported an error inside a 200 event stream."""

    def __init__(self, message: str, *, error_type: str | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.error_type = error_type


class StreamValidationError(StreamError):
    """In-band error of type ``validation``."""


class GenerationError(StreamError):
    """In-band error of type ``generation``."""


class OverloadedError(StreamError):
    """In-band error of type ``overloaded``."""


class IncompleteGenerationError(StreamError):
    """In-band error of type ``incomplete_generation``."""


class ResponseFailedError(StreamError):
    """A Responses API answer failed (``response.failed`` event, or ``status: "failed"``).

    ``response`` is the failed :class:`~hf_inference.types.Response` (its ``error`` and any
    output produced before the failure); ``error_type`` is the error's ``code``.
    """

    def __init__(self, message: str, *, response: Any = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.response = response


class IncompleteStreamError(HfInferenceError):
    """The body ended, or the connection broke, before the stream's final event."""


class InferenceTimeoutError(HfInferenceError, TimeoutError):
    """A connect, pool, read, first-byte or overall deadline passed."""

    def __init__(self, message: str, *, phase: str = "read", **kwargs: Any):
        super().__init__(message, **kwargs)
        self.phase = phase


class ModelLoadingTimeout(InferenceTimeoutError):
    """The model was still loading when the loading budget ran out."""


class APIConnectionError(HfInferenceError):
    """The connection could not be made or broke (DNS, refused, reset, TLS)."""


class DecodeError(HfInferenceError):
    """A body or event did not match the expected output type."""

    def __init__(self, message: str, *, event_index: int | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.event_index = event_index


class SSEDecodeError(DecodeError):
    """The event stream is not valid UTF-8 or not a valid event stream."""


class SSEEventTooLargeError(DecodeError):
    """One event (or line) grew past ``max_event_size``."""


STATUS_ERRORS: dict[int, type[HTTPStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    410: GoneError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}

STREAM_ERRORS: dict[str, type[StreamError]] = {
    "validation": StreamValidationError,
    "generation": GenerationError,
    "overloaded": OverloadedError,
    "incomplete_generation": IncompleteGenerationError,
}


class _ErrorBody(msgspec.Struct):
    error: Any = None
    error_type: str | None = None
    message: Any = None
    detail: Any = None
    warnings: Any = None
    estimated_time: float | None = None


_error_body_decoder = msgspec.json.Decoder(_ErrorBody)


def _text_of(value: Any) -> str | None:
    """Server messages come as a string, a list of strings, or {"message": ...}."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = [t for t in (_text_of(v) for v in value) if t]
        return "; ".join(texts) if texts else None
    if isinstance(value, dict):
        return _text_of(value.get("message")) or _text_of(value.get("error")) or str(value)
    return str(value)


def _parse_error_body(body: bytes) -> _ErrorBody | None:
    try:
        return _error_body_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _plain_text(body: bytes) -> str | None:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return None
    if text.lstrip()[:1] == "<":
        return "the server answered with an HTML page"
    return text[:500]


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    model: str | None,
    request_id: str | None,
) -> HTTPStatusError:
    """Build the typed error for a non-2xx answer (message: body, then headers, then reason)."""
    parsed = _parse_error_body(body)
    message = None
    error_type = None
    warnings: list[str] = []
    estimated_time = None
    if parsed is not None:
        message = _text_of(parsed.error) or _text_of(parsed.message) or _text_of(parsed.detail)
        error_type = parsed.error_type
        if isinstance(parsed.error, dict) and error_type is None:
            error_type = parsed.error.get("type")
        if isinstance(parsed.warnings, list):
            warnings = [str(w) for w in parsed.warnings]
        estimated_time = parsed.estimated_time
    if message is None:
        message = headers.get("X-Error-Message") or headers.get("x-error-message")
    if message is None:
        message = _plain_text(body) or f"HTTP {status}"
    if status == 410:
        message = f"{message} ({ROUTER_HINT})"
    fields: dict[str, Any] = {
        "status": status,
        "model": model,
        "request_id": request_id,
        "body": body,
        "headers": headers,
        "error_type": error_type,
        "warnings": warnings,
    }
    if status == 503 and estimated_time is not None:
        return ModelLoadingError(message, estimated_time=estimated_time, **fields)
    cls = STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else HTTPStatusError
    return cls(message, **fields)


def error_from_stream_event(
    payload: Any, *, model: str | None, request_id: str | None, status: int | None = 200
) -> StreamError:
    """Build the typed error for an in-band error event (already decoded JSON)."""
    error_type = None
    message = None
    if isinstance(payload, dict):
        error = payload.get("error")
        error_type = payload.get("error_type")
        if isinstance(error, dict):
            error_type = error_type or error.get("type") or error.get("error_type")
        message = _text_of(error) or _text_of(payload.get("message"))
    else:
        message = _text_of(payload)
    cls = STREAM_ERRORS.get(error_type or "", StreamError)
    return cls(
        message or "the server sent an error event",
        error_type=error_type,
        status=status,
        model=model,
        request_id=request_id,
    )
