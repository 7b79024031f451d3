"""fal-ai: ``fal.run/{model}`` answers at once, ``queue.fal.run/{model}`` runs a job.

Queue facts: the submit answers ``{"request_id", "status", "status_url", "response_url",
"cancel_url", "queue_position"}``; the URLs name the *app* (the model id's first two
segments: ``fal-ai/wan`` for ``fal-ai/wan/v2.1/1.3b/text-to-video``), not the model, and
point at ``queue.fal.run``; the status is ``IN_QUEUE`` (with ``queue_position``),
``IN_PROGRESS`` or ``COMPLETED`` (with ``error`` when the job failed); the result is the
same JSON the synchronous route answers.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from ._call import Call, Handler
from ._jobs import Done, Failed, Job, Queued, Running
from ._results import AUDIO_TASKS, IMAGE_TASKS, VIDEO_TASKS, Result

__all__ = ["SHAPES"]

_REQUIRED = {
    "automatic-speech-recognition": "audio_url",
    "text-to-speech": "text",
    "audio-to-audio": "audio_url",
    "image-to-image": "image_url",
    "image-text-to-image": "image_url",
    "image-to-video": "image_url",
    "image-text-to-video": "image_url",
    "image-segmentation": "image_url",
}


def _file(result: Result) -> dict[str, Any]:
    media = result.media
    assert media is not None
    return {
        "url": media.url,
        "content_type": media.content_type,
        "file_name": media.file_name,
        "file_size": len(media.data),
    }


def output(result: Result, body: dict[str, Any]) -> dict[str, Any]:
    """The JSON fal answers for a finished call of ``result.task``."""
    task = result.task
    if task == "automatic-speech-recognition":
        return {"text": result.text, "chunks": result.chunks}
    if task in AUDIO_TASKS:
        return {"audio": _file(result)}
    if task in VIDEO_TASKS:
        return {"video": _file(result), "seed": result.seed}
    image = _file(result)
    assert result.media is not None
    image.update(width=result.media.width, height=result.media.height)
    if task == "image-segmentation":
        if body.get("sync_mode"):
            data = base64.b64encode(result.media.data).decode()
            image["url"] = f"data:image/png;base64,{data}"
        return {"image": image}
    assert task in IMAGE_TASKS
    return {
        "images": [image],
        "timings": {"inference": 0.35},
        "seed": result.seed,
        "has_nsfw_concepts": [False],
        "prompt": body.get("prompt", ""),
    }


def _run(call: Call) -> tuple[str, dict[str, Any], Result]:
    model, body = call.model, call.body
    task = call.task(model, body)
    call.field(_REQUIRED.get(task, "prompt"))
    audio = body.get("audio_url")
    audio = audio.split(",", 1)[1] if isinstance(audio, str) and audio.startswith("data:") else None
    return model, body, call.produce(task, body, audio=audio)


async def run(call: Call) -> web.StreamResponse:
    _, body, result = _run(call)
    return call.answer(output(result, body))


def _app(model: str) -> str:
    return "/".join(model.split("/")[:2])


def _urls(call: Call, job: Job) -> dict[str, str]:
    base = f"{call.own_origin}/{_app(job.model)}/requests/{job.id}"
    return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}


def _status(call: Call, job: Job) -> dict[str, Any]:
    state, urls = job.state, _urls(call, job)
    if job.cancelled:
        return {"status": "COMPLETED", "error": "Request was cancelled", **urls}
    if isinstance(state, Queued):
        return {"status": "IN_QUEUE", "queue_position": state.position, **urls}
    if isinstance(state, Running):
        return {"status": "IN_PROGRESS", "logs": None, **urls}
    answer: dict[str, Any] = {
        "status": "COMPLETED",
        "logs": None,
        "metrics": {"inference_time": 0.42},
    }
    if isinstance(state, Failed):
        answer.update(error=state.message, error_type="runtime_error")
    return {**answer, **urls}


async def submit(call: Call) -> web.StreamResponse:
    model, body, result = _run(call)
    job = call.book.submit(call.host.name, call.host.provider, model, result.task, (result, body))
    return call.answer({"request_id": job.id, **_status(call, job)})


def _own_job(call: Call) -> Job:
    job = call.job()
    if _app(job.model) != call.params["app"]:
        raise call.error(404, f"request {job.id} not found for app {call.params['app']}")
    return job


async def status(call: Call) -> web.StreamResponse:
    job = _own_job(call)
    phase = job.poll()
    if not isinstance(phase, (Queued, Running, Done, Failed)):
        return await call.play(phase)
    return call.answer(_status(call, job))


async def result(call: Call) -> web.StreamResponse:
    job = _own_job(call)
    state = job.state
    if job.cancelled:
        raise call.error(400, "Request was cancelled")
    if isinstance(state, Failed):
        raise call.error(500, state.message)
    if not isinstance(state, Done):
        raise call.error(400, "Request is still in progress")
    produced, body = job.result
    return call.answer(output(produced, body))


async def cancel(call: Call) -> web.StreamResponse:
    job = _own_job(call)
    if call.book.cancel(job):
        return call.answer({"status": "CANCELLATION_REQUESTED"}, 202)
    return call.answer({"status": "ALREADY_COMPLETED"}, 400)


SHAPES: dict[str, Handler] = {
    "fal-run": run,
    "fal-submit": submit,
    "fal-status": status,
    "fal-result": result,
    "fal-cancel": cancel,
}
