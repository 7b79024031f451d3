"""Shared pieces of the local server: error answers, the parsed request, deterministic numbers."""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from typing import Any

import msgspec

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
SSE = "text/event-stream"

encode = msgspec.json.Encoder().encode
_decoder = msgspec.json.Decoder()


def decode(data: bytes) -> Any:
    return _decoder.decode(data)


class ApiError(Exception):
    """An error answer; raised by any task function, turned into a response by the server.

    ``in_band`` marks TGI validation errors: a streaming request gets them as a 200 event
    stream holding one error event, as TGI does, instead of an error status.
    """

    def __init__(
        self,
        status: int,
        body: Any,
        *,
        content_type: str = JSON,
        headers: dict[str, str] | None = None,
        in_band: bool = False,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}
        self.in_band = in_band


def bad_request(message: Any, **extra: Any) -> ApiError:
    return ApiError(400, {"error": message, **extra})


def field_required(name: str) -> ApiError:
    return ApiError(400, {"error": [f"Error in `{name}`: field required"]})


def deserialize_error(detail: str) -> ApiError:
    """The plain-text 422 that TGI (axum) sends for a body it cannot deserialize."""
    return ApiError(
        422,
        f"Failed to deserialize the JSON body into the target type: {detail}",
        content_type=TEXT,
    )


def validation_error(message: str) -> ApiError:
    return ApiError(
        422,
        {"error": f"Input validation error: {message}", "error_type": "validation"},
        in_band=True,
    )


@dataclass(frozen=True)
class Binary:
    """A binary answer (image, audio) with its content type."""

    data: bytes
    content_type: str


@dataclass
class TaskInput:
    """One request as the task functions see it: a decoded JSON body or a raw upload."""

    model: str
    task: str
    json: Any
    raw: bytes | None
    content_type: str
    accept: str

    @property
    def params(self) -> dict[str, Any]:
        if isinstance(self.json, dict):
            params = self.json.get("parameters")
            if isinstance(params, dict):
                return params
        return {}

    @property
    def inputs(self) -> Any:
        """``inputs``, or the body itself for the old flat shapes (``{"question", ...}``)."""
        body = self.json
        if isinstance(body, dict):
            if "inputs" in body:
                return body["inputs"]
            flat = {k: v for k, v in body.items() if k not in _ENVELOPE_KEYS}
            return flat or None
        return body

    def text(self) -> str:
        inputs = self.inputs
        if isinstance(inputs, str):
            return inputs
        if inputs is None:
            raise field_required("inputs")
        raise bad_request([f"Error in `inputs`: expected a string, got {_kind(inputs)}"])

    def texts(self) -> list[str]:
        """Text inputs that may be batched: a string or a list of strings."""
        inputs = self.inputs
        if isinstance(inputs, list) and inputs and all(isinstance(i, str) for i in inputs):
            return inputs
        return [self.text()]

    def binary(self, key: str = "image", *, what: str = "image") -> bytes:
        """The upload: the raw body, or base64 in ``inputs``, ``inputs[key]`` or ``body[key]``."""
        if self.raw is not None:
            data = self.raw
        else:
            inputs = self.inputs
            value = inputs.get(key) if isinstance(inputs, dict) else inputs
            data = b64(value) if isinstance(value, str) else b""
        if not data:
            if what == "audio":
                raise bad_request("Malformed soundfile")
            raise bad_request([f"Error in `inputs`: Invalid {what}: {self.inputs!r}"])
        return data


_ENVELOPE_KEYS = frozenset({"parameters", "options", "model", "stream"})


def _kind(value: Any) -> str:
    return type(value).__name__


def b64(value: str) -> bytes:
    """Decode base64 (or a data: URL); b"" when it is not base64."""
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""


def digest(*parts: object) -> int:
    """A stable 32-bit hash of the parts (``hash()`` is salted per process)."""
    data = "\x00".join(p if isinstance(p, str) else repr(p) for p in parts)
    return zlib.crc32(data.encode("utf-8", "surrogatepass"))


def unit(h: int, i: int = 0) -> float:
    """A deterministic float in (0, 1) from a hash and an index."""
    x = (h ^ (i * 0x9E3779B1)) & 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    return (x + 0.5) / 4294967296.0


def ranked(labels: list[str], h: int, *, total: float = 1.0) -> list[tuple[str, float]]:
    """Scores for labels, sorted best first, summing to ``total`` (softmax-like)."""
    weights = [unit(h, i) ** 3 + 1e-6 for i in range(len(labels))]
    norm = sum(weights) or 1.0
    pairs = [(label, w / norm * total) for label, w in zip(labels, weights, strict=True)]
    pairs.sort(key=lambda p: -p[1])
    return pairs


def int_param(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request([f"Error in `parameters.{name}`: expected an integer"])
    return int(value)
