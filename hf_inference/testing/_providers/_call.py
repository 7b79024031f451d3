"""One provider request as a shape handler sees it, and the helpers every handler shares."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .._base import JSON, ApiError, b64, encode
from .._faults import Step
from ._jobs import Job, JobBook
from ._results import Result, produce
from ._table import Host, Row

__all__ = ["Call", "Handler"]

_VIDEO_WORDS = ("video", "t2v", "i2v", "wan", "ltx", "hunyuan", "kling", "veo", "seedance")
_SPEECH_WORDS = ("tts", "kokoro", "speech", "voice")
_SEGMENT_WORDS = ("segment", "rmbg", "background", "birefnet", "sam")


@dataclass
class Call:
    host: Host
    row: Row
    params: dict[str, str]  # from the route pattern: model, app, job
    query: Mapping[str, str]
    headers: Mapping[str, str]
    json: Any
    raw: bytes | None
    media_type: str
    response_headers: dict[str, str]
    own_origin: str  # where URLs in job answers point for this host
    media_origin: str
    book: JobBook
    mapped_task: Callable[[str], str | None]  # provider model id -> task in the mapping table
    model_for_version: Callable[[str], str | None]  # replicate version -> "owner/name:version"
    provider_id_for: Callable[[str], str | None]  # Hub model id -> this provider's id for it
    broken_media: bool
    chat: Callable[[str, Any], Awaitable[web.StreamResponse]]
    events: Callable[[list[bytes], bytes], Awaitable[web.StreamResponse]]
    play: Callable[[Step], Awaitable[web.StreamResponse]]

    # -- the request ---------------------------------------------------------------------

    @property
    def body(self) -> dict[str, Any]:
        """The JSON object body; a 422 in the provider's style when it is something else."""
        if not isinstance(self.json, dict):
            raise self.error(422, "the request body must be a JSON object")
        return self.json

    def field(self, name: str) -> str:
        """A required string field of the body; a 422 naming it when it is missing."""
        value = self.body.get(name)
        if not isinstance(value, str):
            what = "missing" if value is None else f"a {type(value).__name__}"
            raise self.error(422, f"field `{name}` is required ({what} was sent)")
        return value

    @property
    def model(self) -> str:
        """The provider's model id; a Hub id this provider knows under another name is a 404,
        as the provider would answer a client that forgot to map it."""
        model: str = self.params.get("model") or self.field("model")
        own = self.provider_id_for(model)
        if own is not None and own != model:
            raise self.error(
                404,
                f"model `{model}` does not exist on {self.host.provider}; its id there is `{own}`",
            )
        return model

    def task(self, model: str, body: dict[str, Any]) -> str:
        """The row's task, else the mapping table's, else a guess from the body and name."""
        return self.row.task or self.mapped_task(model) or guess_task(model, body)

    def job(self) -> Job:
        job = self.book.jobs.get(self.params.get("job") or self.query.get("task_id", ""))
        if job is None or job.host != self.host.name:
            raise self.error(404, f"request {self.params.get('job', '')} not found")
        return job

    # -- answers -------------------------------------------------------------------------

    def error(self, status: int, message: str) -> ApiError:
        if self.host.error_style == "detail":
            return ApiError(status, {"detail": message})
        return ApiError(
            status, {"error": {"message": message, "type": "invalid_request_error", "code": None}}
        )

    def answer(self, body: Any, status: int = 200, **headers: str) -> web.Response:
        return web.Response(
            status=status,
            body=encode(body),
            headers={**self.response_headers, **headers, "Content-Type": JSON},
        )

    def binary(self, data: bytes, content_type: str) -> web.Response:
        return web.Response(
            body=data, headers={**self.response_headers, "Content-Type": content_type}
        )

    def produce(self, task: str, body: dict[str, Any], *, audio: Any = None) -> Result:
        image_size = body.get("image_size")
        size: dict[str, Any] = image_size if isinstance(image_size, dict) else body
        width, height = size.get("width"), size.get("height")
        if isinstance(body.get("size"), str) and "x" in body["size"]:
            w, _, h = body["size"].partition("x")
            width, height = (int(w), int(h)) if w.isdigit() and h.isdigit() else (None, None)
        return produce(
            task,
            encode(body),
            origin=self.media_origin,
            audio=b64(audio) if isinstance(audio, str) else None,
            width=width,
            height=height,
            missing=self.broken_media,
        )


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


def guess_task(model: str, body: dict[str, Any]) -> str:
    """A provider model route's task when the mapping table does not name it."""
    name = model.lower()
    video = any(word in name for word in _VIDEO_WORDS)
    nested = body.get("input")
    inputs: dict[str, Any] = nested if isinstance(nested, dict) else body
    if "audio_url" in inputs or isinstance(inputs.get("audio"), str):
        return "automatic-speech-recognition"
    if any(k in inputs for k in ("image_url", "image", "images", "input_image", "frame_images")):
        if video:
            return "image-to-video"
        return "image-segmentation" if any(w in name for w in _SEGMENT_WORDS) else "image-to-image"
    if ("text" in inputs and "prompt" not in inputs) or any(w in name for w in _SPEECH_WORDS):
        return "text-to-speech"
    return "text-to-video" if video else "text-to-image"


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
