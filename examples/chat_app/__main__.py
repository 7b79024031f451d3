"""``python -m examples.chat_app``: serve the chat page and print the URL to open.

Without ``HF_TOKEN`` and ``--model`` the bundled local API server starts in the same process
and answers (no token, no network); with them the page talks to the real Inference API.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import uvicorn

from hf_inference.testing import LocalInferenceServer

from .app import create_app

DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.chat_app", description=__doc__)
    parser.add_argument("--model", help=f"chat model on the real API (default {DEFAULT_MODEL})")
    parser.add_argument("--provider", help="inference provider of the real API (default: auto)")
    parser.add_argument(
        "--local", action="store_true", help="use the local server even with HF_TOKEN"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0: any free port")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument(
        "--token-delay",
        type=float,
        default=0.04,
        help="local server: seconds between tokens, so a reply takes visible time",
    )
    return parser.parse_args(argv)


@contextlib.asynccontextmanager
async def upstream(args: argparse.Namespace) -> AsyncIterator[dict[str, Any]]:
    """The app's options: the local server's (started here) or the real API's."""
    token = os.environ.get("HF_TOKEN")
    if args.local or (token is None and args.model is None):
        async with LocalInferenceServer(token_delay=args.token_delay) as server:
            yield {"base_url": server.base_url, "token": False, "mode": "local server"}
        return
    if token is None:
        print("warning: HF_TOKEN is not set; the API will likely answer 401", file=sys.stderr)
    yield {"token": token, "provider": args.provider, "mode": "Inference API"}


async def serve(args: argparse.Namespace) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    async with upstream(args) as options:
        model = args.model or DEFAULT_MODEL
        app = create_app(model=model, max_tokens=args.max_tokens, **options)
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        host, port = sock.getsockname()[:2]
        print(f"Chat page ({options['mode']}, {model}): open http://{host}:{port}/", flush=True)
        await uvicorn.Server(config).serve([sock])


def main(argv: Sequence[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
