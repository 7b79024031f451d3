"""Jobs polled at a URL the client builds or is given: wavespeed, together videos, zai-org
images, novita videos. One submit shape and one poll shape each; the phase names differ.

Facts:
- wavespeed: ``POST /api/v3/{model}`` -> ``{"code": 200, "message": "success", "data":
  {"id", "status": created|processing|completed|failed, "outputs": [url], "urls": {"get":
  ".../api/v3/predictions/{id}/result"}, "error"}}``; the same envelope at ``urls.get``.
- together: ``POST /v2/videos`` -> ``{"id", "object": "video", "status":
  queued|in_progress|completed|failed, "outputs": {"video_url"}, "error": {"message"}}``;
  poll ``GET /v2/videos/{id}``.
- zai-org: ``POST /api/paas/v4/async/images/generations`` -> ``{"id", "task_status":
  PROCESSING|SUCCESS|FAIL}``; poll ``GET /api/paas/v4/async-result/{id}``, ``image_result``.
- novita: ``POST /v3/async/{model}`` -> ``{"task_id"}``; poll ``GET
  /v3/async/task-result?task_id=`` -> ``{"task": {"status": TASK_STATUS_QUEUED|..._PROCESSING|
  ..._SUCCEED|..._FAILED, "reason"}, "videos": [{"video_url"}]}``; ``POST /v3/hf/{model}``
  answers ``{"video": {"video_url"}}`` at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ._call import Call, Handler, timestamp
from ._jobs import Done, Failed, Job, JobPhase, Queued, Running
from ._results import Result

__all__ = ["SHAPES"]

Render = Callable[[Call, Job], Any]


def _url(result: Result) -> str:
    assert result.media is not None
    return result.media.url


def _names(queued: str, running: str, done: str, failed: str) -> Callable[[JobPhase], str]:
    table = {Queued: queued, Running: running, Done: done, Failed: failed}
    return lambda phase: table[type(phase)]


def _message(job: Job) -> str:
    return job.state.message if isinstance(job.state, Failed) else ""


_wavespeed_status = _names("created", "processing", "completed", "failed")


def _wavespeed(call: Call, job: Job) -> Any:
    done = isinstance(job.state, Done)
    data = {
        "id": job.id,
        "model": job.model,
        "outputs": [_url(job.result)] if done else [],
        "urls": {"get": f"{call.own_origin}/api/v3/predictions/{job.id}/result"},
        "has_nsfw_contents": [False] if done else [],
        "status": _wavespeed_status(job.state),
        "created_at": timestamp(),
        "error": _message(job),
        "timings": {"inference": 4200 if done else 0},
    }
    return {"code": 200, "message": "success", "data": data}


_together_status = _names("queued", "in_progress", "completed", "failed")


def _together(call: Call, job: Job) -> Any:
    answer: dict[str, Any] = {
        "id": job.id,
        "object": "video",
        "model": job.model,
        "status": _together_status(job.state),
        "created_at": int(time.time()),
    }
    if isinstance(job.state, Done):
        answer["outputs"] = {"video_url": _url(job.result), "cost": 0.1}
    if isinstance(job.state, Failed):
        answer["error"] = {"message": job.state.message, "code": "generation_failed"}
    return answer


_zai_status = _names("PROCESSING", "PROCESSING", "SUCCESS", "FAIL")


def _zai(call: Call, job: Job) -> Any:
    answer: dict[str, Any] = {
        "id": job.id,
        "request_id": f"req-{job.id[:8]}",
        "model": job.model,
        "task_status": _zai_status(job.state),
    }
    if isinstance(job.state, Done):
        answer["image_result"] = [{"url": _url(job.result)}]
    if isinstance(job.state, Failed):
        answer["error"] = {"code": "1301", "message": job.state.message}
    return answer


_novita_status = _names(
    "TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"
)


def _novita_video(result: Result) -> dict[str, Any]:
    return {"video_url": _url(result), "video_url_ttl": "3600", "video_type": "mp4"}


def _novita(call: Call, job: Job) -> Any:
    state = job.state
    progress = (
        100 if isinstance(state, Done) else state.progress if isinstance(state, Running) else 0
    )
    return {
        "extra": {"seed": str(job.result.seed)},
        "task": {
            "task_id": job.id,
            "task_type": "TXT_TO_VIDEO",
            "status": _novita_status(state),
            "reason": _message(job),
            "eta": 0,
            "progress_percent": progress,
        },
        "images": [],
        "videos": [_novita_video(job.result)] if isinstance(state, Done) else [],
        "audios": [],
    }


def _submitter(render: Render, first: Render | None = None) -> Handler:
    """The submit route; ``first`` renders its answer when it differs from a poll's."""

    async def submit(call: Call) -> web.StreamResponse:
        model, body = call.model, call.body
        task = "image-to-video" if "frame_images" in body else call.task(model, body)
        if task.startswith("text-to-"):
            call.field("prompt")
        result = call.produce(task, body)
        job = call.book.submit(call.host.name, call.host.provider, model, task, result)
        return call.answer((first or render)(call, job))

    return submit


def _poller(render: Render) -> Handler:
    async def poll(call: Call) -> web.StreamResponse:
        job = call.job()
        phase = job.poll()
        if not isinstance(phase, (Queued, Running, Done, Failed)):
            return await call.play(phase)
        return call.answer(render(call, job))

    return poll


async def novita_run(call: Call) -> web.StreamResponse:
    call.field("prompt")
    result = call.produce("text-to-video", {"model": call.model, **call.body})
    return call.answer({"video": _novita_video(result)})


SHAPES: dict[str, Handler] = {
    "wavespeed-submit": _submitter(_wavespeed),
    "wavespeed-result": _poller(_wavespeed),
    "together-video-create": _submitter(_together),
    "together-video-get": _poller(_together),
    "zai-submit": _submitter(_zai),
    "zai-result": _poller(_zai),
    "novita-submit": _submitter(_novita, lambda call, job: {"task_id": job.id}),
    "novita-result": _poller(_novita),
    "novita-run": novita_run,
}
