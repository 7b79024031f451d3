"""The ``hf-inference`` command line (also ``python -m hf_inference``).

One subcommand per task, generated from the task table, plus ``chat`` and ``serve``::

    hf-inference text-generation --model gpt2 "The answer is"
    hf-inference image-classification --model google/vit-base-patch16-224 cat.png
    hf-inference chat --model meta-llama/Llama-3.1-8B-Instruct "Hello"
    hf-inference text-to-image --local "an astronaut" -o astronaut.png
    hf-inference serve --port 8080

Exit codes: 0 success, 1 API, network or output-file error, 2 usage error (including an
input file that does not exist or cannot be read), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import msgspec

from . import _cli_parameters, _tasks, providers
from ._client import AsyncInferenceClient
from ._exceptions import BadRequestError, HfInferenceError, InvalidInputError
from ._jobs import JobProgress
from ._params import CALL_OPTION_NAMES
from ._version import __version__
from .types import BinaryOutput

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_USAGE", "main", "run"]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: Models the local server answers for ``--local`` when no ``--model`` is given; any other
#: task uses the server's ``task/<task>/<name>`` naming rule.
LOCAL_MODELS = {"text_generation": "gpt2", "chat": "meta-llama/Llama-3.1-8B-Instruct"}

#: Tasks whose inputs are a mapping: (field, kind) with kind "text", "json", "list" (a repeatable
#: option) or "binary" (a path, URL or '-').
DICT_FIELDS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "question_answering": (("question", "text"), ("context", "text")),
    "table_question_answering": (("query", "text"), ("table", "json")),
    "sentence_similarity": (("source_sentence", "text"), ("sentences", "list")),
    "visual_question_answering": (("image", "binary"), ("question", "text")),
    "document_question_answering": (("image", "binary"), ("question", "text")),
    "tabular_regression": (("data", "json"),),
    "tabular_classification": (("data", "json"),),
    "conversational": (
        ("text", "text"),
        ("past_user_inputs", "list"),
        ("generated_responses", "list"),
    ),
}

_EXAMPLES = """\
examples:
  hf-inference text-generation --local "The answer is"        (no token, no network)
  hf-inference text-generation --local --max-new-tokens 5 "Hi" (task parameters: <task> --help)
  hf-inference chat --model meta-llama/Llama-3.1-8B-Instruct "Hello"
  hf-inference fill-mask --model bert-base-uncased "Paris is the [MASK] of France."
  hf-inference image-classification --model google/vit-base-patch16-224 cat.png
  hf-inference text-to-image --model stabilityai/stable-diffusion-2 "a horse" -o horse.png
  echo "Hello" | hf-inference translation --model t5-base - --json
  hf-inference serve --port 8080                               (a local API server)

token: --token, else $HF_TOKEN, else the Hugging Face token file.
exit codes: 0 ok, 1 API/network/output error, 2 usage error (bad input), 130 interrupted.
"""


class UsageError(Exception):
    """A bad command line: printed as one line, exit code 2."""


# -- running a coroutine with a clean Ctrl-C ------------------------------------------------------


class _InterruptGuard:
    """Turns Ctrl-C into cancelling the main task, so streams and servers close cleanly.

    A second Ctrl-C falls back to Python's KeyboardInterrupt, in case cleanup hangs.
    """

    def __init__(self) -> None:
        self.interrupted = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._installed = False

    def install(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        try:
            self._loop.add_signal_handler(signal.SIGINT, self._on_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            return  # Windows or not the main thread: KeyboardInterrupt is caught in run()
        self._installed = True
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            self._loop.add_signal_handler(signal.SIGTERM, self._on_signal)

    def uninstall(self) -> None:
        if self._installed and self._loop is not None:
            self._installed = False
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.remove_signal_handler(sig)

    def _on_signal(self) -> None:
        self.interrupted = True
        self.uninstall()
        if self._task is not None:
            self._task.cancel()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Let Ctrl-C raise KeyboardInterrupt where it lands (around a blocking ``input()``)."""
        was_installed = self._installed
        self.uninstall()
        try:
            yield
        finally:
            if was_installed and not self.interrupted:
                self.install()


_guard = _InterruptGuard()


def _event_loop_runner() -> Callable[[Coroutine[Any, Any, int]], int]:
    if os.environ.get("HF_INFERENCE_NO_UVLOOP"):
        return asyncio.run
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    # Typed through a variable: mypy sees Any where uvloop is not installed.
    runner: Callable[[Coroutine[Any, Any, int]], int] = uvloop.run
    return runner


def run(main: Callable[[], Awaitable[int]], *, interrupted_exit: int = EXIT_INTERRUPTED) -> int:
    """Run ``main()`` on a fresh event loop (uvloop if installed) and return its exit code.

    Ctrl-C or SIGTERM cancels ``main`` (its ``finally`` blocks and ``async with`` exits run)
    and returns ``interrupted_exit``.
    """
    global _guard
    _guard = guard = _InterruptGuard()

    async def guarded() -> int:
        guard.install()
        try:
            return await main()
        except asyncio.CancelledError:
            if guard.interrupted:
                return interrupted_exit
            raise
        finally:
            guard.uninstall()

    try:
        return _event_loop_runner()(guarded())
    except KeyboardInterrupt:
        return interrupted_exit


# -- terminal output ----------------------------------------------------------------------------


class Output:
    """stdout for live tokens: flushed per write, remembers whether a line is left open."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.line_open = False
        self.before_write: Callable[[], None] | None = None

    def write(self, text: str) -> None:
        if not text:
            return
        if self.before_write is not None:
            self.before_write()
        self.stream.write(text)
        self.stream.flush()
        self.line_open = not text.endswith("\n")

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def end_line(self) -> None:
        if self.line_open:
            self.write("\n")

    def json(self, value: Any) -> None:
        self.line(msgspec.json.encode(value).decode())


class LoadingProgress:
    """The client's ``on_loading`` callback: a countdown on stderr while a model loads.

    Only drawn when stderr is a terminal; ``clear()`` erases it before other output.
    """

    def __init__(self, model: str | None, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.model = model or "the model"
        self.enabled = _isatty(self.stream)
        self._ready_at = 0.0
        self._started = 0.0
        self._task: asyncio.Task[None] | None = None
        self._drawn = False

    def __call__(self, estimated_time: float, waited: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self._task is None:
            self._started = now - waited
            self._task = asyncio.get_running_loop().create_task(self._tick())
        self._ready_at = now + max(estimated_time, 0.0)

    async def _tick(self) -> None:
        spinner = "|/-\\"
        frame = 0
        while True:
            now = time.monotonic()
            remaining = max(0.0, self._ready_at - now)
            waited = now - self._started
            eta = f"ready in ~{remaining:.0f} s" if remaining >= 0.5 else "almost ready"
            self.stream.write(
                f"\r\x1b[K{spinner[frame % 4]} {self.model} is loading: {eta} "
                f"(waited {waited:.0f} s)"
            )
            self.stream.flush()
            frame += 1
            await asyncio.sleep(0.25)

    def job(self, update: JobProgress) -> None:
        """The client's ``on_progress`` callback: one status line per provider job report."""
        if not self.enabled:
            return
        where = f", position {update.queue_position}" if update.queue_position is not None else ""
        self.stream.write(
            f"\r\x1b[K{update.provider} job {update.job_id}: {update.status}{where} "
            f"({update.elapsed:.0f} s)"
        )
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn and self._task is None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def error_line(exc: BaseException) -> str:
    """``error: NotFoundError: status=404, model=x, Model x does not exist``."""
    if isinstance(exc, HfInferenceError):
        parts = []
        if exc.status is not None:
            parts.append(f"status={exc.status}")
        if exc.model is not None:
            parts.append(f"model={exc.model}")
        if exc.request_id is not None:
            parts.append(f"request_id={exc.request_id}")
        parts.append(exc.message)
        return f"error: {type(exc).__name__}: {', '.join(parts)}"
    if isinstance(exc, UsageError):
        return f"error: {exc}"
    return f"error: {type(exc).__name__}: {exc}"


# -- reading inputs -----------------------------------------------------------------------------


def _stdin_text() -> str:
    if sys.stdin is None:
        raise UsageError("no standard input to read from")
    return sys.stdin.read()


def read_text(value: str | None, what: str = "input text") -> str:
    """A text argument: itself, '-' (or nothing, when piped) for stdin, or @FILE."""
    missing = f"missing {what}: pass it as an argument, '-' for stdin, or @FILE"
    if value is None:
        if sys.stdin is None or _isatty(sys.stdin):
            raise UsageError(missing)
        text = _stdin_text().rstrip("\n")
        if not text:  # nothing piped in: most likely a forgotten argument
            raise UsageError(missing)
        return text
    if value == "-":
        return _stdin_text().rstrip("\n")
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {value[1:]!r}: {exc}") from None
    return value


def read_binary(value: str) -> Any:
    """A binary argument: a path, an http(s) URL, or '-' for stdin's bytes."""
    if value == "-":
        if sys.stdin is None:
            raise UsageError("no standard input to read from")
        return sys.stdin.buffer.read()
    if value.startswith(("http://", "https://")):
        return value
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"no such file: {value!r}")
    return path


def read_json(value: str, what: str) -> Any:
    text = read_text(value, what)
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise UsageError(f"{what} is not valid JSON: {exc}") from None


def parameters_of(args: argparse.Namespace) -> dict[str, Any]:
    """The task parameters of a command line, from every place they can be given.

    ``--parameters JSON``, each ``-P KEY=VALUE`` (VALUE parsed as JSON if it is), the typed
    options derived from the task's parameters (``--max-new-tokens 5``) and ``--labels``. A key
    given in two places is a usage error: neither silently wins.
    """
    params: dict[str, Any] = {}
    origin: dict[str, str] = {}

    def put(key: str, value: Any, where: str) -> None:
        if key in origin:
            raise UsageError(f"{key!r} given twice ({origin[key]} and {where}): give it once")
        params[key] = value
        origin[key] = where

    if getattr(args, "parameters", None):
        loaded = read_json(args.parameters, "--parameters")
        if not isinstance(loaded, dict):
            raise UsageError("--parameters must be a JSON object")
        for key, value in loaded.items():
            put(key, value, "--parameters")
    for item in getattr(args, "param", None) or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageError(f"-P expects KEY=VALUE, got {item!r}")
        try:
            put(key, msgspec.json.decode(raw), "-P")
        except msgspec.DecodeError:
            put(key, raw, "-P")
    for key, (option, value) in _cli_parameters.given(args).items():
        put(key, value, option)
    if getattr(args, "labels", None):
        labels = [s.strip() for s in args.labels.split(",") if s.strip()]
        put("candidate_labels", labels, "--labels")
    return params


def _headers_of(args: argparse.Namespace) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"-H expects 'Name: value', got {item!r}")
        headers[name.strip()] = value.strip()
    return headers


# -- the client ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[AsyncInferenceClient]:
    """The client the options describe; with ``--local``, bound to an in-process server."""
    if args.local and (args.base_url or args.endpoint):
        raise UsageError("--local cannot be combined with --base-url or --endpoint")
    options: dict[str, Any] = {"headers": _headers_of(args)}
    for name in ("provider", "router_url", "hub_url"):
        if getattr(args, name, None):
            options[name] = getattr(args, name)
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.no_wait:
        options["wait_for_model"] = False
    async with contextlib.AsyncExitStack() as stack:
        if args.local:
            from .testing import LocalInferenceServer

            server = await stack.enter_async_context(LocalInferenceServer())
            if options.get("provider", "hf-inference") == "hf-inference":
                client = AsyncInferenceClient(False, base_url=server.base_url, **options)
            else:  # the local server is the router and the Hub too
                local = {"router_url": server.url, "hub_url": server.url}
                # The local router, like the real one, takes Hugging Face tokens only.
                client = AsyncInferenceClient("hf_local_cli", **{**options, **local})
        else:
            client = AsyncInferenceClient(args.token, base_url=args.base_url, **options)
        await stack.enter_async_context(client)
        yield client.endpoint(args.endpoint, model=args.model) if args.endpoint else client


def model_of(args: argparse.Namespace, key: str, wire_name: str) -> str | None:
    if args.model:
        return str(args.model)
    if args.endpoint:
        return None
    if args.local:
        return LOCAL_MODELS.get(key, f"task/{wire_name}/local")
    raise UsageError("--model is required (a Hub model id or URL), or pass --endpoint URL")


# -- task commands ------------------------------------------------------------------------------


def _inputs_of(args: argparse.Namespace, name: str, spec: _tasks.TaskSpec[Any]) -> Any:
    fields = DICT_FIELDS.get(name)
    if fields is None:
        if spec.input_kind is _tasks.InputKind.BINARY:
            return read_binary(args.input)
        return read_text(args.input)
    inputs: dict[str, Any] = {}
    if args.inputs:
        loaded = read_json(args.inputs, "--inputs")
        if not isinstance(loaded, dict):
            raise UsageError("--inputs must be a JSON object")
        inputs.update(loaded)
    for field, kind in fields:
        value = getattr(args, field)
        if value is None:
            continue
        if kind == "text":
            inputs[field] = read_text(value, f"--{_option(field)}")
        elif kind == "json":
            inputs[field] = read_json(value, f"--{_option(field)}")
        elif kind == "binary":
            inputs[field] = read_binary(value)
        else:
            inputs[field] = list(value)
    missing = [f for f, kind in fields if f not in inputs and kind != "list"]
    if missing:
        needed = " and ".join(f"--{_option(f)}" for f in missing)
        raise UsageError(f"{_command(name)} needs {needed} (or --inputs JSON)")
    return inputs


def render(value: Any) -> str:
    """A human view of a task result; ``--json`` gives the full structure."""
    data = msgspec.to_builtins(value)
    if isinstance(data, dict):
        for key in ("generated_text", "summary_text", "translation_text", "text", "answer"):
            if isinstance(data.get(key), str):
                return str(data[key])
    if isinstance(data, list) and data and all(isinstance(d, dict) and "score" in d for d in data):
        return "\n".join(_score_row(d) for d in data)
    if isinstance(data, list) and all(isinstance(x, int | float | str) for x in data):
        return "\n".join(str(x) for x in data)
    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode()


#: Tasks that answer an array of numbers (an embedding): printed as one JSON array, which
#: keeps its shape, or summarised on a terminal, where hundreds of floats help nobody.
ARRAY_TASKS = frozenset({"feature_extraction"})


def shape_of(data: Any) -> tuple[int, ...]:
    """The shape of nested lists, read along their first elements: ``[[1, 2]] -> (1, 2)``."""
    shape: list[int] = []
    while isinstance(data, list):
        shape.append(len(data))
        data = data[0] if data else None
    return tuple(shape)


def array_summary(data: Any) -> str:
    """``array of shape (2, 384); first row: [0.0678, -0.5774, -0.3101, ..., 0.2225]``."""
    shape = shape_of(data)
    row = data
    while isinstance(row, list) and row and isinstance(row[0], list):
        row = row[0]
    values = [f"{x:.4f}" if isinstance(x, int | float) else repr(x) for x in row or []]
    if len(values) > 6:
        values = [*values[:3], "...", *values[-2:]]
    where = "; first row" if len(shape) > 1 else ""
    return f"array of shape {shape}{where}: [{', '.join(values)}]"


def _score_row(row: dict[str, Any]) -> str:
    score = row.get("score")
    head = f"{score:8.4f}" if isinstance(score, int | float) else "       -"
    label = next(
        (str(row[k]) for k in ("label", "sequence", "answer", "word") if row.get(k) is not None),
        "",
    )
    extra = ""
    if row.get("entity_group") or row.get("entity"):
        extra = f"  [{row.get('entity_group') or row.get('entity')}]"
    box = row.get("box")
    if isinstance(box, dict):
        extra = "  box=({xmin}, {ymin}, {xmax}, {ymax})".format(**box)
    return f"{head}  {label}{extra}"


def _write_binary(result: BinaryOutput, args: argparse.Namespace, out: Output) -> None:
    target = args.output
    if target in (None, "-"):
        sys.stdout.flush()
        sys.stdout.buffer.write(result.data)
        sys.stdout.buffer.flush()
        return
    Path(target).write_bytes(result.data)
    meta = {"path": target, "content_type": result.content_type, "bytes": len(result.data)}
    if args.json:
        out.json(meta)
    else:
        print(f"wrote {len(result.data)} bytes ({result.media_type}) to {target}", file=sys.stderr)


async def _stream_text(
    stream: Any, text_of: Callable[[Any], str | None], args: argparse.Namespace, out: Output
) -> str:
    pieces: list[str] = []
    async with stream:
        async for event in stream:
            if args.json:
                out.json(event)
                continue
            text = text_of(event)
            if text:
                pieces.append(text)
                out.write(text)
    if not args.json:
        out.end_line()
    return "".join(pieces)


def generation_text(event: Any) -> str | None:
    return None if event.token.special else str(event.token.text)


def chat_text(event: Any) -> str | None:
    return event.choices[0].delta.content if event.choices else None


async def _task_command(
    args: argparse.Namespace, name: str, spec: _tasks.TaskSpec[Any], out: Output
) -> int:
    if spec.binary_output and args.output is None and _isatty(sys.stdout):
        raise UsageError(f"{_command(name)} returns binary data: pass -o FILE (or pipe the output)")
    inputs = _inputs_of(args, name, spec)
    params = parameters_of(args)
    model = model_of(args, name, spec.name)
    async with open_client(args) as client:
        progress = LoadingProgress(model)
        out.before_write = progress.clear
        try:
            if f"{name}_stream" in _tasks.TASKS and not args.no_stream:
                method = getattr(client, f"{name}_stream")
                stream = method(inputs, model=model, parameters=params, on_loading=progress)
                try:
                    await _stream_text(stream, generation_text, args, out)
                    return 0
                except BadRequestError as exc:
                    # Non-TGI models refuse to stream (400 "`stream` is not supported"):
                    # nothing was printed yet, so ask again for the whole answer.
                    if "stream" not in exc.message:
                        raise
            method = getattr(client, name)
            result = await method(
                inputs,
                model=model,
                parameters=params,
                on_loading=progress,
                on_progress=progress.job,
            )
        finally:
            progress.clear()
    if isinstance(result, BinaryOutput):
        _write_binary(result, args, out)
    elif args.json or (name in ARRAY_TASKS and not _isatty(out.stream)):
        out.json(result)
    elif name in ARRAY_TASKS:
        out.line(array_summary(msgspec.to_builtins(result)))
        print("(every value as a JSON array: --json, or pipe the output)", file=sys.stderr)
    else:
        out.line(render(result))
    return 0


# -- chat ---------------------------------------------------------------------------------------


async def chat_turn(
    client: AsyncInferenceClient,
    messages: list[dict[str, Any]],
    model: str | None,
    params: Mapping[str, Any],
    args: argparse.Namespace,
    out: Output,
) -> str:
    """One assistant reply, streamed (or not, with ``--no-stream``); returns its text."""
    progress = LoadingProgress(model)
    out.before_write = progress.clear
    try:
        if args.no_stream:
            reply = await client.chat_completion(
                messages, model=model, on_loading=progress, **params
            )
            text = (reply.choices[0].message.content or "") if reply.choices else ""
            if args.json:
                out.json(reply)
            else:
                out.line(text)
            return text
        stream = client.chat_completion_stream(messages, model=model, on_loading=progress, **params)
        return await _stream_text(stream, chat_text, args, out)
    finally:
        progress.clear()


def _read_line(prompt: str) -> str | None:
    """A line from stdin (prompted on a terminal); None at end of input."""
    if sys.stdin is None:
        return None
    if _isatty(sys.stdin):
        with _guard.paused():
            try:
                return input(prompt)
            except EOFError:
                print(file=sys.stderr)
                return None
    line = sys.stdin.readline()
    return line.rstrip("\n") if line else None


async def chat_session(
    client: AsyncInferenceClient,
    model: str | None,
    params: Mapping[str, Any],
    args: argparse.Namespace,
    out: Output,
    messages: list[dict[str, Any]],
) -> int:
    """Read a message per line until end of input; the conversation keeps its history."""
    if _isatty(sys.stdin):
        print(f"chatting with {model or args.endpoint}; Ctrl-D to quit.", file=sys.stderr)
    while True:
        try:
            line = _read_line("you> ")
        except KeyboardInterrupt:
            out.line()  # input() left the cursor after the prompt
            return EXIT_INTERRUPTED
        if line is None:
            return 0
        if not line.strip():
            continue
        messages.append({"role": "user", "content": line})
        reply = await chat_turn(client, messages, model, params, args, out)
        messages.append({"role": "assistant", "content": reply})


def chat_keywords(given: Mapping[str, Any]) -> dict[str, Any]:
    """Chat's keyword arguments from a command line's parameters: what chat names (but the
    per-call options) as keywords, anything else (-P, --parameters) in the body as given."""
    named = _tasks.CHAT_COMPLETION.parameter_names - CALL_OPTION_NAMES
    params = {key: value for key, value in given.items() if key in named}
    extra = {key: value for key, value in given.items() if key not in named}
    if extra:
        params["extra_body"] = extra
    return params


async def _chat_command(args: argparse.Namespace, out: Output) -> int:
    params = chat_keywords(parameters_of(args))
    messages: list[dict[str, Any]] = []
    if args.system:
        messages.append({"role": "system", "content": read_text(args.system, "--system")})
    interactive = args.message is None and _isatty(sys.stdin)
    text = None if interactive else read_text(args.message, "message")
    model = model_of(args, "chat", "chat-completion")
    async with open_client(args) as client:
        if text is None:
            return await chat_session(client, model, params, args, out, messages)
        messages.append({"role": "user", "content": text})
        await chat_turn(client, messages, model, params, args, out)
    return 0


# -- serve --------------------------------------------------------------------------------------


async def _serve_command(args: argparse.Namespace, out: Output) -> int:
    from .testing import LocalInferenceServer

    server = LocalInferenceServer(
        host=args.host, port=args.port, token=args.require_token, token_delay=args.token_delay
    )
    async with server:
        out.line(server.url)
        print(
            f"local Inference API on {server.url} (Ctrl-C to stop); try:\n"
            f"  hf-inference text-generation --base-url {server.base_url} --model gpt2 "
            '"Hello"\n'
            f'  hf-inference chat --endpoint {server.endpoint_url()} "Hello"',
            file=sys.stderr,
            flush=True,
        )
        await asyncio.Event().wait()  # until Ctrl-C or SIGTERM cancels us
    return 0


# -- the parser ---------------------------------------------------------------------------------


def _option(field: str) -> str:
    return field.replace("_", "-")


def _command(name: str) -> str:
    return name.replace("_", "-")


def _summary(name: str) -> str:
    doc = getattr(AsyncInferenceClient, name).__doc__ or name
    return doc.strip().splitlines()[0].rstrip(".").replace("``", "")


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    conn = common.add_argument_group("connection")
    conn.add_argument("-m", "--model", help="Hub model id (or a model URL)")
    conn.add_argument(
        "--local",
        action="store_true",
        help="use an in-process local API server (no token, no network)",
    )
    conn.add_argument("--token", help="Hugging Face token (default: $HF_TOKEN, the token file)")
    conn.add_argument(
        "--base-url",
        help="serverless API root (default: $HF_INFERENCE_BASE_URL, else the HF router)",
    )
    conn.add_argument("--endpoint", metavar="URL", help="a dedicated endpoint / TGI server URL")
    conn.add_argument(
        "--provider",
        choices=[providers.AUTO, *sorted(providers.PROVIDERS)],
        help="Inference Provider (default: auto, the Hub's first live provider for the task)",
    )
    conn.add_argument("--router-url", metavar="URL", help="Inference Providers router root")
    conn.add_argument("--hub-url", metavar="URL", help="Hub root for model -> provider lookups")
    conn.add_argument("--timeout", type=float, metavar="SECONDS", help="read timeout")
    conn.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra header"
    )
    conn.add_argument(
        "--no-wait", action="store_true", help="fail at once when the model is loading"
    )
    conn.add_argument("--json", action="store_true", help="print JSON (one line per event)")
    return common


def _parameter_options(labels: bool = False) -> argparse.ArgumentParser:
    params = argparse.ArgumentParser(add_help=False)
    group = params.add_argument_group("parameters")
    group.add_argument("--parameters", metavar="JSON", help="task parameters as JSON (or @FILE)")
    group.add_argument(
        "-P",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one parameter (VALUE is JSON if it parses, else a string)",
    )
    if labels:
        group.add_argument("--labels", metavar="A,B,C", help="candidate labels")
    return params


def _add_task(
    sub: Any, name: str, spec: _tasks.TaskSpec[Any], common: argparse.ArgumentParser
) -> None:
    parser = sub.add_parser(
        _command(name),
        parents=[common, _parameter_options(labels="zero_shot" in name)],
        help=_summary(name),
        description=_summary(name) + ".",
    )
    fields = DICT_FIELDS.get(name)
    if fields is not None:
        for field, kind in fields:
            help_text = {
                "text": "text (or '-' for stdin, @FILE)",
                "json": "JSON (or @FILE)",
                "list": "repeat for each item",
                "binary": "file path, http(s) URL or '-' for stdin",
            }[kind]
            parser.add_argument(
                f"--{_option(field)}",
                dest=field,
                action="append" if kind == "list" else "store",
                help=help_text,
            )
        parser.add_argument("--inputs", metavar="JSON", help="all inputs as one JSON object")
    elif spec.input_kind is _tasks.InputKind.BINARY:
        parser.add_argument("input", help="file path, http(s) URL, or '-' for stdin")
    else:
        parser.add_argument(
            "input", nargs="?", help="the text, '-' for stdin, or @FILE (default: piped stdin)"
        )
    if spec.binary_output:
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="write the bytes here ('-': stdout)"
        )
    parser.add_argument(
        "--no-stream",
        action="store_true",
        help="wait for the whole answer" if f"{name}_stream" in _tasks.TASKS else argparse.SUPPRESS,
    )
    _cli_parameters.add_parameter_options(parser, spec.parameters)  # last: sees every name taken

    async def command(args: argparse.Namespace, out: Output) -> int:
        return await _task_command(args, name, spec, out)

    parser.set_defaults(handler=command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hf-inference",
        description="The Hugging Face Inference API from the command line.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hf-inference {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _common_options()

    chat = sub.add_parser(
        "chat",
        parents=[common, _parameter_options()],
        help="chat with a model (streamed; interactive without a message)",
        description="Chat completion, streamed. Without a message: piped stdin is the "
        "message; on a terminal, an interactive chat session (Ctrl-D to quit).",
    )
    chat.add_argument("message", nargs="?", help="the message, '-' for stdin, or @FILE")
    chat.add_argument("--system", help="a system prompt")
    chat.add_argument("--no-stream", action="store_true", help="wait for the whole answer")
    # The chat parameters (--max-tokens, --temperature, ...), not the per-call options.
    _cli_parameters.add_parameter_options(
        chat, _tasks.CHAT_COMPLETION.parameters, exclude=CALL_OPTION_NAMES
    )
    chat.set_defaults(handler=_chat_command)

    serve = sub.add_parser(
        "serve",
        help="run the bundled local Inference API server until Ctrl-C",
        description="Serve the local Inference API (prints its URL on the first line).",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    serve.add_argument("--token-delay", type=float, default=0.0, help="seconds between tokens")
    serve.add_argument("--require-token", metavar="TOKEN", help="answer 401 without this token")
    serve.set_defaults(handler=_serve_command, interrupted_exit=0)

    for name, spec in _tasks.TASKS.items():
        if spec.stream or (spec.route is _tasks.Route.CHAT and name != "conversational"):
            continue
        _add_task(sub, name, spec, common)
    return parser


# -- entry point --------------------------------------------------------------------------------


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, UsageError | InvalidInputError):
        return EXIT_USAGE
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """The console script: parse, run, and turn every failure into one line and an exit code."""
    args = build_parser().parse_args(argv)
    out = Output()

    async def command() -> int:
        try:
            code: int = await args.handler(args, out)
            return code
        except (HfInferenceError, UsageError, OSError) as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            out.end_line()
            print(error_line(exc), file=sys.stderr, flush=True)
            return _exit_code(exc)
        except asyncio.CancelledError:
            out.end_line()
            raise

    try:
        return run(command, interrupted_exit=getattr(args, "interrupted_exit", EXIT_INTERRUPTED))
    except BrokenPipeError:
        # The reader left (`| head`): stop quietly, and keep Python's exit-time flush quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
