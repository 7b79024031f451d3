"""Inputs -> request body: JSON, raw bytes with a content type, or JSON with base64 inputs.

Binary inputs may be bytes-like, a path, an open binary file, an async iterable of bytes, an
http(s) URL or a PIL image. Files and images are read in a worker thread and URLs are fetched
by the caller's download function, so nothing blocks the event loop.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import anyio.to_thread
import msgspec

from ._exceptions import InvalidInputError

Downloader = Callable[[str], Awaitable[bytes]]

_encoder = msgspec.json.Encoder()

# Magic numbers of the media the API accepts; the first match wins.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
    (0, b"\xff\xf2", "audio/mpeg"),
    (0, b"\x1aE\xdf\xa3", "audio/webm"),
    (0, b"%PDF", "application/pdf"),
)


def sniff_content_type(data: bytes | bytearray | memoryview) -> str:
    """Content type from the first bytes; ``application/octet-stream`` when unknown."""
    head = bytes(data[:16])
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    for offset, magic, content_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    return "application/octet-stream"


def _is_pil_image(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("PIL.") and hasattr(value, "save")


# Modes PNG stores as they are; colour modes it cannot (CMYK, YCbCr, LAB, HSV...) are
# converted to RGB(A), which loses nothing the model would see.
_PNG_MODES = frozenset({"1", "L", "LA", "I;16", "I;16B", "P", "RGB", "RGBA"})
# Modes whose values have no fixed range: a silent conversion could make them all black.
_AMBIGUOUS_MODES = frozenset({"F", "I", "I;16L", "I;16N", "I;32", "I;32B", "I;32L"})


def _pil_to_png(image: Any) -> bytes:
    import io

    mode = getattr(image, "mode", "")
    if mode in _AMBIGUOUS_MODES:
        raise InvalidInputError(
            f"a PIL image in mode {mode!r} (numbers of no fixed range) cannot be sent as an "
            "image: scale it to 0-255 and convert it first, e.g. image.convert('L') or "
            "image.convert('RGB')"
        )
    buffer = io.BytesIO()
    try:
        if mode and mode not in _PNG_MODES:
            alpha = "LA" if mode == "La" else "RGBA"
            image = image.convert(alpha if mode.endswith(("A", "a")) else "RGB")
        image.save(buffer, format="PNG")
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInputError(
            f"this PIL image (mode {mode!r}) cannot be encoded as PNG ({type(exc).__name__}): "
            "convert it first, e.g. image.convert('RGB')"
        ) from None
    return buffer.getvalue()


def is_binary_input(value: Any) -> bool:
    """True for every form of binary data a task accepts (a str counts only as URL or path)."""
    if isinstance(value, bytes | bytearray | memoryview | os.PathLike):
        return True
    if isinstance(value, str):
        return value.startswith(("http://", "https://")) or _looks_like_path(value)
    return hasattr(value, "read") or hasattr(value, "__aiter__") or _is_pil_image(value)


def _looks_like_path(value: str) -> bool:
    return len(value) < 4096 and "\n" not in value and Path(value).suffix != ""


async def read_binary(
    data: Any, download: Downloader, *, allow_stream: bool = False, media: str = "image"
) -> bytes | bytearray | memoryview | AsyncIterable[bytes]:
    """Load binary input without blocking the loop; async iterables pass through if allowed.

    ``media``: what the task takes, ``"image"`` or ``"audio"`` (a PIL image is refused there).
    """
    if media != "image" and _is_pil_image(data):
        raise InvalidInputError(
            f"a PIL image was given to a task that takes {media}: pass {media} bytes, a path, "
            "an open binary file or an http(s) URL"
        )
    if isinstance(data, bytes | bytearray | memoryview):
        return data
    if isinstance(data, str) and data.startswith(("http://", "https://")):
        return await download(data)
    if isinstance(data, str | os.PathLike):
        path = anyio.Path(os.fspath(data))
        try:
            return await path.read_bytes()
        except FileNotFoundError:
            raise InvalidInputError(f"input file not found: {os.fspath(data)!r}") from None
        except IsADirectoryError:
            raise InvalidInputError(f"input path is a directory: {os.fspath(data)!r}") from None
    if hasattr(data, "__aiter__"):
        if allow_stream:
            stream: AsyncIterable[bytes] = data
            return stream
        return b"".join([bytes(chunk) async for chunk in data])
    if _is_pil_image(data):
        return await anyio.to_thread.run_sync(_pil_to_png, data)
    if hasattr(data, "read"):
        content = await anyio.to_thread.run_sync(data.read)
        if not isinstance(content, bytes | bytearray):
            raise InvalidInputError("file inputs must be opened in binary mode ('rb')")
        return content
    raise InvalidInputError(
        f"unsupported binary input of type {type(data).__name__}: pass bytes, a path, "
        "an open binary file, an async iterable of bytes, an http(s) URL or a PIL image"
    )


def b64(data: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(data).decode("ascii")


def drop_none(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if v is not None}


def json_body(payload: Mapping[str, Any]) -> bytes:
    try:
        return _encoder.encode(payload)
    except (TypeError, msgspec.EncodeError) as exc:
        raise InvalidInputError(f"inputs or parameters are not JSON-serialisable: {exc}") from None


def check_parameters(parameters: Any) -> Mapping[str, Any] | None:
    """``parameters`` if it is a mapping (or None); a clear error for a list or anything else."""
    if parameters is None or isinstance(parameters, Mapping):
        return parameters
    raise InvalidInputError(
        f"parameters must be a mapping of parameter names to values, not a "
        f"{type(parameters).__name__}: e.g. parameters={{'max_new_tokens': 20}}"
    )


def inputs_payload(
    inputs: Any, parameters: Mapping[str, Any] | None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``{"inputs": ..., "parameters": {...}, **extra}`` without None values."""
    payload: dict[str, Any] = {"inputs": inputs}
    if check_parameters(parameters):
        params = drop_none(parameters)
        if params:
            payload["parameters"] = params
    if extra:
        payload.update(drop_none(extra))
    return payload
