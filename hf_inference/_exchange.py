"""One call to an Inference Provider, on the client's session: the :class:`~._jobs.Exchange`
a provider shape talks through, and the step that turns its answer into the task's type.

Credentials are decided here and nowhere else: through the router the caller's Hugging Face
token (and ``bill_to``); straight to a provider its own key, in that provider's scheme, and
no ``bill_to``. Media URLs a provider names get no credentials at all.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

import anyio
import msgspec

from . import _tasks as tasks
from ._chat import Messages, chat_messages, chat_params
from ._config import DEFAULT_JOB_TIMEOUT, Timeout, check_header_value, validate_url
from ._exceptions import DecodeError, InvalidInputError
from ._jobs import JobProgress
from ._params import CallOptions
from ._payloads import b64, check_parameters, is_binary_input, read_binary, sniff_content_type
from ._transport import Body, Response, default_headers
from .providers import Routed
from .types import BinaryOutput

if TYPE_CHECKING:
    from .providers._base import Call

logger = logging.getLogger("hf_inference")

_any_decoder = msgspec.json.Decoder()
_MAX_REDIRECTS = 5


class Sender(Protocol):
    """The client's send-with-retries (``AsyncInferenceClient._send``)."""

    def __call__(
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
    ) -> Awaitable[Response]: ...


class ProviderExchange:
    """The I/O of one provider call: where, with which headers, until when."""

    def __init__(
        self,
        plan: Routed,
        *,
        send: Sender,
        download: Callable[[str], Awaitable[bytes]],
        sleep: Callable[[float], Awaitable[None]],
        base_headers: Mapping[str, str],
        credential: str | None,
        options: CallOptions,
        timeout: Timeout,
        max_response_size: int,
        on_progress: Callable[[JobProgress], None] | None,
    ) -> None:
        self.plan = plan
        self.provider = plan.provider.name
        self._send = send
        self.download = download  # an input URL, fetched as the client fetches inputs
        self._sleep = sleep
        self._timeout = timeout
        self._max_size = max_response_size
        self._on_progress = on_progress
        self._options = options
        total = timeout.total if timeout.total is not None else DEFAULT_JOB_TIMEOUT
        self.deadline = anyio.current_time() + total
        self.headers = self._credentials(base_headers, credential, options)

    def _credentials(
        self, base: Mapping[str, str], credential: str | None, options: CallOptions
    ) -> dict[str, str]:
        plan = self.plan
        headers = dict(base)
        for name, value in (options.get("headers") or {}).items():
            headers[name.lower()] = check_header_value(f"header {name}", value)
        headers.update(plan.provider.headers)
        headers.update(plan.shape.headers)
        if plan.routed:
            bill_to = options.get("bill_to")
            if bill_to is not None:
                headers["x-hf-bill-to"] = check_header_value("bill_to", bill_to)
            if credential:
                headers["authorization"] = f"Bearer {credential}"
        else:
            # A provider's own host never learns whom Hugging Face should bill.
            headers.pop("x-hf-bill-to", None)
            if credential:
                headers["authorization"] = f"{plan.provider.key_scheme} {credential}"
        return headers

    # -- the Exchange protocol ------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.plan.base + path

    def rebase(self, url: str, query: str = "") -> str:
        path = urlsplit(url).path if "://" in url else url
        if not path.startswith("/") or ".." in path:
            raise DecodeError(f"{self.provider} answered an unusable job URL path")
        return f"{self.plan.base}{path}" + (f"?{query}" if query else "")

    def _call_options(self, stream: bool = False) -> CallOptions:
        if stream and self._timeout.total is None:
            # A healthy token stream may be long: only the caller's own total bounds it.
            return self._options
        left = self.deadline - anyio.current_time()
        options = dict(self._options)
        options["timeout"] = msgspec.structs.replace(self._timeout, total=max(left, 0.001))
        return options  # type: ignore[return-value]

    async def send(
        self, method: str, url: str, body: tuple[bytes, str] | None = None, stream: bool = False
    ) -> Response:
        headers = self.headers
        data: bytes | None = None
        if body is not None:
            data, content_type = body
            headers = {**headers, "content-type": content_type}
        return await self._send(
            url, headers, data, self._call_options(stream), self.plan.model, method, stream=stream
        )

    async def read_json(self, response: Response) -> Any:
        data = await response.read(self._max_size)
        try:
            return _any_decoder.decode(data)
        except msgspec.DecodeError:
            raise DecodeError(
                f"{self.provider} answered something that is not JSON",
                status=response.status,
                model=self.plan.model,
                request_id=response.request_id,
                body=data,
            ) from None

    async def media(self, url: str) -> BinaryOutput:
        """GET a media URL the provider named: no credentials, redirects followed, size capped."""
        url = validate_url(url)
        headers = default_headers()
        for _ in range(_MAX_REDIRECTS + 1):
            response = await self._send(
                url, headers, None, self._call_options(), self.plan.model, "GET", redirects=True
            )
            location = response.headers.get("Location")
            if response.status < 300 or not location:
                data = await response.read(self._max_size)
                return BinaryOutput(data, response.media_type or sniff_content_type(data))
            response.release()
            url = validate_url(urljoin(url, location))
        raise DecodeError(f"more than {_MAX_REDIRECTS} redirects fetching {self.provider} media")

    async def as_url(self, data: Any, default_type: str) -> str:
        if isinstance(data, str) and data.startswith(("http://", "https://")):
            return data  # the provider fetches it itself
        raw = await read_binary(data, self.download)
        assert not isinstance(raw, AsyncIterable)
        media = sniff_content_type(raw)
        if media == "application/octet-stream":
            media = default_type
        return f"data:{media};base64,{b64(raw)}"

    def progress(self, update: JobProgress) -> None:
        logger.debug(
            "%s job %s: %s (queue position %s)",
            update.provider,
            update.job_id,
            update.status,
            update.queue_position,
        )
        if self._on_progress is not None:
            self._on_progress(update)

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)


async def provider_call(
    spec: tasks.TaskSpec[Any],
    exchange: ProviderExchange,
    inputs: Any,
    parameters: Mapping[str, Any] | None,
    options: CallOptions,
    hub_url: str,
) -> Any:
    """Run one non-streamed task call through its provider shape; return the task's value."""
    call = await _task_call(spec, exchange, inputs, parameters, options, hub_url)
    return finish(spec, await exchange.plan.shape.run(call, exchange), inputs, exchange.plan.model)


async def provider_stream(
    spec: tasks.TaskSpec[Any],
    exchange: ProviderExchange,
    inputs: Any,
    parameters: Mapping[str, Any] | None,
    options: CallOptions,
    hub_url: str,
) -> Response:
    """Send a streamed task call (``"stream": true``) through its provider's route; the events
    are read by the caller, with the shape's ``stream_decoder()`` when it has one."""
    check_streamable(exchange.plan, spec)
    call = await _task_call(spec, exchange, inputs, parameters, options, hub_url)
    call.parameters["stream"] = True
    shape = exchange.plan.shape
    return await exchange.send(
        "POST", exchange.url(shape.path(call)), shape.body(call), stream=True
    )


async def _task_call(
    spec: tasks.TaskSpec[Any],
    exchange: ProviderExchange,
    inputs: Any,
    parameters: Mapping[str, Any] | None,
    options: CallOptions,
    hub_url: str,
) -> Call:
    """The call a provider shape sees: binary inputs read (or made a URL), parameters checked."""
    from .providers._base import Call

    parameters = check_parameters(parameters)
    plan = exchange.plan
    shape = plan.shape
    sent = inputs
    if shape.input_url is not None and is_binary_input(inputs):
        sent = await exchange.as_url(inputs, shape.input_url)
    elif spec.input_kind is tasks.InputKind.BINARY:
        raw = await read_binary(inputs, exchange.download, media=spec.media)
        assert not isinstance(raw, AsyncIterable)
        sent = bytes(raw)
    return Call(
        task=shape.task,
        model=plan.model,
        provider_id=plan.provider_id,
        inputs=sent,
        parameters=dict(parameters or {}),
        extra=dict(options.get("extra_body") or {}),
        hub_url=hub_url,
        adapter_weights_path=plan.adapter_weights_path,
        routed=plan.routed,
    )


def finish(spec: tasks.TaskSpec[Any], result: Any, inputs: Any, model: str) -> Any:
    """A shape's answer as the task's own type (the same shaping as the serverless route)."""
    from .providers._base import Raw

    if spec.binary_output:
        if not isinstance(result, BinaryOutput):
            raise DecodeError(f"{spec.name} answer carried no media", model=model)
        return result
    try:
        if isinstance(result, Raw):
            return spec.finish(spec.decoder.decode(result.body), inputs)
        return spec.finish(msgspec.convert(result, spec.wire_type), inputs)
    except (msgspec.ValidationError, msgspec.DecodeError, IndexError, TypeError) as exc:
        raise DecodeError(f"{spec.name} answer could not be decoded: {exc}", model=model) from None


async def provider_chat(
    exchange: ProviderExchange, messages: Messages, params: Mapping[str, Any], stream: bool
) -> Response:
    """Send a chat through its provider's OpenAI-style route; the answer is read by the caller."""
    from .providers._base import Call

    plan = exchange.plan
    call = Call(
        task="conversational",
        model=plan.model,
        provider_id=plan.provider_id,
        inputs=chat_messages(messages),
        parameters=chat_params(params, stream),
        extra=dict(params.get("extra_body") or {}),
        routed=plan.routed,
    )
    url = exchange.url(plan.shape.path(call))
    return await exchange.send("POST", url, plan.shape.body(call), stream=stream)


def check_streamable(plan: Routed, spec: tasks.TaskSpec[Any]) -> None:
    if spec.stream and not plan.shape.streams:
        raise InvalidInputError(
            f"{plan.provider.name} does not stream {spec.name}; call it without streaming",
            model=plan.model,
        )
