"""What a provider job or call produces, and the media files the server hands out by URL.

Providers answer images, audio and video as URLs on their CDN (``fal.media``,
``replicate.delivery``, ...). Here the URLs point at ``{media origin}/_media/<name>``: the
name encodes how to rebuild the file (kind, seed, size), so any server can serve any URL
without keeping state, and ``gone-`` names answer 404 (the "media URL 404" fault).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import _media
from .._base import TaskInput, digest
from .._vision import automatic_speech_recognition

__all__ = ["Media", "Result", "media_file", "produce"]

VIDEO_TASKS = frozenset({"text-to-video", "image-to-video", "image-text-to-video"})
IMAGE_TASKS = frozenset({"text-to-image", "image-to-image", "image-text-to-image"})
AUDIO_TASKS = frozenset({"text-to-speech", "text-to-audio", "audio-to-audio"})
_DEFAULT_SIDE = 64
_MAX_SIDE = 1024
_AUDIO_SAMPLES = 8000
_NAME = re.compile(r"(gone-)?([imva])([0-9a-f]{8})(?:-(\d+)x(\d+))?\.(png|mp4|wav)")
_TYPES = {"png": "image/png", "mp4": "video/mp4", "wav": "audio/wav"}


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str
    file_name: str
    data: bytes
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Result:
    """A finished call: ``media`` for image/audio/video tasks, ``text`` for speech recognition."""

    task: str
    seed: int
    media: Media | None = None
    text: str | None = None
    chunks: list[dict[str, Any]] = field(default_factory=list)


def _side(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return max(8, min(value, _MAX_SIDE))
    return _DEFAULT_SIDE


def _build(kind: str, seed: int, width: int, height: int) -> bytes:
    if kind == "i":
        return _media.png(width, height, seed)
    if kind == "m":
        return _media.mask_png(width, height, seed % 2, 2)
    if kind == "v":
        return _media.mp4(seed)
    return _media.wav(_media.tone(seed, _AUDIO_SAMPLES))


def _media_ref(origin: str, kind: str, seed: int, size: tuple[int, int], missing: bool) -> Media:
    ext = {"i": "png", "m": "png", "v": "mp4", "a": "wav"}[kind]
    sized = f"-{size[0]}x{size[1]}" if kind in "im" else ""
    name = f"{'gone-' if missing else ''}{kind}{seed & 0xFFFFFFFF:08x}{sized}.{ext}"
    data = _build(kind, seed & 0xFFFFFFFF, *size)
    width, height = size if kind in "im" else (None, None)
    return Media(f"{origin}/_media/{name}", _TYPES[ext], name, data, width, height)


def produce(
    task: str,
    key: Any,
    *,
    origin: str,
    audio: bytes | None = None,
    width: Any = None,
    height: Any = None,
    missing: bool = False,
) -> Result:
    """The deterministic result of ``task`` for the request summarised by ``key``."""
    seed = digest(task, key)
    size = (_side(width), _side(height))
    if task == "automatic-speech-recognition":
        data = audio if audio else repr(key).encode()
        request = TaskInput("", task, {"parameters": {"return_timestamps": True}}, data, "", "")
        answer = automatic_speech_recognition(request)
        return Result(task, seed, text=answer["text"], chunks=answer["chunks"])
    if task in VIDEO_TASKS:
        kind = "v"
    elif task in AUDIO_TASKS:
        kind = "a"
    elif task == "image-segmentation":
        kind = "m"
    else:
        kind = "i"
    return Result(task, seed, media=_media_ref(origin, kind, seed, size, missing))


def media_file(name: str) -> tuple[bytes, str] | None:
    """The bytes and content type behind ``/_media/<name>``; None for unknown or gone names."""
    match = _NAME.fullmatch(name)
    if match is None or match[1]:
        return None
    width, height = int(match[4] or _DEFAULT_SIDE), int(match[5] or _DEFAULT_SIDE)
    if not (8 <= width <= _MAX_SIDE and 8 <= height <= _MAX_SIDE):
        return None
    return _build(match[2], int(match[3], 16), width, height), _TYPES[match[6]]
