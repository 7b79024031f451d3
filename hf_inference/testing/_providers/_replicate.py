"""replicate: predictions (``POST /v1/models/{owner}/{name}/predictions`` or, for a pinned
``owner/name:version``, ``POST /v1/predictions`` with ``version``).

Facts: the body is ``{"input": {...}, "version"?}`` and any other top-level key is a 422;
the answer is 201 with the prediction: ``status`` starting / processing / succeeded /
failed / canceled, ``output`` (a URL, a list of URLs, or a transcription object) once
succeeded, ``error`` once failed, ``urls.get`` / ``urls.cancel`` on ``api.replicate.com``.
``Prefer: wait`` holds the answer until the prediction finishes (``Preference-Applied``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._base import ApiError
from ._call import Call, Handler, timestamp
from ._jobs import Done, Failed, Job, Queued, Running
from ._results import IMAGE_TASKS, Result

__all__ = ["SHAPES"]

_ALLOWED = frozenset({"input", "version", "webhook", "webhook_events_filter", "stream"})
_STATUS = {Queued: "starting", Running: "processing", Done: "succeeded", Failed: "failed"}


def _invalid(description: str) -> ApiError:
    return ApiError(
        422,
        {
            "detail": f"- {description}\n",
            "status": 422,
            "title": "Input validation failed",
            "invalid_fields": [{"type": "invalid", "field": "", "description": description}],
        },
    )


def _output(result: Result) -> Any:
    if result.task == "automatic-speech-recognition":
        segments = [
            {"id": i, "start": c["timestamp"][0], "end": c["timestamp"][1], "text": c["text"]}
            for i, c in enumerate(result.chunks)
        ]
        return {
            "transcription": result.text,
            "segments": segments,
            "translation": None,
            "txt_file": None,
            "detected_language": "english",
        }
    assert result.media is not None
    return [result.media.url] if result.task in IMAGE_TASKS else result.media.url


def _prediction(call: Call, job: Job) -> dict[str, Any]:
    produced, inputs, version = job.result
    state = job.state
    status = "canceled" if job.cancelled else _STATUS[type(state)]
    base = f"{call.own_origin}/v1/predictions/{job.id}"
    answer: dict[str, Any] = {
        "id": job.id,
        "model": job.model.split(":")[0],
        "version": version,
        "input": inputs,
        "logs": "",
        "output": _output(produced) if status == "succeeded" else None,
        "data_removed": False,
        "error": state.message if status == "failed" and isinstance(state, Failed) else None,
        "status": status,
        "created_at": timestamp(),
        "urls": {"cancel": base + "/cancel", "get": base},
    }
    if status in ("succeeded", "failed", "canceled"):
        answer["completed_at"] = timestamp()
        answer["metrics"] = {"predict_time": 0.42}
    return answer


async def create(call: Call) -> web.StreamResponse:
    body = call.body
    extra = sorted(set(body) - _ALLOWED)
    if extra:
        raise _invalid(f"Additional property {extra[0]} is not allowed")
    inputs = body.get("input")
    if not isinstance(inputs, dict):
        raise _invalid("input is required")
    model = call.model if "model" in call.params else None
    version = body.get("version")
    if model is None:
        if not isinstance(version, str):
            raise _invalid("version is required")
        model = call.model_for_version(version) or f"unknown/model:{version}"
    task = call.task(model, inputs)
    audio = inputs.get("audio")
    audio = audio.split(",", 1)[1] if isinstance(audio, str) and audio.startswith("data:") else None
    produced = call.produce(task, inputs, audio=audio)
    pinned = model.split(":", 1)[1] if ":" in model else f"dp-{produced.seed:08x}"
    job = call.book.submit(
        call.host.name, call.host.provider, model, task, (produced, inputs, version or pinned)
    )
    prefer = call.headers.get("Prefer", "")
    headers = {}
    if prefer.startswith("wait") and job.plan.honour_wait:
        job.wait()
        headers["Preference-Applied"] = "wait=60"
    return call.answer(_prediction(call, job), 201, **headers)


async def get(call: Call) -> web.StreamResponse:
    job = call.job()
    phase = job.poll()
    if not isinstance(phase, (Queued, Running, Done, Failed)):
        return await call.play(phase)
    return call.answer(_prediction(call, job))


async def cancel(call: Call) -> web.StreamResponse:
    job = call.job()
    call.book.cancel(job)
    return call.answer(_prediction(call, job))


SHAPES: dict[str, Handler] = {
    "replicate-create": create,
    "replicate-get": get,
    "replicate-cancel": cancel,
}
