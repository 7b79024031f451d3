"""The shared shapes of Inference Providers and the registry row type.

A :class:`Shape` says how one task travels to one provider: the route (under the call's base
URL), the JSON payload built from the call, and how the answer becomes our task's value (a
body for the task decoder, a plain value for ``msgspec.convert``, or a ``BinaryOutput``).
Provider modules are rows of data built from these few classes; a provider with a quirk
passes a small function, never a copy of a class.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import msgspec

from .._exceptions import DecodeError
from .._jobs import Exchange, JobState, get_json, release, run_job
from .._payloads import drop_none as drop_none
from .._payloads import json_body, sniff_content_type
from .._transport import Response
from ..types import BinaryOutput
from ._completions import CompletionEvents, tgi_finish_reason

if TYPE_CHECKING:
    from .._streaming import EventDecoder


class MappingEntry(msgspec.Struct, frozen=True, gc=False):
    """One provider serving a Hub model: the model's id there, the task, live or staging."""

    provider: str
    provider_id: str
    task: str
    status: str = "live"
    adapter: str | None = None
    adapter_weights_path: str | None = None


class Call(msgspec.Struct, gc=False):
    """One call as a shape sees it (binary inputs already turned into a URL or data URL)."""

    task: str
    model: str
    provider_id: str
    inputs: Any
    parameters: dict[str, Any]
    extra: dict[str, Any] = msgspec.field(default_factory=dict)  # merged into the JSON body
    hub_url: str = "https://huggingface.co"
    adapter_weights_path: str | None = None  # LoRA weights in the model's Hub repo
    routed: bool = True  # through the Hugging Face router (else straight to the provider)


Payload = Callable[[Call], dict[str, Any]]


class Raw:
    """A JSON body for the task's own decoder (chat answers decode straight into structs)."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body


class Shape:
    """How one task goes to one provider; the base sends JSON and hands the body back raw."""

    #: Binary inputs become a URL (kept) or a data URL of this default media type.
    input_url: str | None = None
    accept: str | None = None
    #: The route may be streamed (server-sent events, ``"stream": true`` in the body).
    streams = False
    #: Extra request headers this route wants (replicate's ``Prefer: wait``).
    headers: ClassVar[Mapping[str, str]] = {}
    #: The provider's direct host for this route when it is not the provider's base URL.
    direct_url: str | None = None

    def __init__(self, task: str, route: str, payload: Payload | None = None) -> None:
        self.task = task
        self.route = route
        self._payload = payload

    def path(self, call: Call) -> str:
        return self.route.format(model=call.provider_id)

    def payload(self, call: Call) -> dict[str, Any]:
        if self._payload is None:
            raise NotImplementedError(self.task)
        return self._payload(call)

    def body(self, call: Call) -> tuple[bytes, str]:
        payload = self.payload(call)
        if call.extra:
            payload.update(drop_none(call.extra))
        return json_body(payload), "application/json"

    async def answer(self, call: Call, response: Response, exchange: Exchange) -> Any:
        return Raw(await response.read())

    def stream_decoder(self) -> EventDecoder[Any] | None:
        """A fresh decoder for one stream of this route when its events are not the task's own
        stream type (completion chunks read as a TGI stream); None when they are."""
        return None

    async def run(self, call: Call, exchange: Exchange) -> Any:
        """Send the call and read its answer (job shapes override this)."""
        response = await exchange.send("POST", exchange.url(self.path(call)), self.body(call))
        return await self.answer(call, response, exchange)


# -- small helpers the payload and answer functions share ------------------------------------


def pick(data: Any, *path: str | int) -> Any:
    """``data[path[0]][path[1]]...``, or a DecodeError naming the path that was missing."""
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            where = "".join(f"[{s!r}]" for s in path)
            raise DecodeError(f"the provider's answer has no {where}") from None
    return data


def renamed(params: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Parameters without None values, some keys renamed to the provider's names."""
    return {names.get(k, k): v for k, v in drop_none(params).items()}


def with_lora(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """Add the mapping's LoRA weights (a file in the model's Hub repo) as fal expects them."""
    if call.adapter_weights_path is not None:
        path = f"{call.hub_url}/{call.model}/resolve/main/{call.adapter_weights_path}"
        payload["loras"] = [{"path": path, "scale": 1}]
    return payload


def b64_binary(text: str) -> BinaryOutput:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        data = base64.b64decode(text, validate=False)
    except ValueError:
        raise DecodeError("the provider's base64 answer is not valid base64") from None
    return BinaryOutput(data, sniff_content_type(data))


# -- OpenAI-compatible routes ----------------------------------------------------------------


def _openai_chat(call: Call) -> dict[str, Any]:
    # ``model`` first: a router may read the target from a short prefix of a long body.
    body: dict[str, Any] = {"model": call.provider_id, "messages": call.inputs}
    body.update((k, v) for k, v in call.parameters.items() if k != "model" and v is not None)
    return body


def _with_schema_format(call: Call, format_type: str) -> dict[str, Any]:
    """The chat body with a ``json_schema`` response format moved to ``{"type", "schema"}``."""
    body = _openai_chat(call)
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        if schema is not None:
            body["response_format"] = {"type": format_type, "schema": schema}
    return body


def schema_as_json_object(call: Call) -> dict[str, Any]:
    """``response_format: json_schema`` as ``{"type": "json_object", "schema": ...}``."""
    return _with_schema_format(call, "json_object")


def schema_flattened(call: Call) -> dict[str, Any]:
    """``response_format: json_schema`` with the schema one level up."""
    return _with_schema_format(call, "json_schema")


class OpenAIChat(Shape):
    """``/v1/chat/completions``: the answer decodes straight into the chat types; streams too."""

    streams = True

    def __init__(self, route: str = "/v1/chat/completions", payload: Payload | None = None):
        super().__init__("conversational", route, payload or _openai_chat)


class OpenAICompletions(Shape):
    """``/v1/completions``: a prompt in, ``choices[0].text`` out as a TextGenerationOutput;
    streamed, its chunks become TGI stream events (see ``_completions``)."""

    streams = True

    def __init__(self, route: str = "/v1/completions") -> None:
        super().__init__("text-generation", route)

    def payload(self, call: Call) -> dict[str, Any]:
        params = renamed(call.parameters, {"max_new_tokens": "max_tokens"})
        return {"prompt": call.inputs, **params, "model": call.provider_id}

    async def answer(self, call: Call, response: Response, exchange: Exchange) -> Any:
        data = await exchange.read_json(response)
        choice = pick(data, "choices", 0)
        out: dict[str, Any] = {"generated_text": pick(choice, "text")}
        tokens = (data.get("usage") or {}).get("completion_tokens")
        if choice.get("finish_reason") and tokens is not None:
            out["details"] = {
                "finish_reason": tgi_finish_reason(
                    choice["finish_reason"], choice.get("stop_reason")
                ),
                "generated_tokens": tokens,
                "seed": choice.get("seed"),
            }
        return out

    def stream_decoder(self) -> CompletionEvents:
        return CompletionEvents()


class OpenAIEmbeddings(Shape):
    """``/v1/embeddings``: one vector per input, in order."""

    def __init__(self, route: str = "/v1/embeddings") -> None:
        super().__init__("feature-extraction", route)

    def payload(self, call: Call) -> dict[str, Any]:
        return {"input": call.inputs, **drop_none(call.parameters), "model": call.provider_id}

    async def answer(self, call: Call, response: Response, exchange: Exchange) -> Any:
        data = await exchange.read_json(response)
        return [pick(item, "embedding") for item in pick(data, "data")]


class OpenAISpeech(Shape):
    """``/v1/audio/speech``: the answer is the audio itself."""

    def __init__(self, route: str = "/v1/audio/speech") -> None:
        super().__init__("text-to-speech", route)

    def payload(self, call: Call) -> dict[str, Any]:
        return {"input": call.inputs, **drop_none(call.parameters), "model": call.provider_id}

    async def answer(self, call: Call, response: Response, exchange: Exchange) -> Any:
        data = await response.read()
        return BinaryOutput(data, response.media_type or sniff_content_type(data))


class OpenAIImages(Shape):
    """``/v1/images/generations`` answered with base64 (``data[0].b64_json``)."""

    def __init__(
        self, task: str, route: str, payload: Payload, *, input_url: str | None = None
    ) -> None:
        super().__init__(task, route, payload)
        self.input_url = input_url

    async def answer(self, call: Call, response: Response, exchange: Exchange) -> Any:
        return b64_binary(pick(await exchange.read_json(response), "data", 0, "b64_json"))


class OpenAITranscription(Shape):
    """``/audio/transcriptions``: the audio as a multipart form, ``text`` (+ segments) out."""

    input_url = None

    def __init__(self, route: str) -> None:
        super().__init__("automatic-speech-recognition", route)

    def body(self, call: Call) -> tuple[bytes, str]:
        data: bytes = call.inputs
        boundary = uuid.uuid4().hex
        media = sniff_content_type(data)
        suffix = media.rpartition("/")[2] if media != "application/octet-stream" else "wav"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="audio.{suffix}"\r\nContent-Type: {media}\r\n\r\n'.encode(),
            data,
            b"\r\n",
        ]
        fields = {**drop_none(call.parameters), "model": call.provider_id}
        for name, value in fields.items():
            text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{text}\r\n".encode()
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return b"".join(parts), f"multipart/form-data; boundary={boundary}"

    async def answer(self, call: Call, response: Response, exchange: Exchange) -> Any:
        data = await exchange.read_json(response)
        out: dict[str, Any] = {"text": pick(data, "text")}
        segments = data.get("segments")
        if isinstance(segments, list):
            out["chunks"] = [
                {"text": s.get("text", ""), "timestamp": [s.get("start"), s.get("end")]}
                for s in segments
                if isinstance(s, dict)
            ]
        return out


# -- answers that name a media URL -----------------------------------------------------------

Extract = Callable[[Any], Any]


def media_at(*path: str | int) -> Extract:
    """The URL at ``path`` of the answer (fetched by :class:`MediaAnswer`)."""

    def extract(data: Any) -> Any:
        return pick(data, *path)

    return extract


class MediaAnswer(Shape):
    """A JSON answer naming a media URL (or carrying a data URL): fetched into bytes.

    ``result``: answer -> media URL, or -> a plain value for non-binary tasks (``media=False``).
    """

    def __init__(
        self,
        task: str,
        route: str,
        payload: Payload,
        result: Extract,
        *,
        input_url: str | None = None,
        media: bool = True,
    ) -> None:
        super().__init__(task, route, payload)
        self.result = result
        self.input_url = input_url
        self.media = media

    async def finish(self, data: Any, exchange: Exchange) -> Any:
        value = self.result(data)
        if not self.media:
            return value
        if not isinstance(value, str):
            raise DecodeError(f"the provider's {self.task} answer has no media URL")
        if value.startswith("data:"):
            return b64_binary(value)
        return await exchange.media(value)

    async def answer(self, call: Call, response: Response, exchange: Exchange) -> Any:
        return await self.finish(await exchange.read_json(response), exchange)


# -- jobs ------------------------------------------------------------------------------------


def error_text(value: Any) -> str | None:
    """A provider's job error: a string, or ``{"message": ...}``; None when there is none."""
    if isinstance(value, dict):
        value = value.get("message") or value.get("detail")
    return str(value) if value else None


def _fal_state(data: Any) -> JobState:
    if not isinstance(data, dict):
        raise DecodeError("fal answered a job status that is not an object")
    status = str(data.get("status", ""))
    # A failed (or cancelled) request reports COMPLETED with an ``error``.
    failure = error_text(data.get("error"))
    if failure is None and status in ("FAILED", "ERROR"):
        failure = f"status {status}"
    position = data.get("queue_position")
    return JobState(status, status == "COMPLETED", failure, position)


class FalQueue(MediaAnswer):
    """fal's queue: submit, poll ``{response_url}/status``, fetch ``response_url``.

    The URLs fal returns name ``queue.fal.run``; only their path is kept, on the call's own
    base with the submit URL's query (``?_subdomain=queue`` through the router).
    """

    async def run(self, call: Call, exchange: Exchange) -> Any:
        url = exchange.url(self.path(call))
        query = url.partition("?")[2]
        submitted = await get_json(exchange, "POST", url, self.body(call))
        job_id = str(pick(submitted, "request_id"))
        path = urlsplit(str(pick(submitted, "response_url"))).path
        cancel_path = urlsplit(str(submitted.get("cancel_url") or f"{path}/cancel")).path

        async def cancel() -> None:
            await release(await exchange.send("PUT", exchange.rebase(cancel_path, query)))

        await run_job(
            exchange,
            job_id=job_id,
            status_url=exchange.rebase(f"{path}/status", query),
            read_state=_fal_state,
            first=submitted,
            cancel=cancel,
        )
        return await self.finish(
            await get_json(exchange, "GET", exchange.rebase(path, query)), exchange
        )


def _prediction_state(data: Any) -> JobState:
    if not isinstance(data, dict):
        raise DecodeError("replicate answered a prediction that is not an object")
    status = str(data.get("status", ""))
    failed = status in ("failed", "canceled")
    message = (error_text(data.get("error")) or f"status {status}") if failed else None
    # Under ``Prefer: wait`` replicate answers "processing" with the output already there
    # (recorded traffic): the output is what counts.
    done = status == "succeeded" or (not failed and data.get("output") is not None)
    return JobState(status, done, message)


def first_output(data: Any) -> Any:
    """A prediction's ``output``: a URL, or the first of a list."""
    output = pick(data, "output")
    return output[0] if isinstance(output, list) and output else output


class Prediction(MediaAnswer):
    """Replicate predictions: ``Prefer: wait`` on submit, then poll ``urls.get`` if not done."""

    async def run(self, call: Call, exchange: Exchange) -> Any:
        url = exchange.url(self.path(call))
        submitted = await get_json(exchange, "POST", url, self.body(call))
        job_id = str(pick(submitted, "id"))
        urls = submitted.get("urls") or {}
        poll = exchange.rebase(urls.get("get") or f"/v1/predictions/{job_id}")
        cancel_url = exchange.rebase(urls.get("cancel") or f"/v1/predictions/{job_id}/cancel")

        async def cancel() -> None:
            await release(await exchange.send("POST", cancel_url))

        done = await run_job(
            exchange,
            job_id=job_id,
            status_url=poll,
            read_state=_prediction_state,
            first=submitted,
            cancel=cancel,
        )
        return await self.finish(done, exchange)


class PollJob(MediaAnswer):
    """Submit, then GET a result URL until done (wavespeed, together video, zai images).

    ``job``: submit answer -> (job id, poll path or provider URL, rebased onto the call's
    base). ``state``: poll answer -> JobState.
    Providers without a cancel route get none: polling simply stops.
    """

    def __init__(
        self,
        task: str,
        route: str,
        payload: Payload,
        result: Extract,
        *,
        job: Callable[[Any], tuple[str, str]],
        state: Callable[[Any], JobState],
        input_url: str | None = None,
    ) -> None:
        super().__init__(task, route, payload, result, input_url=input_url)
        self.job = job
        self.state = state

    async def run(self, call: Call, exchange: Exchange) -> Any:
        url = exchange.url(self.path(call))
        submitted = await get_json(exchange, "POST", url, self.body(call))
        job_id, poll = self.job(submitted)
        done = await run_job(
            exchange,
            job_id=job_id,
            status_url=exchange.rebase(poll),
            read_state=self.state,
            first=submitted,
        )
        return await self.finish(done, exchange)


class Provider(msgspec.Struct, frozen=True, gc=False):
    """One registry row: name, direct base URL, tasks and how its own key is sent.

    ``key_scheme``: the Authorization scheme for the provider's own key (fal: ``Key``).
    ``routed``: reachable through the Hugging Face router (openai is direct-only).
    ``mapped``: model ids are Hub ids mapped by the Hub (openai takes its own ids as they are).
    """

    name: str
    base_url: str
    tasks: Mapping[str, Shape]
    key_scheme: str = "Bearer"
    routed: bool = True
    mapped: bool = True
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
