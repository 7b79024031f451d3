"""AsyncInferenceClient: lifecycle, routing, the raw primitives and every task method.

Each task method is one line into :meth:`AsyncInferenceClient._run` (or ``_stream``) with its
row of the task table; nothing task-specific lives here beyond the signature and docstring.
"""

from __future__ import annotations

import logging
import ssl as _ssl
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload
from urllib.parse import urljoin

import aiohttp
import anyio
import msgspec

from . import _params as kw
from . import _tasks as tasks
from . import providers
from . import types as t
from ._chat import Messages, chat_body, chat_model
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
    validate_model_id,
    validate_url,
)
from ._endpoints import EndpointMethods
from ._exceptions import (
    APIConnectionError,
    DecodeError,
    InferenceTimeoutError,
    InvalidInputError,
    ModelLoadingError,
    ModelLoadingTimeout,
)
from ._exchange import ProviderExchange, provider_call, provider_chat, provider_stream
from ._jobs import JobProgress
from ._mapping import DEFAULT_TTL
from ._openai import Chat
from ._params import (
    CALL_OPTION_NAMES,
    IN_EXTRA_BODY,
    CallOptions,
    ChatCompletionParameters,
    call_options,
    check_keywords,
    split_keywords,
)
from ._payloads import (
    check_parameters,
    json_body,
)
from ._raw import keep as keep_raw
from ._responses import Responses
from ._retry import RetryPolicy
from ._routing import Plan, Routing
from ._streaming import AsyncStream
from ._structured import is_output_type, parse_completion, schema_format
from ._transport import Body, Response, Transport, default_headers
from .types import parameters as p

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

logger = logging.getLogger("hf_inference")

T = TypeVar("T")
S = TypeVar("S")
Out = TypeVar("Out")
Sleep = Callable[[float], Awaitable[None]]

_any_decoder = msgspec.json.Decoder()
_MAX_REDIRECTS = 5


class AsyncInferenceClient(EndpointMethods):
    """Async client for Hugging Face inference: Inference Providers, hf-inference, endpoints.

    ``token``: a Hugging Face token (``hf_...``, sent to the router and the Hub only) or a
    provider's own key (sent straight to that provider); ``None`` looks up ``HF_TOKEN`` then
    the token file; ``False`` stays anonymous (``api_key=`` is the same, under openai's
    name). ``model``: the default model id or endpoint URL.
    ``provider``: ``"auto"``, the default (None means the same: the Hub's first live provider
    for the task; the router's own choice for chat), or a provider name
    (``hf_inference.providers.PROVIDERS``).
    ``base_url``: a serverless base (the argument, else ``HF_INFERENCE_BASE_URL``); given,
    calls go there as to hf-inference and the Hub is never asked. ``router_url``: the router
    (the argument, else ``HF_INFERENCE_ROUTER_URL``, else the one that goes with the base URL,
    else router.huggingface.co). ``hub_url``: the Hub (the argument, else ``HF_ENDPOINT``,
    else huggingface.co). ``provider_urls``: a provider's direct base URL, by name (for a
    private gateway or a local test server). ``on_progress``: called with each
    ``JobProgress`` of a provider job (queue position, status).
    The Responses API goes to the router. The token goes to the hosts you name here as well
    as to Hugging Face's.
    """

    def __init__(
        self,
        token: str | bool | None = None,
        *,
        api_key: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        provider: str | None = None,
        router_url: str | None = None,
        hub_url: str | None = None,
        provider_urls: Mapping[str, str] | None = None,
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
        on_progress: Callable[[JobProgress], None] | None = None,
        mapping_ttl: float = DEFAULT_TTL,
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
        self._on_progress = on_progress
        self._routing = Routing(
            base_url=base_url,
            router_url=router_url,
            hub_url=hub_url,
            provider=provider,
            provider_urls=provider_urls,
            mapping_ttl=mapping_ttl,
            token=self._token,
            get=self._get,
            max_response_size=max_response_size,
        )
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
        trusted = {origin_of(self.base_url), origin_of(self.router_url), origin_of(self.hub_url)}
        trusted |= {("https", host, 443) for host in HUGGING_FACE_HOSTS}
        if self._endpoint is not None:
            trusted.add(origin_of(self._endpoint))
        if model is not None and is_url(model):
            trusted.add(origin_of(model))
        self._trusted_origins = frozenset(trusted)

    @property
    def base_url(self) -> str:
        """Where hf-inference (serverless) calls go."""
        return self._routing.base_url

    @property
    def router_url(self) -> str:
        """The Inference Providers router."""
        return self._routing.router_url

    @property
    def hub_url(self) -> str:
        """The Hub that maps models to providers."""
        return self._routing.hub_url

    @property
    def provider(self) -> str:
        """``"auto"`` or the provider this client's calls use unless a call says otherwise."""
        return self._routing.provider

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
    def _plan(
        self, spec: tasks.TaskSpec[Any], model: str | None, options: Mapping[str, Any]
    ) -> Plan:
        model = model if model is not None else self.model
        return self._routing.plan(spec, model, options, self._endpoint)

    async def _where(
        self, spec: tasks.TaskSpec[Any], model: str | None, options: Mapping[str, Any]
    ) -> providers.Direct | providers.Routed:
        model = model if model is not None else self.model
        return await self._routing.where(spec, model, options, self._endpoint)

    def _get(self, url: str, headers: Mapping[str, str], model: str) -> Awaitable[Response]:
        return self._send(url, headers, None, {}, model, method="GET")

    def _exchange(self, plan: providers.Routed, options: CallOptions) -> ProviderExchange:
        timeout = Timeout.of(options["timeout"]) if "timeout" in options else self.timeout
        return ProviderExchange(
            plan,
            send=self._send,
            download=self._download,
            sleep=self._sleep,
            base_headers=self._base_headers,
            credential=options.get("token") or self._token,
            options=options,
            timeout=timeout,
            max_response_size=self.max_response_size,
            on_progress=options.get("on_progress", self._on_progress),
        )

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
            error = await response.status_error(model)
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
                    raise await response.status_error(None)
                return await response.read(self.max_response_size)
            response.release()
            url = validate_url(urljoin(url, location))
            if origin_of(url) != origin:
                headers = default_headers()
        raise InvalidInputError(f"more than {_MAX_REDIRECTS} redirects downloading an input")

    # -- the shared machinery --------------------------------------------------------------------
    async def _run(
        self,
        spec: tasks.TaskSpec[Out],
        inputs: Any,
        model: str | None,
        parameters: Mapping[str, Any] | None,
        options: CallOptions,
    ) -> Out:
        parameters, options = self._keywords(spec, parameters, options)
        plan = self._plan(spec, model, options)
        if not isinstance(plan, providers.Direct):
            plan = await self._where(spec, model, options)
            if isinstance(plan, providers.Routed):
                exchange = self._exchange(plan, options)
                result: Out = await provider_call(
                    spec, exchange, inputs, parameters, options, self.hub_url
                )
                return result
        url, model_id = plan.url, plan.model
        extra = options.get("extra_body")
        body, content_type = await tasks.request_body(
            spec, inputs, parameters, extra, self._download
        )
        headers = self._headers(url, options, content_type, spec.accept)
        response = await self._send(url, headers, body, options, model_id)
        return await tasks.read_answer(spec, response, inputs, self.max_response_size)

    def _stream(
        self,
        spec: tasks.TaskSpec[Out],
        inputs: Any,
        model: str | None,
        parameters: Mapping[str, Any] | None,
        options: CallOptions,
    ) -> AsyncStream[Out]:
        parameters, options = self._keywords(spec, parameters, options)
        first = self._plan(spec, model, options)  # bad input fails here, before any I/O

        async def open_stream() -> Response:
            plan = (
                first
                if isinstance(first, providers.Direct)
                else await self._where(spec, model, options)
            )
            if isinstance(plan, providers.Routed):
                # Known only now: the provider's events may have another shape (completions).
                decoder = plan.shape.stream_decoder()
                if decoder is not None:
                    stream._use_decoder(decoder)
                exchange = self._exchange(plan, options)
                return await provider_stream(
                    spec, exchange, inputs, parameters, options, self.hub_url
                )
            extra = options.get("extra_body")
            body, content_type = await tasks.request_body(
                spec, inputs, parameters, extra, self._download, stream=True
            )
            headers = self._headers(plan.url, options, content_type, "text/event-stream")
            return await self._send(plan.url, headers, body, options, plan.model, stream=True)

        stream = AsyncStream(
            open_stream,
            spec.decoder,
            model=model or self.model,
            is_complete=tasks.stream_is_complete,
            max_event_size=self.max_event_size,
        )
        return stream

    @staticmethod
    def _keywords(
        spec: tasks.TaskSpec[Any], parameters: Mapping[str, Any] | None, keywords: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any] | None, CallOptions]:
        """(parameters, options) of a call: task parameters given as keywords join the rest."""
        if keywords.keys() <= CALL_OPTION_NAMES:  # the common case costs one set comparison
            return parameters, keywords  # type: ignore[return-value]
        merged, options = split_keywords(spec.name, spec.parameter_names, parameters, keywords)
        return merged, options  # type: ignore[return-value]

    def _chat(
        self,
        spec: tasks.TaskSpec[Out],
        messages: Messages,
        model: str | None,
        params: Mapping[str, Any],
    ) -> tuple[Callable[[], Awaitable[Response]], str | None]:
        options = call_options(params)
        accept = "text/event-stream" if spec.stream else None
        plan = self._plan(spec, model, options)
        if isinstance(plan, providers.Direct):
            provider = options.get("provider") or self.provider
            body = chat_body(messages, chat_model(plan, provider), params, spec.stream)
            headers = self._headers(plan.url, options, "application/json", accept)
            url, model_id = plan.url, plan.model

            def send() -> Awaitable[Response]:
                return self._send(url, headers, body, options, model_id, stream=spec.stream)

            return send, model_id

        async def send_routed() -> Response:
            where = await self._where(spec, model, options)
            if isinstance(where, providers.Routed):
                exchange = self._exchange(where, options)
                return await provider_chat(exchange, messages, params, spec.stream)
            body = chat_body(messages, where.model or "tgi", params, spec.stream)
            headers = self._headers(where.url, options, "application/json", accept)
            return await self._send(
                where.url, headers, body, options, where.model, stream=spec.stream
            )

        return send_routed, plan.model

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
        check_keywords("request()", options, CALL_OPTION_NAMES)  # parameters go in parameters=
        is_chat = isinstance(payload, Mapping) and "messages" in payload
        spec = tasks.BY_WIRE_NAME.get(task or "") if task else None
        if task and spec is None:
            raise InvalidInputError(f"unknown task {task!r}")
        if spec is None:
            spec = tasks.CHAT_COMPLETION if is_chat else tasks.TEXT_GENERATION
        # A raw payload is in the serverless (or chat) format: it goes where that format is
        # spoken, never through a provider shape that would rewrite it.
        provider = options.get("provider") or self.provider
        raw_options = {"provider": "hf-inference" if provider == providers.AUTO else provider}
        plan = self._plan(spec, model, raw_options)
        if not isinstance(plan, providers.Direct):
            raise InvalidInputError(
                f"request() sends the payload as is, which only hf-inference, the router's chat "
                f"route and endpoints take; call the task method for provider {provider!r}"
            )
        url, model_id = plan.url, plan.model
        if isinstance(payload, Mapping) and ("inputs" in payload or is_chat):
            body = dict(payload)
            parameters = check_parameters(parameters)
            if parameters:
                body["parameters"] = {**body.get("parameters", {}), **parameters}
            if stream:
                body["stream"] = True
            return url, model_id, json_body(body), "application/json"
        extra = options.get("extra_body")
        body_bytes, content_type = await tasks.request_body(
            spec, payload, parameters, extra, self._download, stream=stream
        )
        return url, model_id, body_bytes, content_type

    # -- tasks: natural language ------------------------------------------------------------------
    async def fill_mask(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: p.FillMaskParameters | None = None,
        **options: Unpack[kw.FillMaskKwargs],
    ) -> list[t.FillMaskOutputElement]:
        """Fill the mask token (``[MASK]``, ``<mask>``) of a text."""
        return await self._run(tasks.FILL_MASK, inputs, model, parameters, options)

    async def summarization(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: p.SummarizationParameters | None = None,
        **options: Unpack[kw.SummarizationKwargs],
    ) -> t.SummarizationOutput:
        """Summarise a text (a list of texts gives a list)."""
        return await self._run(tasks.SUMMARIZATION, inputs, model, parameters, options)

    async def question_answering(
        self,
        inputs: Mapping[str, str],
        *,
        model: str | None = None,
        parameters: p.QuestionAnsweringParameters | None = None,
        **options: Unpack[kw.QuestionAnsweringKwargs],
    ) -> t.QuestionAnsweringOutputElement:
        """Answer ``{"question", "context"}`` from the context (a list when ``top_k`` > 1)."""
        return await self._run(tasks.QUESTION_ANSWERING, inputs, model, parameters, options)

    async def table_question_answering(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: p.TableQuestionAnsweringParameters | None = None,
        **options: Unpack[kw.TableQuestionAnsweringKwargs],
    ) -> t.TableQuestionAnsweringOutputElement:
        """Answer ``{"query", "table"}`` (table: column name -> list of cell strings)."""
        return await self._run(tasks.TABLE_QUESTION_ANSWERING, inputs, model, parameters, options)

    async def text_classification(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: p.TextClassificationParameters | None = None,
        **options: Unpack[kw.TextClassificationKwargs],
    ) -> list[t.TextClassificationOutputElement]:
        """Labels and scores of a text (sentiment, topic...)."""
        return await self._run(tasks.TEXT_CLASSIFICATION, inputs, model, parameters, options)

    @overload
    async def text_generation(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextGenerationParameters | None = None,
        stream: Literal[False] = False,
        details: Literal[False] = False,
        **options: Unpack[kw.TextGenerationKwargs],
    ) -> t.TextGenerationOutput: ...

    @overload
    async def text_generation(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextGenerationParameters | None = None,
        stream: Literal[False] = False,
        details: Literal[True],
        **options: Unpack[kw.TextGenerationKwargs],
    ) -> t.DetailedTextGenerationOutput: ...

    @overload
    async def text_generation(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextGenerationParameters | None = None,
        stream: Literal[True],
        details: bool = False,
        **options: Unpack[kw.TextGenerationKwargs],
    ) -> AsyncStream[t.TextGenerationStreamOutput]: ...

    @overload
    async def text_generation(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextGenerationParameters | None = None,
        stream: bool,
        details: bool = False,
        **options: Unpack[kw.TextGenerationKwargs],
    ) -> t.TextGenerationOutput | AsyncStream[t.TextGenerationStreamOutput]: ...

    async def text_generation(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextGenerationParameters | None = None,
        stream: bool = False,
        details: bool = False,
        **options: Unpack[kw.TextGenerationKwargs],
    ) -> t.TextGenerationOutput | AsyncStream[t.TextGenerationStreamOutput]:
        """Continue a prompt; ``details`` holds TGI's tokens, seed and finish reason.

        ``details=True`` returns a :class:`~hf_inference.types.DetailedTextGenerationOutput`
        (an answer without details is a ``DecodeError``); ``stream=True`` returns the
        :meth:`text_generation_stream` of the same arguments (huggingface_hub's spelling).
        """
        if stream:
            return self.text_generation_stream(
                inputs, model=model, parameters=parameters, details=details, **options
            )
        if details:
            return await self._run(
                tasks.TEXT_GENERATION_DETAILED, inputs, model, _detailed(parameters), options
            )
        return await self._run(tasks.TEXT_GENERATION, inputs, model, parameters, options)

    def text_generation_stream(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextGenerationParameters | None = None,
        details: bool = False,
        **options: Unpack[kw.TextGenerationKwargs],
    ) -> AsyncStream[t.TextGenerationStreamOutput]:
        """Stream generated tokens as TGI sends them (``async for`` or ``async with``).

        ``details=True``: the last event carries the finish reason, token count and seed.
        """
        given = _detailed(parameters) if details else parameters
        return self._stream(tasks.TEXT_GENERATION_STREAM, inputs, model, given, options)

    async def token_classification(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TokenClassificationParameters | None = None,
        **options: Unpack[kw.TokenClassificationKwargs],
    ) -> list[t.TokenClassificationOutputElement]:
        """Named entities (or other token labels) of a text."""
        return await self._run(tasks.TOKEN_CLASSIFICATION, inputs, model, parameters, options)

    async def translation(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: p.TranslationParameters | None = None,
        **options: Unpack[kw.TranslationKwargs],
    ) -> t.TranslationOutput:
        """Translate a text (``src_lang``/``tgt_lang`` parameters for many-to-many models)."""
        return await self._run(tasks.TRANSLATION, inputs, model, parameters, options)

    async def zero_shot_classification(
        self,
        inputs: str | list[str],
        *,
        model: str | None = None,
        parameters: p.ZeroShotClassificationParameters | None = None,
        **options: Unpack[kw.ZeroShotClassificationKwargs],
    ) -> list[t.ZeroShotClassificationOutputElement]:
        """Score ``candidate_labels`` (in parameters) against a text, best first."""
        return await self._run(tasks.ZERO_SHOT_CLASSIFICATION, inputs, model, parameters, options)

    async def sentence_similarity(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: p.SentenceSimilarityParameters | None = None,
        **options: Unpack[kw.SentenceSimilarityKwargs],
    ) -> list[float]:
        """Similarity of ``source_sentence`` to each of ``sentences``."""
        return await self._run(tasks.SENTENCE_SIMILARITY, inputs, model, parameters, options)

    async def conversational(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: p.ConversationalParameters | None = None,
        **options: Unpack[kw.ConversationalKwargs],
    ) -> t.ConversationalOutput:
        """The retired conversational task, served over chat completions.

        ``inputs``: ``{"text", "past_user_inputs", "generated_responses"}``.
        """
        from ._chat import conversation_messages, conversational_output

        messages = conversation_messages(inputs)
        given, call_options = self._keywords(tasks.CONVERSATIONAL, parameters, options)
        params: dict[str, Any] = dict(call_options)
        for key, value in (given or {}).items():
            params["max_tokens" if key == "max_length" else key] = value
        send, _ = self._chat(tasks.CONVERSATIONAL, messages, model, params)
        answer = await send()
        reply = await tasks.read_answer(
            tasks.CONVERSATIONAL, answer, messages, self.max_response_size
        )
        return conversational_output(inputs, reply)

    @overload
    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: type[S],
        stream: Literal[False] = False,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ParsedChatCompletion[S]: ...

    @overload
    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: Mapping[str, Any] | None = None,
        stream: Literal[False] = False,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ChatCompletionOutput: ...

    @overload
    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: Mapping[str, Any] | type[Any] | None = None,
        stream: Literal[True],
        **params: Unpack[ChatCompletionParameters],
    ) -> AsyncStream[t.ChatCompletionStreamOutput]: ...

    @overload
    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: Mapping[str, Any] | type[Any] | None = None,
        stream: bool,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ChatCompletionOutput | AsyncStream[t.ChatCompletionStreamOutput]: ...

    async def chat_completion(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        response_format: Mapping[str, Any] | type[Any] | None = None,
        stream: bool = False,
        **params: Unpack[ChatCompletionParameters],
    ) -> t.ChatCompletionOutput | AsyncStream[t.ChatCompletionStreamOutput]:
        """OpenAI-compatible chat completion (tools, response_format, logprobs...).

        ``response_format=YourType`` (a msgspec Struct, dataclass or TypedDict) asks for JSON
        fitting its schema and returns a :class:`~hf_inference.types.ParsedChatCompletion`
        whose ``parsed`` is the answer decoded into ``YourType``. ``stream=True`` returns the
        :meth:`chat_completion_stream` of the same arguments (huggingface_hub's spelling).
        """
        if stream:
            return self.chat_completion_stream(
                messages, model=model, response_format=response_format, **params
            )
        output_type = self._chat_arguments(params, response_format)
        send, _ = self._chat(tasks.CHAT_COMPLETION, messages, model, params)
        reply = await tasks.read_answer(
            tasks.CHAT_COMPLETION, await send(), messages, self.max_response_size
        )
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
        self._chat_arguments(params, response_format)
        send, model_id = self._chat(tasks.CHAT_COMPLETION_STREAM, messages, model, params)
        return AsyncStream(
            send,
            tasks.CHAT_COMPLETION_STREAM.decoder,
            model=model_id,
            is_complete=tasks.stream_is_complete,
            max_event_size=self.max_event_size,
        )

    @staticmethod
    def _chat_arguments(params: Any, response_format: Any) -> type[Any] | None:
        """Check a chat call's keywords and put the wire ``response_format`` into ``params``;
        the type to parse the answer into, if any."""
        check_keywords(
            "chat-completion", params, tasks.CHAT_COMPLETION.parameter_names, IN_EXTRA_BODY
        )
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
        parameters: p.AutomaticSpeechRecognitionParameters | None = None,
        **options: Unpack[kw.AutomaticSpeechRecognitionKwargs],
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
        parameters: p.AudioClassificationParameters | None = None,
        **options: Unpack[kw.AudioClassificationKwargs],
    ) -> list[t.AudioClassificationOutputElement]:
        """Labels and scores of an audio clip."""
        return await self._run(tasks.AUDIO_CLASSIFICATION, inputs, model, parameters, options)

    async def text_to_speech(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextToSpeechParameters | None = None,
        **options: Unpack[kw.TextToSpeechKwargs],
    ) -> t.BinaryOutput:
        """Speak a text; returns the audio bytes with their content type."""
        return await self._run(tasks.TEXT_TO_SPEECH, inputs, model, parameters, options)

    async def audio_to_audio(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.AudioToAudioParameters | None = None,
        **options: Unpack[kw.AudioToAudioKwargs],
    ) -> list[t.AudioToAudioOutputElement]:
        """Separate or enhance audio; each element carries a base64 blob."""
        return await self._run(tasks.AUDIO_TO_AUDIO, inputs, model, parameters, options)

    # -- tasks: vision ----------------------------------------------------------------------------
    async def image_classification(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.ImageClassificationParameters | None = None,
        **options: Unpack[kw.ImageClassificationKwargs],
    ) -> list[t.ImageClassificationOutputElement]:
        """Labels and scores of an image."""
        return await self._run(tasks.IMAGE_CLASSIFICATION, inputs, model, parameters, options)

    async def object_detection(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.ObjectDetectionParameters | None = None,
        **options: Unpack[kw.ObjectDetectionKwargs],
    ) -> list[t.ObjectDetectionOutputElement]:
        """Objects in an image with their boxes."""
        return await self._run(tasks.OBJECT_DETECTION, inputs, model, parameters, options)

    async def image_segmentation(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.ImageSegmentationParameters | None = None,
        **options: Unpack[kw.ImageSegmentationKwargs],
    ) -> list[t.ImageSegmentationOutputElement]:
        """Segments of an image, each with a base64 PNG mask."""
        return await self._run(tasks.IMAGE_SEGMENTATION, inputs, model, parameters, options)

    async def image_to_text(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.ImageToTextParameters | None = None,
        **options: Unpack[kw.ImageToTextKwargs],
    ) -> t.ImageToTextOutput:
        """Caption an image."""
        return await self._run(tasks.IMAGE_TO_TEXT, inputs, model, parameters, options)

    async def text_to_image(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextToImageParameters | None = None,
        **options: Unpack[kw.TextToImageKwargs],
    ) -> t.BinaryOutput:
        """Draw an image from a prompt; returns the image bytes with their content type."""
        return await self._run(tasks.TEXT_TO_IMAGE, inputs, model, parameters, options)

    async def image_to_image(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.ImageToImageParameters | None = None,
        **options: Unpack[kw.ImageToImageKwargs],
    ) -> t.BinaryOutput:
        """Transform an image (``prompt`` in parameters); returns image bytes."""
        return await self._run(tasks.IMAGE_TO_IMAGE, inputs, model, parameters, options)

    async def text_to_video(
        self,
        inputs: str,
        *,
        model: str | None = None,
        parameters: p.TextToVideoParameters | None = None,
        **options: Unpack[kw.TextToVideoKwargs],
    ) -> t.BinaryOutput:
        """Make a video from a prompt (a provider job); returns the video bytes."""
        return await self._run(tasks.TEXT_TO_VIDEO, inputs, model, parameters, options)

    async def image_to_video(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.ImageToVideoParameters | None = None,
        **options: Unpack[kw.ImageToVideoKwargs],
    ) -> t.BinaryOutput:
        """Animate an image (``prompt`` in parameters; a provider job); returns video bytes."""
        return await self._run(tasks.IMAGE_TO_VIDEO, inputs, model, parameters, options)

    async def zero_shot_image_classification(
        self,
        inputs: Any,
        *,
        model: str | None = None,
        parameters: p.ZeroShotImageClassificationParameters | None = None,
        **options: Unpack[kw.ZeroShotImageClassificationKwargs],
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
        parameters: p.FeatureExtractionParameters | None = None,
        **options: Unpack[kw.FeatureExtractionKwargs],
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
        parameters: p.VisualQuestionAnsweringParameters | None = None,
        **options: Unpack[kw.VisualQuestionAnsweringKwargs],
    ) -> list[t.VisualQuestionAnsweringOutputElement]:
        """Answer ``{"question", "image"}`` about the image."""
        return await self._run(tasks.VISUAL_QUESTION_ANSWERING, inputs, model, parameters, options)

    async def document_question_answering(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: p.DocumentQuestionAnsweringParameters | None = None,
        **options: Unpack[kw.DocumentQuestionAnsweringKwargs],
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
        parameters: p.TabularRegressionParameters | None = None,
        **options: Unpack[kw.TabularRegressionKwargs],
    ) -> list[float]:
        """Predict a number per row of ``{"data": {column: [values]}}``."""
        return await self._run(tasks.TABULAR_REGRESSION, inputs, model, parameters, options)

    async def tabular_classification(
        self,
        inputs: Mapping[str, Any],
        *,
        model: str | None = None,
        parameters: p.TabularClassificationParameters | None = None,
        **options: Unpack[kw.TabularClassificationKwargs],
    ) -> list[Any]:
        """Predict a label per row of ``{"data": {column: [values]}}``."""
        return await self._run(tasks.TABULAR_CLASSIFICATION, inputs, model, parameters, options)


def _detailed(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """``parameters`` asking for TGI's details (the ``details=True`` keyword)."""
    given = check_parameters(parameters) or {}
    if given.get("details", True) is not True:
        raise InvalidInputError(
            "details=True as a keyword and details=False inside parameters=: pass it once"
        )
    return {**given, "details": True}


HfInference = AsyncInferenceClient
