"""Helpers of the conformance suite: load the recorded exchanges and turn each into a call.

Each recording (``/work/shared/conformance/*.json``, see the README there) holds one real
request/response pair. A :class:`Case` knows how to replay its response on the local server;
:func:`plan_call` decides which client method re-creates the request and what the client
should send; :func:`assert_wire_equal` compares a typed output with the recorded JSON, and
:func:`check_expected` evaluates the machine-checkable part of a case's ``expected`` block.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import msgspec

from hf_inference import _tasks
from hf_inference.testing import Reply

ENV_VAR = "HF_INFERENCE_CONFORMANCE_DIR"


def conformance_dir() -> Path | None:
    """The recorded corpus: ``$HF_INFERENCE_CONFORMANCE_DIR``, else ``shared/conformance``
    beside the checkout, else the workplace's ``/work/shared/conformance`` (a clean clone in
    another folder still finds it)."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        candidates = [Path(configured)]
    else:
        candidates = [
            Path(__file__).resolve().parents[2] / "shared" / "conformance",
            Path("/work/shared/conformance"),
        ]
    return next((c for c in candidates if c.is_dir()), None)


def load_cases(directory: Path) -> list[Case]:
    files = sorted(directory.glob("*.json")) + sorted(directory.glob("tgi_snapshots/*.json"))
    return [
        Case(path.relative_to(directory).with_suffix("").as_posix(), json.loads(path.read_text()))
        for path in files
    ]


# -- the recorded exchange ------------------------------------------------------------------

SSE = "text/event-stream"
AUDIO_TASKS = frozenset({"audio-classification", "automatic-speech-recognition", "audio-to-audio"})
IMAGE_TASKS = frozenset(
    {
        "image-classification",
        "object-detection",
        "image-segmentation",
        "image-to-text",
        "zero-shot-image-classification",
        "image-to-image",
    }
)
BINARY_TASKS = AUDIO_TASKS | IMAGE_TASKS
IMAGE_IN_DICT_TASKS = frozenset({"visual-question-answering", "document-question-answering"})
BINARY_OUTPUT_TASKS = frozenset({"text-to-image", "text-to-speech", "image-to-image"})
PIPELINE_TASKS = frozenset({"feature-extraction", "sentence-similarity"})
#: Keys of old request bodies that are not inputs (``options`` became headers, ``model`` was
#: a JS client habit, a top-level ``stream`` is the client's own business).
ENVELOPE_KEYS = frozenset({"parameters", "options", "model", "stream"})
#: The task an error recording's client was calling, by the model of the recorded path.
ERROR_MODEL_TASKS: Mapping[str, str] = {
    "google/vit-base-patch16-224": "image-classification",
    "speechbrain/sepformer-wham": "audio-to-audio",
    "sentence-transformers/paraphrase-xlm-r-multilingual-v1": "sentence-similarity",
    "google/tapas-base-finetuned-wtq": "table-question-answering",
    "stabilityai/stable-diffusion-2": "text-to-image",
    "google/flan-t5-large": "text-generation",
    "gpt2": "text-generation",
    "openai-community/gpt2": "text-generation",
    "google/flan-t5-xxl": "text-generation",
    "meta-llama/Llama-2-7b-hf": "text-generation",
    "meta-llama/Llama-3.2-3B": "text-generation",
    "OpenAssistant/oasst-sft-4-pythia-12b-epoch-3.5": "text-generation",
    "this-model-does-not-exist-123": "fill-mask",
    "this-model/does-not-exist-123": "fill-mask",
    "facebook/detr-resnet-50": "object-detection",
    "naver-clova-ix/donut-base-finetuned-docvqa": "document-question-answering",
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english": "text-classification",
    "deepset/roberta-base-squad2": "question-answering",
}
#: Stand-ins for request bodies the recorders did not keep (binary uploads, aiohttp cassettes).
DEFAULT_MESSAGES = [{"role": "user", "content": "What is deep learning?"}]
DEFAULT_PROMPT = "test"
DEFAULT_QUESTION = "What is in the picture?"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FLAC_MAGIC = b"fLaC\x00\x00\x00\x22"
_REDACTED = re.compile(r"<omitted base64: \d+ chars, (\d+) decoded bytes, sha256 [0-9a-f]+>")
_MAGIC_TYPES = (
    (PNG_SIGNATURE, "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"fLaC", "audio/flac"),
)


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def magic_media_type(data: bytes) -> str:
    return next((kind for magic, kind in _MAGIC_TYPES if data.startswith(magic)), "")


def padded(head: bytes, size: int) -> bytes:
    """Synthetic upload: a real file signature, then zeros up to the recorded size."""
    return head + bytes(max(0, size - len(head)))


def sse_blocks(body: bytes) -> list[bytes]:
    """The body cut after each blank line, one event per chunk, as a server writes them."""
    blocks = [block + b"\n\n" for block in body.split(b"\n\n")]
    blocks[-1] = blocks[-1][:-2]
    blocks = [block for block in blocks if block]
    assert b"".join(blocks) == body
    return blocks


def sse_payloads(body: bytes) -> list[Any]:
    """The JSON data of each event (``data:`` with or without a space), ``[DONE]`` excluded."""
    payloads = []
    for block in body.decode("utf-8").split("\n\n"):
        lines = [line[5:] for line in block.split("\n") if line.startswith("data:")]
        if not lines:
            continue
        data = "\n".join(line[1:] if line.startswith(" ") else line for line in lines)
        if data.strip() != "[DONE]":
            payloads.append(json.loads(data))
    return payloads


@dataclass
class Case:
    """One recorded exchange and what can be derived from it."""

    name: str
    data: dict[str, Any]

    def __repr__(self) -> str:
        return f"<Case {self.name}>"

    @property
    def task(self) -> str:
        return str(self.data["task"])

    @property
    def request(self) -> dict[str, Any]:
        return dict(self.data["request"])

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.data["response"])

    @property
    def expected(self) -> Any:
        return self.data.get("expected")

    @property
    def snapshot(self) -> bool:
        """A TGI snapshot: parsed objects, not wire bytes (``wire_exact: false``)."""
        return self.data.get("wire_exact") is False

    @property
    def status(self) -> int:
        return int(self.response["status"])

    @property
    def content_type(self) -> str:
        return str(self.response.get("content_type") or "")

    @property
    def is_sse(self) -> bool:
        return media_type(self.content_type) == SSE

    @cached_property
    def body(self) -> bytes:
        """The exact response body; a snapshot's objects are serialised as TGI 3.x would."""
        response = self.response
        if "body_b64" in response:
            return base64.b64decode(response["body_b64"])
        if isinstance(response.get("body"), str):
            return str(response["body"]).encode("utf-8")
        if "events" in response:
            events = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in response["events"]]
            # TGI 3.x ends chat streams with [DONE]; the snapshot only kept the parsed chunks.
            return b"".join(events) + b"data: [DONE]\n\n"
        if "json" in response:
            return json.dumps(response["json"]).encode()
        raise AssertionError(f"{self.name}: no response body")

    @property
    def wire_json(self) -> Any:
        return json.loads(self.body)

    def reply(self, chunk_size: int | None = None) -> Reply:
        """The recorded answer for the local server: status, headers, type and bytes.

        An event stream is written one event per chunk, or in ``chunk_size`` pieces that cut
        through events and lines as TCP may.
        """
        response = self.response
        # The recorded type is passed as content_type, and the body is already decoded, so
        # transport headers were left out of ``headers`` by the corpus itself.
        headers = {
            name.lower(): value
            for name, value in dict(response.get("headers") or {}).items()
            if name.lower() != "content-type"
        }
        chunks = None
        if chunk_size is not None:
            chunks = [self.body[i : i + chunk_size] for i in range(0, len(self.body), chunk_size)]
        elif self.is_sse:
            chunks = sse_blocks(self.body)
        return Reply(
            status=self.status,
            body=self.body,
            headers=headers,
            content_type=self.content_type,
            chunks=chunks,
        )

    @property
    def request_id(self) -> str | None:
        """The id the client should report: the first of the headers it knows, in order."""
        headers = {k.lower(): v for k, v in dict(self.response.get("headers") or {}).items()}
        return next(
            (
                headers[h]
                for h in ("x-request-id", "x-amzn-trace-id", "x-amz-cf-id")
                if h in headers
            ),
            None,
        )

    @cached_property
    def request_json(self) -> dict[str, Any] | None:
        """The recorded JSON body with redacted base64 replaced by same-sized synthetic data."""
        request = self.request
        body = request.get("json")
        if body is None and isinstance(request.get("body"), str):
            try:
                body = json.loads(request["body"])
            except ValueError:
                return None
        if not isinstance(body, dict):
            return None
        return _unredact(body, self.task_family)

    @property
    def request_raw(self) -> bytes | None:
        """The raw upload, or synthetic bytes with the recorded head when it was omitted."""
        request = self.request
        if request.get("body_b64"):
            return base64.b64decode(request["body_b64"])
        omitted = request.get("body_omitted")
        if omitted:
            return padded(base64.b64decode(omitted["head_b64"]), int(omitted["bytes"]))
        return None

    @property
    def task_family(self) -> str:
        """The task the recording belongs to; for errors, implied by path, body and model."""
        if self.task != "error":
            return self.task
        path = self.request["path"]
        if path.endswith("/v1/chat/completions"):
            return "chat-completion"
        pipeline = re.search(r"/pipeline/([^/]+)/", path)
        if pipeline:
            return pipeline.group(1)
        return ERROR_MODEL_TASKS[self.path_model or ""]

    @property
    def provider(self) -> str | None:
        """The third-party provider of a ``/<provider>/.../chat/completions`` recording."""
        first = self.request["path"].strip("/").split("/")[0]
        known = {"models", "pipeline", "hf-inference", "api", "v1"}
        return None if first in known else first

    @property
    def path_model(self) -> str | None:
        """The model id of the recorded path (router and api-inference routes alike)."""
        parts = [p for p in self.request["path"].split("/") if p]
        if parts[:2] == ["api", "inference-proxy"]:
            parts = parts[2:]
        if parts[:1] == ["hf-inference"]:
            parts = parts[1:]
        if parts[:1] == ["models"]:
            rest = parts[1:]
            if rest[-3:] == ["v1", "chat", "completions"]:
                rest = rest[:-3]
            elif len(rest) >= 3 and rest[-2] == "pipeline":
                rest = rest[:-2]
            return "/".join(rest)
        if parts[:1] == ["pipeline"]:
            return "/".join(parts[2:])
        return None


def _unredact(body: dict[str, Any], task: str) -> dict[str, Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            match = _REDACTED.fullmatch(value)
            if match:
                head = FLAC_MAGIC if task in AUDIO_TASKS else PNG_SIGNATURE
                return base64.b64encode(padded(head, int(match.group(1)))).decode()
            return value
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    result: dict[str, Any] = fill(body)
    return result


def _b64_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str) or len(value) < 16:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def drop_none(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if v is not None}


# -- the call that re-creates a recorded request ---------------------------------------------


@dataclass
class Plan:
    """Which client method to call, with what, and what the client should then send."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    stream: bool
    script_key: str
    model: str | None  # the model id the client reports on errors
    path: str  # expected request path on the local server
    endpoint: str | None = None  # call through client.endpoint(server.endpoint_url(name))
    sent_json: dict[str, Any] | None = None  # the exact JSON body the client should send
    sent_raw: bytes | None = None  # or the exact raw upload
    sent_media_type: str = "application/json"
    sent_headers: dict[str, str] = field(default_factory=dict)
    inputs: Any = None  # what shapes the output (a batch gives a list)
    #: The recorded argument, when the client must refuse it before sending anything.
    rejected: tuple[Any, ...] | None = None


def plan_call(case: Case) -> Plan:
    task = case.task_family
    if task == "chat-completion":
        return _plan_chat(case)
    return _plan_task(case, task)


def _legacy_options(body: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Old ``options`` in the body are per-call options now, sent as headers."""
    options = (body or {}).get("options")
    kwargs: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(options, dict):
        if options.get("wait_for_model") is True:
            kwargs["wait_for_model"] = True
            headers["x-wait-for-model"] = "true"
        if options.get("use_cache") is False:
            kwargs["use_cache"] = False
            headers["x-use-cache"] = "false"
    return kwargs, headers


def _plan_task(case: Case, task: str) -> Plan:
    model = case.path_model
    assert model, f"{case.name}: no model in {case.request['path']}"
    body = case.request_json
    stream = case.is_sse or bool(body and body.get("stream") is True)
    method = task.replace("-", "_") + ("_stream" if stream else "")
    if body is not None:
        inputs: Any = (
            body["inputs"]
            if "inputs" in body
            else {k: v for k, v in body.items() if k not in ENVELOPE_KEYS}
        )
        parameters = body.get("parameters")
    else:
        inputs, parameters = _synthetic_inputs(case, task)
    raw = case.request_raw
    options, headers = _legacy_options(body)

    # What travels as JSON on the wire is decoded back to the bytes the caller would pass.
    call_inputs = inputs
    if raw is not None:
        call_inputs = raw
    elif task in BINARY_TASKS and isinstance(inputs, str):
        decoded = _b64_bytes(inputs)
        assert decoded is not None, f"{case.name}: inputs are not base64"
        call_inputs = decoded
    elif task in IMAGE_IN_DICT_TASKS and isinstance(inputs, dict):
        image = _b64_bytes(inputs.get("image"))
        if image is not None:
            call_inputs = {**inputs, "image": image}

    kwargs: dict[str, Any] = {"model": model, **options}
    if parameters is not None:
        kwargs["parameters"] = parameters
    params = drop_none(parameters)
    sent_json: dict[str, Any] | None = None
    sent_raw: bytes | None = None
    sent_media = "application/json"
    if isinstance(call_inputs, bytes) and not params:
        sent_raw = call_inputs
        sent_media = magic_media_type(call_inputs)
    else:
        sent_json = {"inputs": inputs}
        if params:
            sent_json["parameters"] = params
        if stream:
            sent_json["stream"] = True
    recorded_headers = {k.lower(): v for k, v in dict(case.request.get("headers") or {}).items()}
    if recorded_headers.get("accept") == "image/png":
        headers["accept"] = "image/png"
    suffix = f"/pipeline/{task}" if task in PIPELINE_TASKS else ""
    return Plan(
        method=method,
        args=(call_inputs,),
        kwargs=kwargs,
        stream=stream,
        script_key=model,
        model=model,
        path=f"/hf-inference/models/{model}{suffix}",
        sent_json=sent_json,
        sent_raw=sent_raw,
        sent_media_type=sent_media,
        sent_headers=headers,
        inputs=inputs,
    )


def _synthetic_inputs(case: Case, task: str) -> tuple[Any, dict[str, Any] | None]:
    """Inputs for a recording whose request body was not stored."""
    expected = case.expected if isinstance(case.expected, dict) else {}
    call = expected.get("call") if isinstance(expected.get("call"), dict) else None
    if task == "text-generation":
        if call is None:
            return DEFAULT_PROMPT, None
        params = {k: v for k, v in call.items() if k not in ("model", "prompt", "stream")}
        return call.get("prompt", DEFAULT_PROMPT), params or None
    if task in AUDIO_TASKS:
        return base64.b64encode(padded(FLAC_MAGIC, 4096)).decode(), None
    image = base64.b64encode(padded(PNG_SIGNATURE, 4096)).decode()
    if task == "zero-shot-image-classification":
        # The labels the server scored are the candidates the caller sent.
        labels = [item["label"] for item in case.wire_json]
        return image, {"candidate_labels": labels}
    if task in IMAGE_TASKS:
        return image, None
    if task in IMAGE_IN_DICT_TASKS:
        return {"question": DEFAULT_QUESTION, "image": image}, None
    raise AssertionError(f"{case.name}: no request body and no stand-in for {task}")


def _plan_chat(case: Case) -> Plan:
    body = case.request_json
    call = case.data.get("call") if case.snapshot else None
    stream = case.is_sse or bool(body and body.get("stream") is True)
    stream = stream or bool(call and call.get("stream"))
    source: dict[str, Any] = dict(body or call or {})
    messages: Any = source.get("messages", DEFAULT_MESSAGES if body is None else [])
    params = {
        k: v
        for k, v in source.items()
        if k not in ("model", "messages", "stream", "options", "client") and v is not None
    }
    # The snapshot describes its tools in words; they cannot be sent as data.
    if case.snapshot:
        params.pop("tools", None)
    rejected = None
    if not isinstance(messages, list):
        rejected = (messages,)
        messages = [{"role": "user", "content": messages}]
    method = "chat_completion_stream" if stream else "chat_completion"
    sent: dict[str, Any] = {"messages": messages, **params}
    endpoint = None
    call_model: str | None
    if case.snapshot:
        # Recorded against a TGI server (base_url=<tgi>/v1): a dedicated endpoint here.
        endpoint = "tgi"
        call_model, key, sent_model = None, "tgi", "tgi"
        path = f"/endpoints/{endpoint}/v1/chat/completions"
    elif case.provider is not None:
        # Provider routes are keyed by the body's model on the router's /v1/chat/completions.
        key = str(source["model"])
        call_model = sent_model = f"{key}:{case.provider}"
        path = "/v1/chat/completions"
    else:
        key = case.path_model or ""
        call_model = sent_model = key
        path = f"/hf-inference/models/{key}/v1/chat/completions"
    sent = {"model": sent_model, **sent}
    if stream:
        sent["stream"] = True
    # Keys chat does not name (a recorded client's own, e.g. return_full_text) are refused as
    # keywords; they travel in extra_body, which puts them at the body's top level as sent.
    named = _tasks.CHAT_COMPLETION.parameter_names
    kwargs: dict[str, Any] = {k: v for k, v in params.items() if k in named}
    extra = {k: v for k, v in params.items() if k not in named}
    if extra:
        kwargs["extra_body"] = extra
    if call_model is not None:
        kwargs["model"] = call_model
    return Plan(
        method=method,
        args=(messages,),
        kwargs=kwargs,
        stream=stream,
        script_key=key,
        model=call_model,
        path=path,
        endpoint=endpoint,
        sent_json=sent,
        inputs=messages,
        rejected=rejected,
    )


# -- the recorded body as the client's natural output ----------------------------------------


def _zero_shot(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"label": label, "score": score}
        for label, score in zip(item["labels"], item["scores"], strict=True)
    ]


def natural_output(task: str, wire: Any, inputs: Any) -> Any:
    """The documented envelope -> return value step, applied to the recorded JSON."""
    batch = isinstance(inputs, list)
    if task in (
        "text-generation",
        "summarization",
        "translation",
        "image-to-text",
        "automatic-speech-recognition",
    ):
        return wire[0] if isinstance(wire, list) and not batch else wire
    if task == "text-classification":
        nested = isinstance(wire, list) and wire and isinstance(wire[0], list)
        return wire[0] if nested and not batch else wire
    if task == "zero-shot-classification":
        if isinstance(wire, dict):
            return _zero_shot(wire)
        results = [_zero_shot(item) for item in wire]
        return results if batch else results[0]
    if task == "document-question-answering" and isinstance(wire, dict):
        return [wire]
    return wire


def _default_of(info: msgspec.structs.FieldInfo) -> Any:
    if info.default_factory is not msgspec.NODEFAULT:
        return info.default_factory()
    return info.default


def assert_wire_equal(wire: Any, actual: Any, where: str = "$") -> None:
    """``actual`` equals the recorded JSON as data, on the keys its struct types declare.

    Keys the wire lacks must hold the field's default; keys the struct does not declare are
    ignored (providers add their own).
    """
    if isinstance(actual, msgspec.Struct):
        assert isinstance(wire, dict), f"{where}: recorded {wire!r}, got {actual!r}"
        for info in msgspec.structs.fields(actual):
            value = getattr(actual, info.name)
            if info.encode_name in wire:
                assert_wire_equal(wire[info.encode_name], value, f"{where}.{info.encode_name}")
            else:
                default = _default_of(info)
                assert default is not msgspec.NODEFAULT, f"{where}: no {info.encode_name!r}"
                assert value == default, f"{where}.{info.encode_name}: absent, got {value!r}"
        return
    if isinstance(actual, list):
        if isinstance(wire, dict) and where.endswith(".tool_calls"):
            wire = [wire]  # TGI 2.0 sent a lone tool call object; the client wraps it
        assert isinstance(wire, list), f"{where}: recorded {wire!r}, got a list"
        assert len(wire) == len(actual), f"{where}: {len(wire)} items recorded, {len(actual)}"
        for i, (w, a) in enumerate(zip(wire, actual, strict=True)):
            assert_wire_equal(w, a, f"{where}[{i}]")
        return
    if isinstance(actual, dict):
        assert isinstance(wire, dict), f"{where}: recorded {wire!r}, got {actual!r}"
        assert set(wire) == set(actual), f"{where}: keys {set(wire)} != {set(actual)}"
        for key in wire:
            assert_wire_equal(wire[key], actual[key], f"{where}.{key}")
        return
    assert type(wire) is type(actual) or {type(wire), type(actual)} <= {int, float}, (
        f"{where}: recorded {wire!r} ({type(wire).__name__}), got {actual!r}"
    )
    assert wire == actual, f"{where}: recorded {wire!r}, got {actual!r}"


# -- the machine-checkable part of an ``expected`` block --------------------------------------


class Unresolvable(Exception):
    """An expected-block key that is prose, not a path into the output."""


_TYPES: Mapping[str, tuple[type, ...]] = {
    "float": (float,),
    "number": (int, float),
    "int": (int,),
    "str": (str,),
    "string": (str,),
    "bool": (bool,),
    "boolean": (bool,),
}
_SEGMENT = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]")
#: Top-level keys that describe what a peer client did, or prose; checked elsewhere or not
#: at all.
_PROSE = frozenset(
    {"type", "call", "warning", "client_should", "client_behaviour", "contains_item", "details"}
)


class Root:
    """Names an ``expected`` block may start with, then the output's own fields."""

    def __init__(self, output: Any, names: Mapping[str, Callable[[], Any]] | None = None) -> None:
        self.output = output
        self.names = dict(names or {})

    def __getitem__(self, name: str) -> Any:
        if name in self.names:
            return self.names[name]()
        return _step(self.output, name)

    def __repr__(self) -> str:
        return repr(self.output)


def _step(value: Any, name: str) -> Any:
    if isinstance(value, (Root, Mapping)):
        return value[name]
    if isinstance(value, msgspec.Struct):
        return value[name]  # type: ignore[index]
    return getattr(value, name)


def _segments(path: str) -> list[tuple[str | None, str | None]]:
    segments, pos = [], 0
    for match in _SEGMENT.finditer(path):
        if match.start() != pos or (pos == 0 and match.group(0).startswith(".")):
            raise Unresolvable(path)
        segments.append((match.group(1), match.group(2)))
        pos = match.end()
    if not segments or pos != len(path):
        raise Unresolvable(path)
    return segments


def resolve(root: Any, path: str) -> Any:
    """Follow ``a.b[0].c`` from ``root``; Unresolvable if the first name is not there."""
    value = root
    for i, (name, index) in enumerate(_segments(path)):
        try:
            value = value[int(index)] if index is not None else _step(value, str(name))
        except (KeyError, AttributeError, TypeError, IndexError) as exc:
            if i == 0:
                raise Unresolvable(path) from None
            raise AssertionError(f"{path}: no {name or index} in {value!r}") from exc
    return value


def _unwrap(value: Any) -> Any:
    return value.output if isinstance(value, Root) else value


def check_value(expected: Any, actual: Any, where: str) -> None:
    """Compare with the conventions of the ``expected`` blocks (type names, "not null"...)."""
    if isinstance(expected, str):
        if expected in _TYPES:
            types = _TYPES[expected]
            ok = isinstance(actual, types) and not (isinstance(actual, bool) and bool not in types)
            assert ok, f"{where}: expected a {expected}, got {actual!r}"
            return
        if expected == "not null":
            assert actual is not None, f"{where}: expected a value, got null"
            return
        if expected == "< now":
            assert actual < time.time(), f"{where}: {actual!r} is not in the past"
            return
        if expected.startswith("> "):
            assert actual > float(expected[2:]), f"{where}: {actual!r} is not {expected}"
            return
    if isinstance(expected, Mapping):
        assert actual is not None, f"{where}: expected {expected!r}, got null"
        for key, value in expected.items():
            _evaluate(key, value, actual, f"{where}.{key}", top=False)
        return
    actual = _unwrap(actual)
    if isinstance(expected, list) and isinstance(actual, msgspec.Struct):
        for name in expected:  # a list of field names the item must have
            resolve(actual, name)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        assert len(expected) == len(actual), f"{where}: {len(actual)} items, {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            check_value(e, a, f"{where}[{i}]")
        return
    assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def _shape(value: Any) -> list[int]:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return shape


Subsets = Mapping[str, Callable[[], Sequence[Any]]]
Specials = Mapping[str, Callable[[Any], None]]


def check_expected(
    expected: Any, root: Root, subsets: Subsets | None = None, specials: Specials | None = None
) -> list[str]:
    """Evaluate each key of ``expected`` against ``root``; return the keys that were checked.

    ``subsets`` maps a prefix (``every_chunk``) to the items its key applies to; ``specials``
    maps a whole key to its own check. Prose keys are skipped.
    """
    if not isinstance(expected, Mapping):
        check_value(expected, root.output, "$")
        return ["$"]
    return [
        key
        for key, value in expected.items()
        if _evaluate(key, value, root, key, top=True, subsets=subsets, specials=specials)
    ]


def _evaluate(
    key: str,
    value: Any,
    root: Any,
    where: str,
    *,
    top: bool,
    subsets: Subsets | None = None,
    specials: Specials | None = None,
) -> bool:
    """Check one key; False if it is prose (top level only; nested keys must resolve)."""
    if specials and key in specials:
        specials[key](value)
        return True
    if top and key in _PROSE:
        return False
    prefix, _, rest = key.partition(".")
    if subsets and (key in subsets or (rest and prefix in subsets)):
        for i, item in enumerate(subsets[key if key in subsets else prefix]()):
            if key in subsets:
                check_value(value, item, f"{where}[{i}]")
            else:
                _evaluate(rest, value, item, f"{prefix}[{i}].{rest}", top=False)
        return True
    try:
        if key in ("each_item_has", "items_have", "len", "shape"):
            output = _unwrap(root)
            if key in ("each_item_has", "items_have"):
                for i, item in enumerate(output):
                    check_value(value, item, f"{where}[{i}]")
            elif key == "len":
                check_value(value, len(output), where)
            elif not isinstance(value, list):
                return False  # a shape described in words
            else:
                assert _shape(output) == value, f"{where}: {_shape(output)} != {value}"
        elif key.startswith("len(") and key.endswith(")"):
            check_value(value, len(resolve(root, key[4:-1])), where)
        elif key.startswith("json.loads(") and key.endswith(")"):
            actual = json.loads(resolve(root, key[11:-1]))
            assert actual == value, f"{where}: {actual!r} != {value!r}"
        elif key.endswith("_contains"):
            actual = resolve(root, key[: -len("_contains")])
            assert value in actual, f"{where}: {value!r} not in {actual!r}"
        else:
            check_value(value, resolve(root, key), where)
    except Unresolvable:
        if top:
            return False
        raise AssertionError(f"{where}: not found in {root!r}") from None
    return True


def tokens_in_order(texts: Sequence[str], wanted: Sequence[str]) -> bool:
    remaining = iter(t.strip() for t in texts)
    return all(any(w == t for t in remaining) for w in wanted)


def chat_content(chunks: Sequence[Any]) -> str:
    return "".join(c.delta.content or "" for chunk in chunks for c in chunk.choices)


def joined_deltas(chunks: Sequence[Any], path: str) -> str:
    """``path`` (under ``choices[0]``) of every chunk that has it, joined."""
    parts = []
    for chunk in chunks:
        if chunk.choices:
            value = resolve(chunk.choices[0], path)
            if value is not None:
                parts.append(str(value))
    return "".join(parts)
