"""Z.ai: OpenAI-compatible chat under ``/api/paas/v4``; images as an async job polled at
``/api/paas/v4/async-result/{id}``."""

from __future__ import annotations

from typing import Any

from .._jobs import JobState
from ._base import Call, OpenAIChat, PollJob, Provider, drop_none, error_text, pick


def _image(call: Call) -> dict[str, Any]:
    params = drop_none(call.parameters)
    payload: dict[str, Any] = {"model": call.provider_id, "prompt": call.inputs}
    if "width" in params and "height" in params:
        payload["size"] = f"{params.pop('width')}x{params.pop('height')}"
    payload.update(params)
    return payload


def _job(data: Any) -> tuple[str, str]:
    job_id = str(pick(data, "id"))
    return job_id, f"/api/paas/v4/async-result/{job_id}"


def _state(data: Any) -> JobState:
    status = str(data.get("task_status", ""))
    failed = status == "FAIL"
    message = (error_text(data.get("error")) or "generation failed") if failed else None
    return JobState(status, status == "SUCCESS", message)


PROVIDER = Provider(
    "zai-org",
    "https://api.z.ai",
    {
        "conversational": OpenAIChat("/api/paas/v4/chat/completions"),
        "text-to-image": PollJob(
            "text-to-image",
            "/api/paas/v4/async/images/generations",
            _image,
            lambda data: pick(data, "image_result", 0, "url"),
            job=_job,
            state=_state,
        ),
    },
    headers={"accept-language": "en-US,en", "x-source-channel": "hugging_face"},
)
