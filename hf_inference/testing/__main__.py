"""``python -m hf_inference.testing [--host H] [--port N] [--token T] [--token-delay S]
[--as-provider NAME] [--queue-host URL]``.

Prints the server URL on the first line of stdout, then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

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
    async with server:
        print(server.url, flush=True)
        print(
            f"base_url={server.base_url} router_url={server.router_url} "
            f"endpoint={server.endpoint_url()}",
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
