"""Replicate: predictions (``Prefer: wait``, then polling ``urls.get`` until done).

A provider id ``owner/name:version`` goes to ``/v1/predictions`` with the version in the body;
``owner/name`` to the model's own predictions route.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ._base import Call, Prediction, Provider, drop_none, first_output, pick


class _Prediction(Prediction):
    headers: ClassVar[Mapping[str, str]] = {"prefer": "wait"}

    def path(self, call: Call) -> str:
        if ":" in call.provider_id:
            return "/v1/predictions"
        return f"/v1/models/{call.provider_id}/predictions"


def _versioned(call: Call, inputs: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"input": {**inputs, **drop_none(call.parameters)}}
    if ":" in call.provider_id:
        payload["version"] = call.provider_id.partition(":")[2]
    return payload


def _prompt(call: Call) -> dict[str, Any]:
    return _versioned(call, {"prompt": call.inputs})


def _image(call: Call) -> dict[str, Any]:
    payload = _prompt(call)
    if call.adapter_weights_path is not None:
        payload["input"]["lora_weights"] = f"{call.hub_url}/{call.model}"
    return payload


def _speech(call: Call) -> dict[str, Any]:
    return _versioned(call, {"text": call.inputs})


def _image_to_image(call: Call) -> dict[str, Any]:
    # Replicate models name their image input differently; each ignores the others.
    url = call.inputs
    return _versioned(
        call, {"image": url, "images": [url], "input_image": url, "input_images": [url]}
    )


def _asr(call: Call) -> dict[str, Any]:
    return _versioned(call, {"audio": call.inputs})


def _transcript(data: Any) -> dict[str, Any]:
    output = first_output(data)
    if isinstance(output, str):
        return {"text": output}
    if isinstance(output, dict):
        for key in ("translation", "transcription", "text"):
            if isinstance(output.get(key), str):
                return {"text": output[key]}
    return {"text": pick(output, "text")}


_ROUTE = "/v1/predictions"
PROVIDER = Provider(
    "replicate",
    "https://api.replicate.com",
    {
        "automatic-speech-recognition": _Prediction(
            "automatic-speech-recognition",
            _ROUTE,
            _asr,
            _transcript,
            input_url="audio/wav",
            media=False,
        ),
        "image-to-image": _Prediction(
            "image-to-image", _ROUTE, _image_to_image, first_output, input_url="image/jpeg"
        ),
        "text-to-image": _Prediction("text-to-image", _ROUTE, _image, first_output),
        "text-to-speech": _Prediction("text-to-speech", _ROUTE, _speech, first_output),
        "text-to-video": _Prediction("text-to-video", _ROUTE, _prompt, first_output),
    },
)
