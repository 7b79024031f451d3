"""``python -m hf_inference.demo``: watch tokens stream, with no token and no network.

The demo starts the bundled local Inference API server
(:class:`hf_inference.testing.LocalInferenceServer`) on 127.0.0.1, streams a text generation
and then a chat completion from it with :class:`hf_inference.AsyncInferenceClient`, printing
each token as it arrives, and ends with how many tokens came and how fast::

    python -m hf_inference.demo [--tokens N] [--model M] [--delay SECONDS] [--chat]

``--chat`` opens a chat session instead (one message per line; Ctrl-D to quit).
Exit codes: 0 done, 1 error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._client import AsyncInferenceClient
from ._exceptions import HfInferenceError
from .cli import EXIT_ERROR, Output, chat_session, chat_text, error_line, generation_text, run

__all__ = ["main"]

CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
PROMPT = "The answer to the universe is"
QUESTION = "Explain streaming in one sentence."


@dataclass
class Stats:
    """Timing of one stream: tokens, time to the first token, tokens per second."""

    label: str
    started: float = field(default_factory=time.perf_counter)
    first: float | None = None
    ended: float | None = None
    tokens: int = 0

    def token(self) -> None:
        self.tokens += 1
        if self.first is None:
            self.first = time.perf_counter()

    def summary(self) -> str:
        ended = self.ended if self.ended is not None else time.perf_counter()
        elapsed = max(ended - self.started, 1e-9)
        first = (
            f", first token after {(self.first - self.started) * 1000:.0f} ms" if self.first else ""
        )
        return (
            f"{self.label}: {self.tokens} tokens in {elapsed:.2f} s, "
            f"{self.tokens / elapsed:.1f} tokens/s{first}"
        )


class Style:
    """ANSI styles on a colour terminal (honours NO_COLOR); plain text anywhere else."""

    def __init__(self, stream: Any) -> None:
        self.on = (
            hasattr(stream, "isatty")
            and stream.isatty()
            and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb"
        )
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "▸✓·".encode(encoding)
            self.arrow, self.check, self.dot = "▸", "✓", "·"
        except (UnicodeEncodeError, LookupError):
            self.arrow, self.check, self.dot = ">", "*", "-"

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)


async def _show_stream(
    title: str,
    lead: str,
    stream: Any,
    text_of: Callable[[Any], str | None],
    out: Output,
    style: Style,
    stats: Stats,
) -> None:
    out.line(style.bold(f"{style.arrow} {title}"))
    out.write(lead)
    async with stream:
        async for event in stream:
            text = text_of(event)
            if text:
                stats.token()
                out.write(style.cyan(text))
    stats.ended = time.perf_counter()
    out.end_line()
    out.line()


async def _demo(args: argparse.Namespace, out: Output) -> int:
    from .testing import LocalInferenceServer

    style = Style(out.stream)
    async with LocalInferenceServer(token_delay=args.delay) as server:
        out.line(
            style.bold("hf_inference demo")
            + f" {style.dot} local Inference API at {server.url} "
            + style.dim("(no token, no network)")
        )
        out.line()
        client = AsyncInferenceClient(False, base_url=server.base_url, max_retries=0)
        async with client:
            if args.chat:
                chat = argparse.Namespace(json=False, no_stream=False, endpoint=None)
                params = {"max_tokens": args.tokens}
                return await chat_session(client, args.chat_model, params, chat, out, [])
            timings = await _streams(client, args, out, style)
    for stats in timings:
        out.line(style.green(f"{style.check} {stats.summary()}"))
    out.line()
    cli_command, python = command_path("hf-inference"), command_path("python")
    out.line("Next:")
    out.line(f'  {cli_command} text-generation --local "Once upon a time"')
    out.line(f"  {python} -m hf_inference.demo --chat   " + style.dim("(a chat session)"))
    out.line(f'  HF_TOKEN=hf_... {cli_command} chat --model {CHAT_MODEL} "Hello"')
    return 0


def command_path(name: str) -> str:
    """How to run ``name`` (``hf-inference`` or ``python``) of this environment from here.

    The bare name when PATH finds this environment's one, else its path (relative when under
    the current directory, ``.venv/bin/hf-inference`` after the README's command).
    """
    bin_dir = Path(sys.executable).parent
    executable = sys.executable if name == "python" else None
    if executable is None:
        script = bin_dir / (name + ".exe" if os.name == "nt" else name)
        executable = str(script) if script.exists() else None
    if executable is None:  # not installed as a script: the module runs the same CLI
        return f"{command_path('python')} -m hf_inference"
    found = shutil.which(name)
    # Paths compared as they are: a venv's python is a symlink to the base interpreter, but
    # only the venv's path gives the venv's packages.
    if found is not None and _same_path(found, executable):
        return name
    relative = os.path.relpath(executable)
    shown = relative if not relative.startswith("..") else executable
    return shlex.quote(shown)


def _same_path(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


async def _streams(
    client: AsyncInferenceClient, args: argparse.Namespace, out: Output, style: Style
) -> list[Stats]:
    generation = Stats("text generation")
    await _show_stream(
        f"text_generation_stream(model={args.model!r})",
        style.dim(args.prompt),
        client.text_generation_stream(
            args.prompt, model=args.model, parameters={"max_new_tokens": args.tokens}
        ),
        generation_text,
        out,
        style,
        generation,
    )
    chat = Stats("chat completion")
    await _show_stream(
        f"chat_completion_stream(model={args.chat_model!r})",
        f"{style.dim('user:')} {QUESTION}\n{style.dim('assistant:')} ",
        client.chat_completion_stream(
            [{"role": "user", "content": QUESTION}], model=args.chat_model, max_tokens=args.tokens
        ),
        chat_text,
        out,
        style,
        chat,
    )
    return [generation, chat]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hf_inference.demo",
        description="Stream tokens from the bundled local Inference API server "
        "(no token, no network).",
    )
    parser.add_argument("--tokens", type=int, default=40, help="tokens per stream (default 40)")
    parser.add_argument("--model", default="gpt2", help="text-generation model (default gpt2)")
    parser.add_argument("--chat-model", default=CHAT_MODEL, help=f"chat model ({CHAT_MODEL})")
    parser.add_argument("--prompt", default=PROMPT, help="the text-generation prompt")
    parser.add_argument(
        "--delay",
        type=float,
        default=0.03,
        help="seconds the server waits between tokens, so streaming shows (default 0.03)",
    )
    parser.add_argument(
        "--chat", action="store_true", help="a chat session: one message per line, Ctrl-D quits"
    )
    args = parser.parse_args(argv)
    if args.tokens < 1:
        parser.error("--tokens must be at least 1")
    if args.delay < 0:
        parser.error("--delay must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    out = Output()

    async def demo() -> int:
        try:
            return await _demo(args, out)
        except (HfInferenceError, OSError) as exc:
            out.end_line()
            print(error_line(exc), file=sys.stderr, flush=True)
            return EXIT_ERROR
        except asyncio.CancelledError:
            out.end_line()
            print("interrupted", file=sys.stderr, flush=True)
            raise

    return run(demo)


if __name__ == "__main__":
    sys.exit(main())
