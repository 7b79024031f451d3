"""``python -m hf_inference.testing [--host H] [--port N] [--token T] [--token-delay S]
[--samples DIR] [--as-provider NAME] [--queue-host URL]``.

Prints the server URL on the first line of stdout, and on stderr the ``export`` line that aims
every hf_inference client at it (``HF_INFERENCE_BASE_URL``) and the docs' endpoint examples
(``ENDPOINT_URL``); then serves until SIGINT or SIGTERM. ``--samples DIR`` first writes the
files the docs' examples read (``cats.png``, ``sample1.flac``...) into DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ._media import write_samples
from ._providers import HOSTS
from ._server import LocalInferenceServer


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hf_inference.testing",
        description="Serve the local Hugging Face Inference API until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN'")
    parser.add_argument(
        "--token-delay", type=float, default=0.0, help="seconds between stream events (default 0)"
    )
    parser.add_argument(
        "--samples",
        metavar="DIR",
        help="write the docs' sample inputs (cats.png, sample1.flac...) into DIR first",
    )
    parser.add_argument(
        "--as-provider",
        default=None,
        choices=[host.name for host in HOSTS],
        metavar="HOST",
        help="act as one provider's own host, e.g. fal-ai or fal-ai-queue",
    )
    parser.add_argument(
        "--queue-host", default=None, help="origin of fal's queue URLs in router answers"
    )
    return parser.parse_args(argv)


def aim_line(server: LocalInferenceServer) -> str:
    """The shell line that points hf_inference (and the docs' endpoint examples) at ``server``."""
    return (
        f"export HF_INFERENCE_BASE_URL={server.base_url} HF_ENDPOINT={server.url} "
        f"ENDPOINT_URL={server.endpoint_url('gpt2')}"
    )


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no signal handlers: Ctrl-C still raises KeyboardInterrupt there.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    server = LocalInferenceServer(
        host=args.host,
        port=args.port,
        token=args.token,
        token_delay=args.token_delay,
        as_provider=args.as_provider,
        queue_host=args.queue_host,
    )
    if args.samples is not None:
        names = ", ".join(path.name for path in write_samples(args.samples))
        print(f"wrote {names} into {args.samples}", file=sys.stderr)
    async with server:
        print(server.url, flush=True)
        print(
            f"local Inference API on {server.url} (Ctrl-C to stop). Aim hf_inference at it "
            f"(in the shell you run Python from):\n{aim_line(server)}\n"
            f"(OpenAI SDK: base_url={server.router_url})",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
