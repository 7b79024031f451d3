"""fal: synchronous routes on fal.run, queue jobs on queue.fal.run.

Speech recognition, text-to-image and text-to-speech answer at once with a media URL; video,
image-to-image and segmentation go through the queue. fal's own key is sent as ``Key <key>``.
"""

from __future__ import annotations

import base64
from typing import Any

from .._jobs import Exchange
from ._base import Call, FalQueue, MediaAnswer, Provider, drop_none, media_at, pick, with_lora

QUEUE_URL = "https://queue.fal.run"


class _Queued(FalQueue):
    direct_url = QUEUE_URL

    def path(self, call: Call) -> str:
        # Through the router the queue host is chosen by a query parameter.
        return f"/{call.provider_id}" + ("?_subdomain=queue" if call.routed else "")


class _Segmentation(_Queued):
    async def finish(self, data: Any, exchange: Exchange) -> Any:
        url = pick(data, "image", "url")
        if isinstance(url, str) and url.startswith("data:"):
            mask = url.partition(",")[2]
        else:
            mask = base64.b64encode((await exchange.media(str(url))).data).decode("ascii")
        return [{"label": "mask", "mask": mask, "score": None}]


def _asr(call: Call) -> dict[str, Any]:
    return {"audio_url": call.inputs, **drop_none(call.parameters)}


def _text(data: Any) -> dict[str, Any]:
    return {"text": pick(data, "text")}


def _image(call: Call) -> dict[str, Any]:
    payload: dict[str, Any] = {"prompt": call.inputs, **drop_none(call.parameters)}
    if "width" in payload and "height" in payload:
        payload["image_size"] = {"width": payload.pop("width"), "height": payload.pop("height")}
    return with_lora(call, payload)


def _speech(call: Call) -> dict[str, Any]:
    return {"text": call.inputs, **drop_none(call.parameters)}


def _video(call: Call) -> dict[str, Any]:
    return with_lora(call, {"prompt": call.inputs, **drop_none(call.parameters)})


def _image_input(call: Call) -> dict[str, Any]:
    return with_lora(call, {"image_url": call.inputs, **drop_none(call.parameters)})


def _image_to_image(call: Call) -> dict[str, Any]:
    params = drop_none(call.parameters)
    if "target_size" in params:
        params["image_size"] = params.pop("target_size")
    payload = {"image_url": call.inputs, "image_urls": [call.inputs], **params}
    return with_lora(call, payload)


def _segmentation(call: Call) -> dict[str, Any]:
    return {"image_url": call.inputs, **drop_none(call.parameters), "sync_mode": True}


_ROUTE = "/{model}"
PROVIDER = Provider(
    "fal-ai",
    "https://fal.run",
    {
        "automatic-speech-recognition": MediaAnswer(
            "automatic-speech-recognition",
            _ROUTE,
            _asr,
            _text,
            input_url="audio/mpeg",
            media=False,
        ),
        "text-to-image": MediaAnswer("text-to-image", _ROUTE, _image, media_at("images", 0, "url")),
        "text-to-speech": MediaAnswer("text-to-speech", _ROUTE, _speech, media_at("audio", "url")),
        "text-to-video": _Queued("text-to-video", _ROUTE, _video, media_at("video", "url")),
        "image-to-video": _Queued(
            "image-to-video",
            _ROUTE,
            _image_input,
            media_at("video", "url"),
            input_url="image/jpeg",
        ),
        "image-to-image": _Queued(
            "image-to-image",
            _ROUTE,
            _image_to_image,
            media_at("images", 0, "url"),
            input_url="image/jpeg",
        ),
        "image-segmentation": _Segmentation(
            "image-segmentation", _ROUTE, _segmentation, media_at("image"), input_url="image/png"
        ),
    },
    key_scheme="Key",
)
