"""Together: OpenAI-compatible chat, completions, embeddings, images and speech; video jobs
on ``/v2/videos`` (polled at ``/v2/videos/{id}``)."""

from __future__ import annotations

from typing import Any

from .._jobs import JobState
from ._base import (
    Call,
    OpenAIChat,
    OpenAICompletions,
    OpenAIEmbeddings,
    OpenAIImages,
    OpenAISpeech,
    PollJob,
    Provider,
    error_text,
    pick,
    renamed,
    schema_flattened,
)

_STEPS = {"num_inference_steps": "steps"}


def _image(call: Call) -> dict[str, Any]:
    params = renamed(call.parameters, _STEPS)
    return {"prompt": call.inputs, "response_format": "base64", **params, "model": call.provider_id}


def _image_to_image(call: Call) -> dict[str, Any]:
    params = renamed(call.parameters, _STEPS)
    prompt = params.pop("prompt", "")
    # FLUX.1 Kontext takes ``image_url``; the other image models ``reference_images``.
    lowered = call.provider_id.lower()
    field: dict[str, Any] = (
        {"image_url": call.inputs}
        if "kontext" in lowered and "flux.1" in lowered
        else {"reference_images": [call.inputs]}
    )
    return {
        "prompt": prompt,
        **field,
        "response_format": "base64",
        **params,
        "model": call.provider_id,
    }


def _video_params(call: Call) -> dict[str, Any]:
    params = renamed(call.parameters, _STEPS)
    size = params.pop("target_size", None)
    if isinstance(size, dict):
        params.update({k: size[k] for k in ("width", "height") if k in size})
    return params


def _text_to_video(call: Call) -> dict[str, Any]:
    return {"prompt": call.inputs, "model": call.provider_id, **_video_params(call)}


def _image_to_video(call: Call) -> dict[str, Any]:
    frames = [{"input_image": call.inputs, "frame": "first"}]
    return {"model": call.provider_id, "frame_images": frames, **_video_params(call)}


def _video_job(data: Any) -> tuple[str, str]:
    job_id = str(pick(data, "id"))
    return job_id, f"/v2/videos/{job_id}"


def _video_state(data: Any) -> JobState:
    status = str(data.get("status") or "queued")
    failed = status in ("failed", "cancelled")
    message = (error_text(data.get("error")) or f"status {status}") if failed else None
    return JobState(status, status == "completed", message)


def _video_url(data: Any) -> Any:
    return pick(data, "outputs", "video_url")


PROVIDER = Provider(
    "together",
    "https://api.together.xyz",
    {
        "conversational": OpenAIChat(payload=schema_flattened),
        "feature-extraction": OpenAIEmbeddings(),
        "image-to-image": OpenAIImages(
            "image-to-image", "/v1/images/generations", _image_to_image, input_url="image/jpeg"
        ),
        "image-to-video": PollJob(
            "image-to-video",
            "/v2/videos",
            _image_to_video,
            _video_url,
            job=_video_job,
            state=_video_state,
            input_url="image/png",
        ),
        "text-generation": OpenAICompletions(),
        "text-to-image": OpenAIImages("text-to-image", "/v1/images/generations", _image),
        "text-to-speech": OpenAISpeech(),
        "text-to-video": PollJob(
            "text-to-video",
            "/v2/videos",
            _text_to_video,
            _video_url,
            job=_video_job,
            state=_video_state,
        ),
    },
)
