"""WaveSpeed: submit to ``/api/v3/{model}``, poll the result URL it returns (``data.urls.get``)."""

from __future__ import annotations

from typing import Any

from .._jobs import JobState
from ._base import Call, PollJob, Provider, drop_none, error_text, pick


def _prompt(call: Call) -> dict[str, Any]:
    return {"prompt": call.inputs, **drop_none(call.parameters)}


def _image(call: Call) -> dict[str, Any]:
    return {"image": call.inputs, **drop_none(call.parameters)}


def _job(data: Any) -> tuple[str, str]:
    return str(pick(data, "data", "id")), str(pick(data, "data", "urls", "get"))


def _state(data: Any) -> JobState:
    result = data.get("data") or {}
    status = str(result.get("status", ""))
    failed = status == "failed"
    message = (error_text(result.get("error")) or "no error message") if failed else None
    return JobState(status, status == "completed", message)


def _output(data: Any) -> Any:
    return pick(data, "data", "outputs", 0)


def _shape(task: str, payload: Any, input_url: str | None = None) -> PollJob:
    return PollJob(
        task, "/api/v3/{model}", payload, _output, job=_job, state=_state, input_url=input_url
    )


PROVIDER = Provider(
    "wavespeed",
    "https://api.wavespeed.ai",
    {
        "text-to-image": _shape("text-to-image", _prompt),
        "text-to-video": _shape("text-to-video", _prompt),
        "image-to-image": _shape("image-to-image", _image, "image/jpeg"),
        "image-to-video": _shape("image-to-video", _image, "image/jpeg"),
    },
)
