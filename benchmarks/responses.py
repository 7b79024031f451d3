"""Per-event CPU of a Responses API stream against a chat stream of the same text.

Both streams spell the same ``--tokens`` words (load server: ``chat_events`` and
``responses_events``). The Responses stream sends named events (``event:`` + ``data:``), one
text delta per word plus eight framing events; the chat stream one ``data:`` chunk per word.
CPU per token = process time of consuming the whole stream / tokens, median of ``--reps``
passes online (real socket, own event loop) and best of ``--reps`` offline (the recorded
chunks replayed into AsyncStream: parsing alone).

``python -m benchmarks.responses [--tokens N] [--reps N]`` starts a load server, prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .breakdown import _best_us, _drive, _ReplayResponse
from .clients import MODEL


async def _chunks(root: str, path: str, body: dict[str, Any]) -> list[bytes]:
    async with aiohttp.ClientSession() as session, session.post(root + path, json=body) as resp:
        return [chunk async for chunk in resp.content.iter_any()]


def _offline(chunks: list[bytes], tokens: int, reps: int, responses: bool) -> float:
    from hf_inference import types as t
    from hf_inference._responses import _event_decoder, _is_final, resolve_event
    from hf_inference._streaming import AsyncStream
    from hf_inference._tasks import stream_is_complete

    def run() -> None:
        async def opener() -> Any:
            return _ReplayResponse(chunks)

        async def consume() -> None:
            stream: AsyncStream[Any]
            if responses:
                stream = AsyncStream(
                    opener,
                    _event_decoder,
                    is_complete=_is_final,
                    named_payloads=True,
                    resolve=resolve_event,
                )
            else:
                decoder = t.ChatCompletionStreamOutput
                import msgspec

                stream = AsyncStream(
                    opener, msgspec.json.Decoder(decoder), is_complete=stream_is_complete
                )
            async for _ in stream:
                pass

        _drive(consume())

    return _best_us(run, tokens, reps)


async def _online(root: str, tokens: int, reps: int) -> dict[str, float]:
    from hf_inference import AsyncInferenceClient

    messages = [{"role": "user", "content": "Tell me a story"}]
    async with AsyncInferenceClient(
        token=False, base_url=root + "/hf-inference", max_retries=0
    ) as client:

        async def chat() -> None:
            stream = client.chat_completion_stream(messages, model=MODEL, max_tokens=tokens)
            async for _ in stream:
                pass

        async def responses() -> None:
            stream = await client.responses.create(
                model=MODEL, input="Tell me a story", max_output_tokens=tokens, stream=True
            )
            async for _ in stream:
                pass

        async def cpu(make: Callable[[], Awaitable[None]]) -> float:
            await make()  # warm-up
            samples = []
            for _ in range(reps):
                start = time.process_time()
                await make()
                samples.append(time.process_time() - start)
            return statistics.median(samples) / tokens * 1e6

        return {"chat": await cpu(chat), "responses": await cpu(responses)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.load_server", "--port", "0", "--watch-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[-1])
        root = f"http://127.0.0.1:{port}"
        online = asyncio.run(_online(root, args.tokens, args.reps))
        chat_chunks = asyncio.run(
            _chunks(
                root,
                "/v1/chat/completions",
                {"model": MODEL, "messages": [], "max_tokens": args.tokens, "stream": True},
            )
        )
        responses_chunks = asyncio.run(
            _chunks(
                root,
                "/v1/responses",
                {"model": MODEL, "input": "x", "max_output_tokens": args.tokens, "stream": True},
            )
        )
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)
    offline = {
        "chat": _offline(chat_chunks, args.tokens, args.reps, responses=False),
        "responses": _offline(responses_chunks, args.tokens, args.reps, responses=True),
    }
    result = {
        "tokens": args.tokens,
        "us_per_token_online": online,
        "us_per_token_offline": offline,
        "ratio_online": online["responses"] / online["chat"],
        "ratio_offline": offline["responses"] / offline["chat"],
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
