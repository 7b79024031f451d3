"""LocalInferenceServer: a real aiohttp server on 127.0.0.1 speaking the Inference API.

Routes (``/models/...`` and ``/hf-inference/models/...`` are the same):

* ``POST /hf-inference/models/{model}``: the model's task (see ``_routing`` for the rules);
* ``POST /hf-inference/models/{model}/pipeline/{task}``, ``POST /pipeline/{task}/{model}``;
* ``POST /hf-inference/models/{model}/v1/chat/completions``;
* ``POST /v1/chat/completions``: provider-routed chat, ``"model"`` in the body
  (``org/name:provider`` allowed);
* ``POST /v1/responses``: the Responses API (see ``_responses``);
* ``/endpoints/{name}``: a TGI-style dedicated endpoint: ``POST /`` (streams when the body
  has ``"stream": true``), ``POST /generate``, ``POST /generate_stream``,
  ``POST /v1/chat/completions``, ``GET /info``, ``GET /health``;
* the provider side (``_providers``): the Hub's ``GET /api/models/{id}`` mapping,
  ``/{provider}/{the provider's own route}`` for every routed provider, ``/_media/<name>``;
  with ``as_provider=`` the server plays one provider's own host instead of the router.

Knobs for tests and benchmarks, as ``x-test-*`` request headers or query parameters:
``x-test-token-delay`` / ``?token_delay=`` (seconds between stream events, each event its
own write), ``x-test-sse-space`` / ``?sse_space=`` (``1``: ``data: {...}``, ``0``:
``data:{...}``; the default is no space for TGI generation, a space for chat) and
``x-test-keepalive`` / ``?keepalive=N`` (a ``: keep-alive`` comment every N events).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import _chat, _generation
from ._base import JSON, SSE, TEXT, ApiError, Binary, TaskInput, decode, encode
from ._faults import Loading, Step, check_step
from ._outputs import pipeline_text_generation, run_task
from ._play import Player, StreamOptions
from ._providers import SHAPES, Call, JobPhase, Match, ProviderHost
from ._providers._jobs import Job, JobPlan
from ._providers._results import media_file
from ._responses import is_responses_path, responses_model, serve_responses
from ._routing import (
    Route,
    is_tgi,
    model_exists,
    parse_path,
    refine_task,
    task_for_body,
    task_for_model,
)

__all__ = ["LocalInferenceServer", "RecordedRequest"]

_BINARY_TYPES = ("image/", "audio/", "video/", "application/octet-stream")
_UNAUTHORIZED = "Invalid credentials in Authorization header"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the decoded JSON body, or None
    model: str | None  # model id, endpoint name, or the body's model on /v1/chat/completions
    provider: str | None = None  # the provider host that answered: "fal-ai-queue", "together"
    route: str | None = None  # "hub", "media", or the provider route's shape: "fal-status", ...
    job: str | None = None  # the job a poll, result or cancel request names


class _TrackingServer(web.Server):
    """aiohttp's protocol factory, also counting the TCP connections it holds."""

    def __init__(self, owner: LocalInferenceServer, **kwargs: Any) -> None:
        super().__init__(owner._handle, handler_cancellation=True, access_log=None, **kwargs)
        self._owner = owner

    def connection_made(self, handler: Any, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        self._owner._connection_change(handler, opened=True)

    def connection_lost(self, handler: Any, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        self._owner._connection_change(handler, opened=False)


class LocalInferenceServer:
    """The local Inference API server; see the module docstring for the routes.

    ::

        async with LocalInferenceServer() as server:
            client = AsyncInferenceClient(base_url=server.base_url)
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        token_delay: float = 0.0,
        as_provider: str | None = None,
        queue_host: str | None = None,
        media_host: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.token_delay = token_delay
        self.requests: list[RecordedRequest] = []
        self.total_connections = 0
        self._scripts: dict[str, deque[Step]] = {}
        self._always: dict[str, Step] = {}
        self._connections: set[object] = set()
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.ServerRunner | None = None
        self._player = Player(self._closing)
        self._providers = ProviderHost(
            as_provider=as_provider, queue_host=queue_host, media_host=media_host
        )
        self._waiters: list[tuple[Callable[[RecordedRequest], bool], asyncio.Future[Any]]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the server is already started")
        # Fresh events: asyncio objects belong to the loop that first waits on them.
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._player = Player(self._closing)
        runner = web.ServerRunner(_TrackingServer(self), shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = site.port

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        # Stalled and paced handlers watch this event and end at once, so cleanup is quick.
        self._closing.set()
        await runner.cleanup()

    async def __aenter__(self) -> LocalInferenceServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the server is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/hf-inference"

    @property
    def router_url(self) -> str:
        return self.url + "/v1"

    def endpoint_url(self, name: str = "tgi") -> str:
        return f"{self.url}/endpoints/{name}"

    # -- connections -----------------------------------------------------------------------

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def _connection_change(self, handler: object, *, opened: bool) -> None:
        if opened:
            self._connections.add(handler)
            self.total_connections += 1
        else:
            self._connections.discard(handler)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_connections(self, n: int, timeout: float = 5.0) -> None:
        """Return once exactly ``n`` connections are open; TimeoutError after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._connections) != n:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"{len(self._connections)} connections open, waited {timeout}s for {n}"
                )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # -- scripts ---------------------------------------------------------------------------

    def script(self, model: str, *steps: Step) -> None:
        """Queue answers for a model or endpoint name; each request consumes one."""
        for step in steps:
            check_step(step)
        self._scripts.setdefault(model, deque()).extend(steps)

    def script_always(self, model: str, step: Step) -> None:
        """Answer every request for the model with ``step`` (after any queued steps)."""
        check_step(step)
        self._always[model] = step

    def clear(self) -> None:
        """Forget recorded requests, every script, job plan and broken media, and the Hub
        lookup counts (model mappings stay)."""
        self.requests.clear()
        self._scripts.clear()
        self._always.clear()
        self._providers.clear()

    # -- providers -------------------------------------------------------------------------

    @property
    def as_provider(self) -> str | None:
        """The provider host this server plays (``"fal-ai"``, ...), or None for the router."""
        return self._providers.as_provider

    @property
    def hub_lookups(self) -> Counter[str]:
        """Hub mapping lookups (``GET /api/models/{id}``) received, per model id."""
        return self._providers.hub_lookups

    @property
    def cancelled_jobs(self) -> list[str]:
        """Ids of the jobs a cancel request named, in order."""
        return self._providers.book.cancelled

    @property
    def jobs(self) -> Mapping[str, Job]:
        """Every job submitted, by id (``polls``, ``state``, ``cancelled``, ``model``)."""
        return self._providers.book.jobs

    def map_model(
        self,
        model_id: str,
        entries: Sequence[Mapping[str, Any]],
        *,
        legacy_dict: bool = False,
    ) -> None:
        """What the Hub answers for ``model_id``: provider entries in preference order.

        Each entry: ``provider``, ``providerId``, ``task``, optional ``status`` (default
        ``live``), ``adapter``, ``adapterWeightsPath``, ``type``. ``legacy_dict`` answers the
        old form, a dict keyed by provider. ``entries=[]`` is a model no provider serves.
        """
        self._providers.map_model(model_id, entries, legacy_dict=legacy_dict)

    def job_plan(self, key: str, *phases: JobPhase | Step, honour_wait: bool = True) -> None:
        """How the jobs for ``key`` progress, one phase per status poll (see ``_jobs``).

        ``key`` is a provider model id (``fal-ai/wan-t2v``), a provider host or provider
        name (``fal-ai-queue``, ``replicate``) or ``"*"``; the most specific plan wins. The
        submit answer shows the first phase, the n-th poll phase n, the last phase repeats;
        a script step (``Reply(503)``, ``Drop()``) answers that one poll.
        ``honour_wait=False`` makes replicate ignore ``Prefer: wait``.
        """
        self._providers.book.plans[key] = JobPlan.of(phases, honour_wait=honour_wait)

    def break_media(self, key: str = "*") -> None:
        """Answers for ``key`` (as in ``job_plan``) carry media URLs that answer 404."""
        self._providers.broken_media.add(key)

    async def wait_request(
        self, predicate: Callable[[RecordedRequest], bool], timeout: float = 5.0
    ) -> RecordedRequest:
        """The first recorded request matching ``predicate``, waiting for it if need be."""
        for recorded in self.requests:
            if predicate(recorded):
                return recorded
        future: asyncio.Future[RecordedRequest] = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"no matching request in {timeout}s ({len(self.requests)} recorded)"
            ) from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def job_polled(self, job_id: str | None = None, timeout: float = 5.0) -> str:
        """Wait until a job (``job_id``, or any) is polled; return the job's id."""
        recorded = await self.wait_request(
            lambda r: r.route in _POLL_ROUTES and (job_id is None or r.job == job_id), timeout
        )
        assert recorded.job is not None
        return recorded.job

    def _record(self, recorded: RecordedRequest) -> None:
        self.requests.append(recorded)
        for waiter in list(self._waiters):
            predicate, future = waiter
            if not future.done() and predicate(recorded):
                future.set_result(recorded)
                self._waiters.remove(waiter)

    def _next_step(self, key: str) -> Step | None:
        queue = self._scripts.get(key)
        if queue:
            step = queue.popleft()
            if isinstance(step, Loading) and step.times > 1:
                queue.appendleft(Loading(step.estimated_time, step.times - 1))
            return step
        return self._always.get(key)

    # -- request handling ------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        headers = {"x-request-id": f"local-{next(self._ids)}"}
        body = await request.content.read()
        media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        json, raw, json_error = _parse_body(body, media)
        match = self._providers.match(request.method, request.path, request.query)
        route = parse_path(request.path) if match is None else None
        responses = match is None and route is None and is_responses_path(request.path)
        if match is not None:
            model = self._match_model(match, json)
        else:
            model = responses_model(json) if responses else _model_of(route, json)
        self._record(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
                json=json,
                model=model,
                provider=match.host.name if match is not None and match.host else None,
                route=_route_name(match),
                job=match.job if match is not None else None,
            )
        )
        try:
            if match is not None:
                return await self._provider(request, match, model, json, body, json_error, headers)
            if self.token is not None and not self._authorized(request):
                return _unauthorized(headers)
            if responses:
                return await serve_responses(self, request, model, json, headers)
            if route is None:
                return json_response(404, {"error": "Not Found"}, headers)
            step = self._next_step(model) if model else None
            if step is not None:
                return await self._player.play(
                    step,
                    request,
                    route,
                    model or "",
                    json,
                    headers,
                    self._stream_options(request, route),
                )
            if json_error is not None:
                raise json_error
            return await self._dispatch(
                request, route, model or "", json, raw, media, len(body), headers
            )
        except ApiError as error:
            return self._error_response(error, request, route, json, headers)
        except ConnectionError:
            raise  # the client went away mid-stream: aiohttp ignores it quietly
        except Exception as exc:
            # Answer a bug like the API answers its own (recorded) crashes, with the cause
            # in the body, rather than aiohttp's bare text/plain 500.
            message = f"unknown error: {type(exc).__name__}: {exc}"
            crash = {
                "error": "unknown error",
                "warnings": [f"There was an inference error: {message}"],
            }
            return json_response(500, crash, headers)

    def _match_model(self, match: Match, json: Any) -> str | None:
        if match.job is not None:
            job = self._providers.book.jobs.get(match.job)
            return job.model if job is not None else None
        if match.model is not None:
            return match.model
        model = json.get("model") if isinstance(json, dict) else None
        return model if isinstance(model, str) else None

    async def _provider(
        self,
        request: web.BaseRequest,
        match: Match,
        model: str | None,
        json: Any,
        body: bytes,
        json_error: ApiError | None,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        """The Hub, media files and the provider routes (``_providers``)."""
        providers = self._providers
        if match.kind == "media":
            step = self._next_step("media")
            if step is not None:
                route = Route("media", match.model or "")
                options = self._stream_options(request, route)
                return await self._player.play(step, request, route, "", json, headers, options)
            found = media_file(match.model or "") if request.method == "GET" else None
            if found is None:
                return json_response(404, {"error": "Not Found"}, headers)
            return web.Response(body=found[0], headers={**headers, "Content-Type": found[1]})
        if match.kind == "not-found":
            if match.host is not None and match.host.error_style == "detail":
                return json_response(match.status, {"detail": match.message}, headers)
            return json_response(match.status, {"error": match.message}, headers)
        name = model or ""
        chat_route = Route("chat", name)
        options = self._stream_options(request, chat_route)
        if match.kind == "hub":
            providers.hub_lookups[name] += 1
            step = self._next_step("hub:" + name)
            if step is not None:
                return await self._player.play(
                    step, request, chat_route, name, json, headers, options
                )
            expand = request.query.getall("expand[]", []) + request.query.getall("expand", [])
            authorization = request.headers.get("Authorization", "")
            status, answer, extra = providers.hub_response(name, expand, authorization)
            return json_response(
                status, answer, {**headers, **extra}, "application/json; charset=utf-8"
            )
        assert match.host is not None and match.row is not None
        providers.check_credentials(match, request.headers.get("Authorization", ""), self.token)
        if match.via_router:
            headers["x-inference-provider"] = match.host.provider
        step = self._next_step(name) if match.job is None and name else None
        if step is not None:
            return await self._player.play(step, request, chat_route, name, json, headers, options)
        if json_error is not None and match.row.shape != "transcriptions":
            raise json_error
        host = match.host
        broken = {name, host.name, host.provider, "*"} & providers.broken_media
        call = Call(
            host=host,
            row=match.row,
            params=match.params,
            query=request.query,
            headers=request.headers,
            json=json,
            raw=body,
            media_type=request.headers.get("Content-Type", "").split(";")[0].strip().lower(),
            response_headers=headers,
            own_origin=providers.own_origin(match, self.url),
            media_origin=providers.media_origin(self.url),
            book=providers.book,
            mapped_task=lambda m: providers.mapped_task(host.provider, m),
            model_for_version=providers.model_for_version,
            provider_id_for=lambda m: providers.provider_id_for(host.provider, m),
            broken_media=bool(broken),
            chat=lambda m, j: self._chat(request, Route("chat", m), m, j, len(body), headers),
            events=lambda e, t: self._player.write_events(request, e, t, options, headers),
            play=lambda step: self._player.play(
                step, request, chat_route, name, json, headers, options
            ),
        )
        return await SHAPES[match.row.shape](call)

    def _authorized(self, request: web.BaseRequest) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.token}"

    def _stream_options(self, request: web.BaseRequest, route: Route) -> StreamOptions:
        def knob(name: str) -> str | None:
            value = request.headers.get(f"x-test-{name}")
            return value if value is not None else request.query.get(name.replace("-", "_"))

        chat = route.kind in ("chat", "router-chat") or route.sub == "v1/chat/completions"
        space = knob("sse-space")
        delay = knob("token-delay")
        keepalive = knob("keepalive")
        return StreamOptions(
            prefix=b"data: " if (space in ("1", "true") if space else chat) else b"data:",
            delay=float(delay) if delay else self.token_delay,
            keepalive=int(keepalive) if keepalive else 0,
            chat=chat,
        )

    async def _dispatch(
        self,
        request: web.BaseRequest,
        route: Route,
        model: str,
        json: Any,
        raw: bytes | None,
        media: str,
        size: int,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        if route.kind == "endpoint":
            return await self._endpoint(request, route, json, size, headers)
        if request.method != "POST":
            return json_response(405, {"error": "Method Not Allowed"}, headers)
        if not model_exists(model):
            return json_response(404, {"error": f"Model {model} does not exist"}, headers)
        if route.kind != "task":
            return await self._chat(request, route, model, json, size, headers)
        task = (
            (task_for_model(model) if model.startswith("task/") else None)
            or route.task
            or request.headers.get("x-hf-task")
            or task_for_model(model)
            or task_for_body(json, raw, media)
        )
        task = refine_task(task, json)
        if task == "text-generation":
            if is_tgi(model):
                stream = isinstance(json, dict) and bool(json.get("stream"))
                return await self._generate(request, route, json, size, headers, stream, wrap=True)
            task_input = TaskInput(model, task, json, raw, media, "")
            return json_response(200, pipeline_text_generation(task_input), headers)
        accept = request.headers.get("Accept", "")
        result = run_task(TaskInput(model, task, json, raw, media, accept))
        headers["x-compute-type"] = "local"
        if isinstance(result, Binary):
            return web.Response(
                body=result.data, headers={**headers, "Content-Type": result.content_type}
            )
        return json_response(200, result, headers)

    async def _endpoint(
        self, request: web.BaseRequest, route: Route, json: Any, size: int, headers: dict[str, str]
    ) -> web.StreamResponse:
        sub, method = route.sub, request.method
        if sub == "info" and method == "GET":
            return json_response(200, _tgi_info(route.model), headers)
        if sub == "health" and method == "GET":
            return web.Response(status=200, headers=headers)
        if sub not in ("", "generate", "generate_stream", "v1/chat/completions"):
            return json_response(404, {"error": "Not Found"}, headers)
        if method != "POST":
            return json_response(405, {"error": "Method Not Allowed"}, headers)
        if sub == "v1/chat/completions":
            return await self._chat(request, route, route.model, json, size, headers)
        stream = sub == "generate_stream" or (
            sub == "" and isinstance(json, dict) and bool(json.get("stream"))
        )
        return await self._generate(request, route, json, size, headers, stream, wrap=sub == "")

    async def _generate(
        self,
        request: web.BaseRequest,
        route: Route,
        json: Any,
        size: int,
        headers: dict[str, str],
        stream: bool,
        *,
        wrap: bool,
    ) -> web.StreamResponse:
        req = _generation.parse_generate(json, stream=stream, raw_length=size)
        if not stream:
            answer, generated = _generation.generate_object(req)
            headers["x-prompt-tokens"] = str(_generation.input_length(req.inputs))
            headers["x-generated-tokens"] = str(generated)
            return json_response(200, [answer] if wrap else answer, headers)
        options = self._stream_options(request, route)
        events = _generation.generate_events(req, options.prefix)
        return await self._player.write_events(request, events, b"", options, headers)

    async def _chat(
        self,
        request: web.BaseRequest,
        route: Route,
        model: str,
        json: Any,
        size: int,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        if route.kind == "router-chat":
            if not model:
                raise _deserialize_missing("model", size)
            headers["x-inference-provider"] = self._providers.auto_provider(json["model"])
        req = _chat.parse_chat(json, raw_length=size, model=model)
        if not req.stream:
            answer = _chat.completion_object(req)
            usage = answer["usage"]
            headers["x-prompt-tokens"] = str(usage["prompt_tokens"])
            headers["x-generated-tokens"] = str(usage["completion_tokens"])
            return json_response(200, answer, headers)
        options = self._stream_options(request, route)
        events, done = _chat.completion_events(req, options.prefix)
        return await self._player.write_events(request, events, done, options, headers)

    def _error_response(
        self,
        error: ApiError,
        request: web.BaseRequest,
        route: Route | None,
        json: Any,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        headers = {**headers, **error.headers}
        if error.in_band and route is not None and _wants_stream(route, json):
            # TGI reports validation errors of a stream inside a 200 event stream.
            options = self._stream_options(request, route)
            event = options.prefix + encode(error.body) + b"\n\n"
            return web.Response(body=event, headers={**headers, "Content-Type": SSE})
        if isinstance(error.body, str):
            return web.Response(
                status=error.status,
                body=error.body.encode(),
                headers={**headers, "Content-Type": error.content_type},
            )
        return json_response(error.status, error.body, headers, error.content_type)


_POLL_ROUTES = frozenset(
    {
        "fal-status",
        "replicate-get",
        "wavespeed-result",
        "together-video-get",
        "zai-result",
        "novita-result",
    }
)


def _route_name(match: Match | None) -> str | None:
    if match is None:
        return None
    if match.kind == "provider" and match.row is not None:
        return match.row.shape
    return match.kind


def json_response(
    status: int, obj: Any, headers: Mapping[str, str], content_type: str = JSON
) -> web.Response:
    return web.Response(
        status=status, body=encode(obj), headers={**headers, "Content-Type": content_type}
    )


def _unauthorized(headers: dict[str, str]) -> web.Response:
    return json_response(
        401,
        {"error": _UNAUTHORIZED},
        {
            **headers,
            "X-Error-Message": _UNAUTHORIZED,
            "WWW-Authenticate": 'Bearer realm="Authentication required", charset="UTF-8"',
        },
        "application/json; charset=utf-8",
    )


def _deserialize_missing(name: str, size: int) -> ApiError:
    return ApiError(
        422,
        f"Failed to deserialize the JSON body into the target type: missing "
        f"field `{name}` at line 1 column {size}",
        content_type=TEXT,
    )


def _parse_body(body: bytes, media: str) -> tuple[Any, bytes | None, ApiError | None]:
    """(json, raw upload, error for a malformed JSON body)."""
    if not body:
        return None, None, None
    if media.startswith(_BINARY_TYPES):
        return None, body, None
    try:
        return decode(body), None, None
    except Exception as exc:  # msgspec.DecodeError, or UnicodeDecodeError for raw bytes
        if media in ("", "text/plain"):
            return None, body, None
        error = ApiError(422, f"Failed to parse the request body as JSON: {exc}", content_type=TEXT)
        return None, None, error


def _model_of(route: Route | None, json: Any) -> str | None:
    if route is None:
        return None
    if route.kind == "router-chat":
        model = json.get("model") if isinstance(json, dict) else None
        return model.split(":")[0] if isinstance(model, str) else None
    return route.model


def _wants_stream(route: Route, json: Any) -> bool:
    return route.sub == "generate_stream" or (isinstance(json, dict) and bool(json.get("stream")))


def _tgi_info(name: str) -> dict[str, Any]:
    return {
        "model_id": name,
        "model_sha": None,
        "model_pipeline_tag": "text-generation",
        "max_concurrent_requests": 128,
        "max_best_of": _generation.MAX_BEST_OF,
        "max_stop_sequences": _generation.MAX_STOP_SEQUENCES,
        "max_input_tokens": _generation.MAX_TOTAL_TOKENS - 1,
        "max_total_tokens": _generation.MAX_TOTAL_TOKENS,
        "validation_workers": 2,
        "max_client_batch_size": 4,
        "router": "text-generation-router",
        "version": _chat.FINGERPRINT.split("-")[0],
        "sha": None,
        "docker_label": None,
    }
