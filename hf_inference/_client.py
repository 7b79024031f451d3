"""AsyncInferenceClient: lifecycle, routing, the raw primitives and every task method.

Each task method is one line into :meth:`AsyncInferenceClient._run` (or ``_stream``) with its
row of the task table; nothing task-specific lives here beyond the signature and docstring.
"""

from __future__ import annotations

import logging
import ssl as _ssl
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import urljoin, urlsplit

import aiohttp
import anyio
import msgspec

from . import _tasks as tasks
from . import types as t
from ._config import (
    DEFAULT_MAX_EVENT_SIZE,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    HUGGING_FACE_HOSTS,
    Timeout,
    check_header_name,
    check_header_value,
    is_url,
    origin_of,
    resolve_token,
    resolve_urls,
    validate_model_id,
    validate_url,
)
from ._exceptions import (
    APIConnectionError,
    DecodeError,
    HTTPStatusError,
    InferenceTimeoutError,
    InvalidInputError,
    ModelLoadingError,
    ModelLoadingTimeout,
    error_from_response,
)
from ._openai import Chat
from ._params import CALL_OPTION_NAMES, CallOptions, ChatCompletionParameters
from ._payloads import (
    b64,
    check_parameters,
    inputs_payload,
    is_binary_input,
    json_body,
    read_binary,
    sniff_content_type,
)
from ._raw import keep as keep_raw
from ._responses import Responses
from ._retry import RetryPolicy
from ._streaming import AsyncStream
from ._structured import is_output_type, parse_completion, schema_format
from ._transport import Body, Response, Transport, default_headers

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

logger = logging.getLogger("hf_inference")

T = TypeVar("T")
S = TypeVar("S")
Out = TypeVar("Out")
Sleep = Callable[[float], Awaitable[None]]

_any_decoder = msgspec.json.Decoder()
_MAX_REDIRECTS = 5
Messages = Sequence[Mapping[str, Any] | t.ChatMessage]


class AsyncInferenceClient:
    """Async client for the Hugging Face Inference API, dedicated endpoints and routed chat.

    ``token``: a token string; ``None`` looks up ``HF_TOKEN`` then the token file; ``False``
    stays anonymous (``api_key=`` is the same, under openai's name). ``model``: the default
    model id or endpoint URL. ``base_url``: where serverless calls go: the argument, else
    ``$HF_INFERENCE_BASE_URL``, else ``https://router.huggingface.co/hf-inference``. Routed
    chat and the Responses API go to ``$HF_INFERENCE_ROUTER_URL``, else the router that goes
    with the base URL. The token is sent to these hosts (you chose them), to Hugging Face's and
    to endpoints you configure.
    """

    def __init__(
        self,
        token: str | bool | None = None,
        *,
        api_key: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        provider: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
        bill_to: str | None = None,
        max_retries: int = 2,
        wait_for_model: bool = True,
        loading_budget: float = 120.0,
        max_connections: int = 100,
        max_concurrency: int | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        ssl: _ssl.SSLContext | bool = True,
        trust_env: bool = True,
        send_token_to_any_host: bool = False,
        sleep: Sleep | None = None,
        clock: Callable[[], float] | None = None,
        on_loading: Callable[[float, float], None] | None = None,
        _transport: Transport | None = None,
        _endpoint: str | None = None,
    ) -> None:
        if api_key is not None:
            if token is not None:
                raise InvalidInputError(
                    "pass the token once: token=... or api_key=... (openai's name), not both"
                )
            token = api_key
        self._token = resolve_token(token)
        self._endpoint = validate_url(_endpoint) if _endpoint is not None else None
        if model is not None and not is_url(model):
            validate_model_id(model)
        elif model is not None:
            validate_url(model)
        self.model = model
        self.base_url, self.router_url = resolve_urls(base_url)
        self.provider = provider
        self.timeout = Timeout.of(timeout)
        self.retry = RetryPolicy(
            max_retries=max_retries, wait_for_model=wait_for_model, loading_budget=loading_budget
        )
        self.max_event_size = max_event_size
        self.max_response_size = max_response_size
        self._send_token_anywhere = send_token_to_any_host
        # Injectable so tests (and apps with their own scheduling) control every wait: ``sleep``
        # for backoff and loading waits, ``clock`` (wall time) for HTTP-date Retry-After values.
        self._sleep: Sleep = sleep or anyio.sleep
        self._clock: Callable[[], float] = clock or time.time
        self._on_loading = on_loading
        self._limiter = anyio.CapacityLimiter(max_concurrency) if max_concurrency else None
        base_headers = default_headers()
        if bill_to is not None:
            base_headers["x-hf-bill-to"] = check_header_value("bill_to", bill_to)
        for name, value in (headers or {}).items():
            base_headers[check_header_name(name).lower()] = check_header_value(
                f"header {name}", value
            )
        self._base_headers = base_headers
        self._owns_transport = _transport is None
        self._transport = _transport or Transport(
            session=session, max_connections=max_connections, ssl=ssl, trust_env=trust_env
        )
        trusted = {origin_of(self.base_url), origin_of(self.router_url)}
        trusted |= {("https", host, 443) for host in HUGGING_FACE_HOSTS}
        if self._endpoint is not None:
            trusted.add(origin_of(self._endpoint))
        if model is not None and is_url(model):
            trusted.add(origin_of(model))
        self._trusted_origins = frozenset(trusted)

    def __repr__(self) -> str:
        target = self._endpoint or self.base_url
        auth = "token=***" if self._token else "anonymous"
        return f"<AsyncInferenceClient {target} model={self.model!r} {auth}>"

    # -- lifecycle ------------------------------------------------------------------------------
    def endpoint(self, url: str, *, model: str | None = None) -> AsyncInferenceClient:
        """A client bound to a dedicated endpoint (TGI, Inference Endpoints); shares the session."""
        child = object.__new__(AsyncInferenceClient)
        child.__dict__.update(self.__dict__)
        child._endpoint = validate_url(url)
        child.model = model
        child._owns_transport = False
        child._trusted_origins = self._trusted_origins | {origin_of(child._endpoint)}
        return child

    @property
    def closed(self) -> bool:
        return self._transport.closed

    async def aclose(self) -> None:
        """Close the session this client created (a session passed in is left open)."""
        if self._owns_transport:
            await self._transport.aclose()

    async def close(self) -> None:
        """Same as :meth:`aclose` (the name huggingface_hub's async client uses)."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- routing and headers --------------------------------------------------------------------
    def _target(
        self, spec: tasks.TaskSpec[Any], model: str | None, provider: str | None = None
    ) -> tuple[str, str | None]:
        """(URL, model id for the body and errors) for one call.

        Chat goes through the provider router when a provider other than hf-inference is
        chosen (per call, else on the client) or the model id carries a ``:provider`` suffix.
        """
        model = model if model is not None else self.model
        if model is None:
            if self._endpoint is None:
                raise InvalidInputError(
                    f"no model given for {spec.name}: pass model=... or set it on the client"
                )
            return self._endpoint_route(self._endpoint, spec), None
        if is_url(model):
            return self._endpoint_route(validate_url(model), spec), model
        validate_model_id(model)
        if self._endpoint is not None:
            return self._endpoint_route(self._endpoint, spec), model
        provider = provider or self.provider
        routed = (provider is not None and provider != "hf-inference") or ":" in model
        if spec.route is tasks.Route.CHAT and routed:
            return f"{self.router_url}/v1/chat/completions", model
        if spec.route is tasks.Route.PIPELINE:
            return f"{self.base_url}/models/{model}/pipeline/{spec.name}", model
        if spec.route is tasks.Route.CHAT:
            return f"{self.base_url}/models/{model}/v1/chat/completions", model
        return f"{self.base_url}/models/{model}", model

    @staticmethod
    def _endpoint_route(url: str, spec: tasks.TaskSpec[Any]) -> str:
        if spec.route is tasks.Route.CHAT and not url.endswith("/chat/completions"):
            return f"{url}/v1/chat/completions"
        return url

    def _headers(
        self,
        url: str,
        options: CallOptions,
        content_type: str | None,
        accept: str | None,
    ) -> dict[str, str]:
        headers = dict(self._base_headers)
        # A token given with this very call goes where this call goes; the client's own token
        # only to hosts the user configured (a per-call URL may come from untrusted input).
        call_token = options.get("token")
        if call_token:
            headers["authorization"] = "Bearer " + check_header_value("token", call_token)
        elif self._token and (self._send_token_anywhere or origin_of(url) in self._trusted_origins):
            headers["authorization"] = "Bearer " + self._token
        if content_type is not None:
            headers["content-type"] = content_type
        if accept is not None:
            headers["accept"] = accept
        if options:
            self._option_headers(headers, options)
        return headers

    @staticmethod
    def _option_headers(headers: dict[str, str], options: CallOptions) -> None:
        if options.get("use_cache") is False:
            headers["x-use-cache"] = "false"
        if options.get("wait_for_model") is True:
            headers["x-wait-for-model"] = "true"
        if options.get("dont_load_model"):
            headers["x-load-model"] = "0"
        bill_to = options.get("bill_to")
        if bill_to is not None:
            headers["x-hf-bill-to"] = check_header_value("bill_to", bill_to)
        for name, value in (options.get("headers") or {}).items():
            headers[check_header_name(name).lower()] = check_header_value(f"header {name}", value)

    # -- sending --------------------------------------------------------------------------------
    async def _send(
        self,
        url: str,
        headers: Mapping[str, str],
        body: Body,
        options: CallOptions,
        model: str | None,
        method: str = "POST",
        *,
        redirects: bool = False,
        stream: bool = False,
    ) -> Response:
        """Send with retries and model-loading waits; return a 2xx response, raise the rest.

        Every retry happens here, before any byte of a body reached the caller, so a stream
        that has yielded is never sent again. A 3xx is an error (never followed) unless
        ``redirects``, where it is handed back for :meth:`_download` to follow.
        """
        timeout = Timeout.of(options["timeout"]) if "timeout" in options else self.timeout
        policy = self.retry
        max_retries = options.get("max_retries", policy.max_retries)
        wait_for_model = options.get("wait_for_model", policy.wait_for_model)
        on_loading = options.get("on_loading", self._on_loading)
        # (bytes first: an ABC isinstance check is the dear one)
        replayable = isinstance(body, bytes) or not isinstance(body, AsyncIterable)
        deadline = anyio.current_time() + timeout.total if timeout.total is not None else None
        retries = 0
        loading_waited = 0.0
        while True:
            try:
                response = await self._send_once(
                    method, url, headers, body, timeout, model, deadline, stream=stream
                )
            except (APIConnectionError, InferenceTimeoutError) as exc:
                # Nothing of an answer arrived, so sending again is safe. Not after a first-byte
                # or total timeout (the server may be busy with it) or a pool timeout (we are).
                retryable = isinstance(exc, APIConnectionError) or exc.phase == "connect"
                if not (retryable and replayable and retries < max_retries):
                    raise
                retries += 1
                delay = policy.backoff(retries)
                logger.debug(
                    "%s: %s; retry %d/%d in %.2f s", model, exc.message, retries, max_retries, delay
                )
                await self._pause(delay, deadline, exc)
                continue
            status = response.status
            if status < 300 or (redirects and status < 400):
                return response
            # Read (capped) and release the failed answer before any wait or retry.
            error = await self._status_error(response, model)
            if isinstance(error, ModelLoadingError) and wait_for_model and replayable:
                wait = policy.loading_delay(error.estimated_time, loading_waited)
                if wait is None:
                    raise ModelLoadingTimeout(
                        f"model still loading after waiting {loading_waited:g} s "
                        f"(loading_budget {policy.loading_budget:g} s): {error.message}",
                        phase="loading",
                        status=error.status,
                        model=model,
                        request_id=error.request_id,
                    ) from error
                logger.info(
                    "model %s is loading (estimated %.0f s), waiting %.1f s (%.0f s of %.0f s)",
                    model,
                    error.estimated_time or 0.0,
                    wait,
                    loading_waited,
                    policy.loading_budget,
                )
                if on_loading is not None:
                    on_loading(error.estimated_time or 0.0, loading_waited)
                await self._pause(wait, deadline, error)
                loading_waited += wait
                continue
            if (
                status in policy.statuses
                and not isinstance(error, ModelLoadingError)
                and replayable
                and retries < max_retries
            ):
                retries += 1
                delay = policy.retry_delay(retries, response.headers, self._clock())
                logger.debug(
                    "%s: HTTP %d; retry %d/%d in %.2f s", model, status, retries, max_retries, delay
                )
                await self._pause(delay, deadline, error)
                continue
            raise error

    async def _status_error(self, response: Response, model: str | None) -> HTTPStatusError:
        body = await response.read_error_body()
        status = response.status
        if status >= 400:
            return error_from_response(
                status, response.headers, body, model=model, request_id=response.request_id
            )
        location = response.headers.get("Location", "")
        host = urlsplit(location).netloc.rpartition("@")[2] if location else ""
        return HTTPStatusError(
            f"the server redirected ({status}){f' to {host}' if host else ''}; redirects are "
            "not followed (a POST would lose its body or leak its headers): call the target "
            "URL directly",
            status=status,
            model=model,
            request_id=response.request_id,
            body=body,
            headers=response.headers,
        )

    async def _pause(self, delay: float, deadline: float | None, cause: Exception) -> None:
        """Sleep before sending again, unless the call's total deadline would pass meanwhile."""
        if deadline is not None and anyio.current_time() + delay >= deadline:
            raise InferenceTimeoutError(
                f"the call's total deadline would pass during a {delay:.2f} s wait to send "
                f"again; last error: {cause}",
                phase="total",
                model=getattr(cause, "model", None),
            ) from cause
        await self._sleep(delay)

    async def _send_once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body,
        timeout: Timeout,
        model: str | None,
        deadline: float | None,
        stream: bool = False,
    ) -> Response:
        limiter = self._limiter
        if limiter is not None:
            await self._acquire_slot(limiter, timeout, deadline, model)
        try:
            return await self._transport.send(
                method,
                url,
                headers=headers,
                body=body,
                timeout=timeout,
                model=model,
                deadline=deadline,
                stream=stream,
            )
        finally:
            # The slot covers sending and waiting for headers; a stream's body does not hold it.
            if limiter is not None:
                limiter.release()

    @staticmethod
    async def _acquire_slot(
        limiter: anyio.CapacityLimiter,
        timeout: Timeout,
        deadline: float | None,
        model: str | None,
    ) -> None:
        """Wait for a ``max_concurrency`` slot within the pool timeout (or the deadline)."""
        wait = timeout.pool
        if deadline is not None:
            left = deadline - anyio.current_time()
            wait = left if wait is None else min(wait, left)
        try:
            with anyio.fail_after(wait):
                await limiter.acquire()
        except TimeoutError:
            raise InferenceTimeoutError(
                f"no free slot within {wait:g} s (max_concurrency={limiter.total_tokens:g})",
                phase="pool" if wait == timeout.pool else "total",
                model=model,
            ) from None

    async def _download(self, url: str) -> bytes:
        """GET an input URL, following up to 5 redirects (CDNs and the Hub use them).

        A hop to another origin carries the user agent alone: no token, no ``bill_to``, no
        custom headers, whatever host it names (a redirect is chosen by the server, not the user).
        """
        validate_url(url)
        origin = origin_of(url)
        headers = self._headers(url, {}, None, None)
        for _ in range(_MAX_REDIRECTS + 1):
            response = await self._send(url, headers, None, {}, None, method="GET", redirects=True)
            location = response.headers.get("Location")
            if response.status < 300 or not location:
                if response.status >= 300:
                    raise await self._status_error(response, None)
                return await response.read(self.max_response_size)
            response.release()
            url = validate_url(urljoin(url, location))
            if origin_of(url) != origin:
                headers = default_headers()
        raise InvalidInputError(f"more than {_MAX_REDIRECTS} redirects downloading an input")

    # -- bodies ---------------------------------------------------------------------------------
    async def _body(
        self,
        spec: tasks.TaskSpec[Any],
        inputs: Any,
        parameters: Mapping[str, Any] | None,
        options: CallOptions,
        model: str | None,
        stream: bool = False,
    ) -> tuple[Body, str | None]:
        """(body, content type) for one call, following the task's input kind."""
        extra = dict(options.get("extra_body") or {})
        kind = spec.input_kind
        if kind is tasks.InputKind.BINARY and is_binary_input(inputs):
            if not check_parameters(parameters) and not extra:
                data = await read_binary(
                    inputs, self._download, allow_stream=True, media=spec.media
                )
                if isinstance(data, AsyncIterable):
                    return data, "application/octet-stream"
                return data, sniff_content_type(data)
            data = await read_binary(inputs, self._download, media=spec.media)
            assert not isinstance(data, AsyncIterable)
            inputs = b64(data)
        elif kind is tasks.InputKind.BINARY_IN_DICT and isinstance(inputs, Mapping):
            inputs = dict(inputs)
            if "image" in inputs and is_binary_input(inputs["image"]):
                data = await read_binary(inputs["image"], self._download)
                assert not isinstance(data, AsyncIterable)
                inputs["image"] = b64(data)
        if stream:
            extra["stream"] = True
        return json_body(inputs_payload(inputs, parameters, extra)), "application/json"

    def _chat_body(
        self,
        spec: tasks.TaskSpec[Any],
        messages: Messages,
        model: str | None,
        url: str,
        params: Mapping[str, Any],
        stream: bool,
    ) -> bytes:
        if not isinstance(messages, list | tuple):
            raise InvalidInputError("messages must be a list of {'role': ..., 'content': ...}")
        provider = params.get("provider") or self.provider
        body_model = model or "tgi"
        if model is not None and not is_url(model) and provider and ":" not in model:
            # On the hf-inference route the model is in the URL; the router needs the suffix.
            body_model = f"{model}:{provider}" if provider != "hf-inference" else model
        if model is not None and is_url(model):
            body_model = "tgi"
        body: dict[str, Any] = {
            "model": body_model,
            "messages": [
                msgspec.to_builtins(m) if isinstance(m, t.ChatMessage) else m for m in messages
            ],
        }
        for key, value in params.items():
            if key not in CALL_OPTION_NAMES and key != "provider" and value is not None:
                body[key] = value
        body.update(params.get("extra_body") or {})
        if stream:
            body["stream"] = True
        return json_body(body)

    # -- decoding -------------------------------------------------------------------------------
    async def _decode(
        self, spec: tasks.TaskSpec[Out], response: Response, inputs: Any, model: str | None
    ) -> Out:
        body = await response.read(self.max_response_size)
        keep_raw(body, response)
        if spec.binary_output:
            if response.media_type == "application/json":
                raise self._decode_error(spec, response, body, "expected binary data, got JSON")
            result: Any = t.BinaryOutput(body, response.media_type or "application/octet-stream")
            return result  # type: ignore[no-any-return]
        try:
            wire = spec.decoder.decode(body)
            return spec.finish(wire, inputs)
        except (msgspec.ValidationError, msgspec.DecodeError, IndexError, TypeError) as exc:
            raise self._decode_error(spec, response, body, str(exc)) from None

    @staticmethod
    def _decode_error(
        spec: tasks.TaskSpec[Any], response: Response, body: bytes, why: str
    ) -> DecodeError:
        return DecodeError(
            f"{spec.name} answer could not be decoded: {why}",
            status=response.status,
            model=response.model,
            request_id=response.request_id,
            body=body,
        )

    # -- the shared machinery --------------------------------------------------------------------
    async def _run(
        self,
        spec: tasks.TaskSpec[Out],
        inputs: Any,
        model: str | None,
        parameters: Mapping[str, Any] | None,
        options: CallOptions,
    ) -> Out:
        url, model_id = self._target(spec, model)
        body, content_type = await self._body(spec, inputs, parameters, options, model_id)
        headers = self._headers(url, options, content_type, spec.accept)
        response = await self._send(url, headers, body, options, model_id)
        return await self._decode(spec, response, inputs, model_id)

    def _stream(
        self,
        spec: tasks.TaskSpec[Out],
        inputs: Any,
        model: str | None,
        parameters: Mapping[str, Any] | None,
        options: CallOptions,
    ) -> AsyncStream[Out]:
        url, model_id = self._target(spec, model)

        async def open_stream() -> Response:
            body, content_type = await self._body(
                spec, inputs, parameters, options, model_id, stream=True
            )
            headers = self._headers(url, options, content_type, "text/event-stream")
            return await self._send(url, headers, body, options, model_id, stream=True)

        return AsyncStream(
            open_stream,
            spec.decoder,
            model=model_id,
            is_complete=tasks.stream_is_complete,
            max_event_size=self.max_event_size,
        )

    def _chat(
        self,
        spec: tasks.TaskSpec[Out],
        messages: Messages,
        model: str | None,
        params: Mapping[str, Any],
    ) -> tuple[Callable[[], Awaitable[Response]], str | None]:
        url, model_id = self._target(spec, model, params.get("provider"))
        options: CallOptions = {k: v for k, v in params.items() if k in CALL_OPTION_NAMES}  # type: ignore[assignment]
        body = self._chat_body(spec, messages, model_id, url, params, spec.stream)
        accept = "text/event-stream" if spec.stream else None
        headers = self._headers(url, options, "application/json", accept)

        def send() -> Awaitable[Response]:
            return self._send(url, headers, body, options, model_id, stream=spec.stream)

        return send, model_id

    # -- raw primitives -------------------------------------------------------------------------
    @overload
    async def request(
        self,
        inputs_or_payload: Any = ...,
        *,
        model: str | None = ...,
        task: str | None = ...,
        parameters: Mapping[str, Any] | None = ...,
        output_type: None = ...,
        accept: str | None = ...,
        **options: Unpack[CallOptions],
    ) -> Any: ...

    @overload
    async def request(
        self,
        inputs_or_payload: Any = ...,
        *,
        model: str | None = ...,
        task: str | None = ...,
        parameters: Mapping[str, Any] | None = ...,
        output_type: type[T],
        accept: str | None = ...,
        **options: Unpack[CallOptions],
    ) -> T: ...

    async def request(
        self,
        inputs_or_payload: Any = None,
        *,
        model: str | None = None,
        task: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        output_type: Any = None,
        accept: str | None = None,
        **options: Unpack[CallOptions],
    ) -> Any:
        """POST inputs (or a whole payload) and return decoded JSON, bytes, or ``output_type``.

        A mapping holding ``inputs`` or ``messages`` is sent as the JSON body as is; binary data
        is sent raw; anything else becomes ``{"inputs": ..., "parameters": ...}``.
        """
        url, model_id, body, content_type = await self._raw_body(
            inputs_or_payload, model, task, parameters, options, stream=False
        )
        headers = self._headers(url, options, content_type, accept)
        response = await self._send(url, headers, body, options, model_id)
        data = await response.read(self.max_response_size)
        keep_raw(data, response)
        if output_type is None and response.media_type not in ("application/json", "text/json"):
            return data
        try:
            if output_type is None:
                return _any_decoder.decode(data)
            return msgspec.json.decode(data, type=output_type)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise DecodeError(
                f"answer could not be decoded: {exc}",
                status=response.status,
                model=model_id,
                request_id=response.request_id,
                body=data,
            ) from None

    def streaming_request(
        self,
        inputs_or_payload: Any = None,
        *,
        model: str | None = None,
        task: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        output_type: Any = None,
        **options: Unpack[CallOptions],
    ) -> AsyncStream[Any]:
        """POST with ``"stream": true`` and return a stream of decoded server-sent events."""

        async def open_stream() -> Response:
            url, model_id, body, content_type = await self._raw_body(
                inputs_or_payload, model, task, parameters, options, stream=True
            )
            headers = self._headers(url, options, content_type, "text/event-stream")
            return await self._send(url, headers, body, options, model_id, stream=True)

        decoder = msgspec.json.Decoder(output_type) if output_type is not None else _any_decoder
        return AsyncStream(
            open_stream,
            decoder,
            model=model or self.model,
            max_event_size=self.max_event_size,
        )

    async def _raw_body(
        self,
        payload: Any,
        model: str | None,
        task: str | None,
        parameters: Mapping[str, Any] | None,
        options: CallOptions,
        stream: bool,
    ) -> tuple[str, str | None, Body, str | None]:
        is_chat = isinstance(payload, Mapping) and "messages" in payload
        spec = tasks.BY_WIRE_NAME.get(task or "") if task else None
        if task and spec is None:
            raise InvalidInputError(f"unknown task {task!r}")
        if spec is None:
            spec = tasks.CHAT_COMPLETION if is_chat else tasks.TEXT_GENERATION
        url, model_id = self._target(spec, model)
        if isinstance(payload, Mapping) and ("inputs" in payload or is_chat):
            body = dict(payload)
            parameters = check_parameters(parameters)
            if parameters:
                body["parameters"] = {**body.get("parameters", {}), **parameters}
            if stream:
                body["stream"] = True
            return url, model_id, json_body(body), "application/json"
        body_bytes, content_type = await self._body(
            spec, payload, parameters, options, model_id, stream=stream
        )
        return url, model_id, body_bytes, content_type

    # -- tasks: natural language ------------------------------------------------------------------
    async def fill_mask(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.FillMaskOutputElement]:
        """Fill the mask token (``[MASK]``, ``<mask>``) of a text."""
        return await self._run(tasks.FILL_MASK, inputs, model, parameters, options)

    async def summarization(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.SummarizationOutput:
        """Summarise a text (a list of texts gives a list)."""
        return await self._run(tasks.SUMMARIZATION, inputs, model, parameters, options)

    async def question_answering(
        self,
        inputs: Mapping[str, str],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.QuestionAnsweringOutputElement:
        """Answer ``{"question", "context"}`` from the context (a list when ``top_k`` > 1)."""
        return await self._run(tasks.QUESTION_ANSWERING, inputs, model, parameters, options)

    async def table_question_answering(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.TableQuestionAnsweringOutputElement:
        """Answer ``{"query", "table"}`` (table: column name -> list of cell strings)."""
        return await self._run(tasks.TABLE_QUESTION_ANSWERING, inputs, model, parameters, options)

    async def text_classification(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.TextClassificationOutputElement]:
        """Labels and scores of a text (sentiment, topic...)."""
        return await self._run(tasks.TEXT_CLASSIFICATION, inputs, model, parameters, options)

    async def text_generation(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.TextGenerationOutput:
        """Continue a prompt; ``details`` holds TGI's tokens, seed and finish reason."""
        return await self._run(tasks.TEXT_GENERATION, inputs, model, parameters, options)

    def text_generation_stream(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncStream[t.TextGenerationStreamOutput]:
        """Stream generated tokens as TGI sends them (``async for`` or ``async with``)."""
        return self._stream(tasks.TEXT_GENERATION_STREAM, inputs, model, parameters, options)

    async def token_classification(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.TokenClassificationOutputElement]:
        """Named entities (or other token labels) of a text."""
        return await self._run(tasks.TOKEN_CLASSIFICATION, inputs, model, parameters, options)

    async def translation(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.TranslationOutput:
        """Translate a text (``src_lang``/``tgt_lang`` parameters for many-to-many models)."""
        return await self._run(tasks.TRANSLATION, inputs, model, parameters, options)

    async def zero_shot_classification(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.ZeroShotClassificationOutputElement]:
        """Score ``candidate_labels`` (in parameters) against a text, best first."""
        return await self._run(tasks.ZERO_SHOT_CLASSIFICATION, inputs, model, parameters, options)

    async def sentence_similarity(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[float]:
        """Similarity of ``source_sentence`` to each of ``sentences``."""
        return await self._run(tasks.SENTENCE_SIMILARITY, inputs, model, parameters, options)

    async def conversational(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.ConversationalOutput:
        """The retired conversational task, served over chat completions.

        ``inputs``: ``{"text", "past_user_inputs", "generated_responses"}``.
        """
        from ._chat import conversation_messages, conversational_output

        messages = conversation_messages(inputs)
        params: dict[str, Any] = dict(options)
        parameters = check_parameters(parameters)
        if parameters and "max_length" in parameters:
            params["max_tokens"] = parameters["max_length"]
        send, _ = self._chat(tasks.CONVERSATIONAL, messages, model, params)
        reply = await self._decode(tasks.CONVERSATIONAL, await send(), messages, model)
        return conversational_output(inputs, reply)

    @overload
    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: type[S],
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ParsedChatCompletion[S]: ...

    @overload
    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: Mapping[str, Any] | None = None,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ChatCompletionOutput: ...

    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: Mapping[str, Any] | type[Any] | None = None,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ChatCompletionOutput:
        """OpenAI-compatible chat completion (tools, response_format, logprobs...).

        ``response_format=YourType`` (a msgspec Struct, dataclass or TypedDict) asks for JSON
        fitting its schema and returns a :class:`~hf_inference.types.ParsedChatCompletion`
        whose ``parsed`` is the answer decoded into ``YourType``.
        """
        output_type = self._with_format(params, response_format)
        send, model_id = self._chat(tasks.CHAT_COMPLETION, messages, model, params)
        reply = await self._decode(tasks.CHAT_COMPLETION, await send(), messages, model_id)
        if output_type is None:
            return reply
        parsed: t.ChatCompletionOutput = parse_completion(reply, output_type)
        return parsed

    def chat_completion_stream(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: Mapping[str, Any] | type[Any] | None = None,
        **params: Unpack[ChatCompletionParameters],
    ) -> AsyncStream[t.ChatCompletionStreamOutput]:
        """Stream chat completion chunks; ends at ``data: [DONE]``.

        With ``response_format=YourType`` the chunks are as usual;
        ``accumulate_chat_stream(stream, response_format=YourType)`` gives the parsed answer.
        """
        self._with_format(params, response_format)
        send, model_id = self._chat(tasks.CHAT_COMPLETION_STREAM, messages, model, params)
        return AsyncStream(
            send,
            tasks.CHAT_COMPLETION_STREAM.decoder,
            model=model_id,
            is_complete=tasks.stream_is_complete,
            max_event_size=self.max_event_size,
        )

    @staticmethod
    def _with_format(params: Any, response_format: Any) -> type[Any] | None:
        """Put the wire ``response_format`` into ``params``; the type to parse into, if any."""
        if response_format is None:
            return None
        if is_output_type(response_format):
            params["response_format"] = schema_format(response_format)
            return response_format  # type: ignore[no-any-return]
        params["response_format"] = response_format
        return None

    # -- OpenAI-shaped namespaces -----------------------------------------------------------------
    @property
    def chat(self) -> Chat:
        """``client.chat.completions.create(...)``, as openai's clients spell it."""
        return Chat(self)

    @property
    def responses(self) -> Responses:
        """The Responses API: ``await client.responses.create(model=..., input=...)``."""
        return Responses(self)

    # -- tasks: audio -----------------------------------------------------------------------------
    async def automatic_speech_recognition(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.AutomaticSpeechRecognitionOutput:
        """Transcribe audio (bytes, path, file, URL or async iterable of bytes)."""
        return await self._run(
            tasks.AUTOMATIC_SPEECH_RECOGNITION, inputs, model, parameters, options
        )

    async def audio_classification(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.AudioClassificationOutputElement]:
        """Labels and scores of an audio clip."""
        return await self._run(tasks.AUDIO_CLASSIFICATION, inputs, model, parameters, options)

    async def text_to_speech(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.BinaryOutput:
        """Speak a text; returns the audio bytes with their content type."""
        return await self._run(tasks.TEXT_TO_SPEECH, inputs, model, parameters, options)

    async def audio_to_audio(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.AudioToAudioOutputElement]:
        """Separate or enhance audio; each element carries a base64 blob."""
        return await self._run(tasks.AUDIO_TO_AUDIO, inputs, model, parameters, options)

    # -- tasks: vision ----------------------------------------------------------------------------
    async def image_classification(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.ImageClassificationOutputElement]:
        """Labels and scores of an image."""
        return await self._run(tasks.IMAGE_CLASSIFICATION, inputs, model, parameters, options)

    async def object_detection(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.ObjectDetectionOutputElement]:
        """Objects in an image with their boxes."""
        return await self._run(tasks.OBJECT_DETECTION, inputs, model, parameters, options)

    async def image_segmentation(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.ImageSegmentationOutputElement]:
        """Segments of an image, each with a base64 PNG mask."""
        return await self._run(tasks.IMAGE_SEGMENTATION, inputs, model, parameters, options)

    async def image_to_text(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.ImageToTextOutput:
        """Caption an image."""
        return await self._run(tasks.IMAGE_TO_TEXT, inputs, model, parameters, options)

    async def text_to_image(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.BinaryOutput:
        """Draw an image from a prompt; returns the image bytes with their content type."""
        return await self._run(tasks.TEXT_TO_IMAGE, inputs, model, parameters, options)

    async def image_to_image(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> t.BinaryOutput:
        """Transform an image (``prompt`` in parameters); returns image bytes."""
        return await self._run(tasks.IMAGE_TO_IMAGE, inputs, model, parameters, options)

    async def zero_shot_image_classification(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.ZeroShotImageClassificationOutputElement]:
        """Score ``candidate_labels`` (in parameters) against an image."""
        return await self._run(
            tasks.ZERO_SHOT_IMAGE_CLASSIFICATION, inputs, model, parameters, options
        )

    # -- tasks: multimodal ------------------------------------------------------------------------
    async def feature_extraction(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[Any]:
        """Embeddings as nested float lists: one vector, or one per token, per the model.

        For NumPy (what huggingface_hub returns), ``hf_inference.as_array(result)`` gives a
        ``numpy.ndarray`` (float32 by default); NumPy is optional:
        ``pip install 'hf-inference[numpy]'``.
        """
        return await self._run(tasks.FEATURE_EXTRACTION, inputs, model, parameters, options)

    async def visual_question_answering(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.VisualQuestionAnsweringOutputElement]:
        """Answer ``{"question", "image"}`` about the image."""
        return await self._run(tasks.VISUAL_QUESTION_ANSWERING, inputs, model, parameters, options)

    async def document_question_answering(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[t.DocumentQuestionAnsweringOutputElement]:
        """Answer ``{"question", "image"}`` about a document image."""
        return await self._run(
            tasks.DOCUMENT_QUESTION_ANSWERING, inputs, model, parameters, options
        )

    # -- tasks: tabular ---------------------------------------------------------------------------
    async def tabular_regression(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[float]:
        """Predict a number per row of ``{"data": {column: [values]}}``."""
        return await self._run(tasks.TABULAR_REGRESSION, inputs, model, parameters, options)

    async def tabular_classification(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> list[Any]:
        """Predict a label per row of ``{"data": {column: [values]}}``."""
        return await self._run(tasks.TABULAR_CLASSIFICATION, inputs, model, parameters, options)


HfInference = AsyncInferenceClient
