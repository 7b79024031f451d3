"""The clients under test, behind one small interface.

Each adapter makes the calls a user of that library would make, against the load server, and
checks that it received what was sent (a fast client that drops events must not win). The raw
loops are the practical floor: ``iter_any()``, split on blank lines, one decode per event.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import aiohttp
import msgspec

MODEL = "bench/model"
PROMPT = "Write a long story about a client that streams tokens."
MESSAGES = [{"role": "user", "content": PROMPT}]
JSON_HEADERS = {"Content-Type": "application/json"}


class Unsupported(Exception):
    """This client has no API for the operation."""


# -- the wire shapes the raw loops decode into (as a hand-written client would) ---------------


class _Token(msgspec.Struct):
    id: int
    text: str
    logprob: float | None = None
    special: bool = False


class _StreamDetails(msgspec.Struct):
    finish_reason: str
    generated_tokens: int
    seed: int | None = None
    input_length: int | None = None


class _TgiEvent(msgspec.Struct):
    token: _Token
    index: int = 0
    generated_text: str | None = None
    details: _StreamDetails | None = None


class _Details(msgspec.Struct):
    finish_reason: str
    generated_tokens: int
    seed: int | None = None
    prefill: list[_Token] = []
    tokens: list[_Token] = []


class _Generation(msgspec.Struct):
    generated_text: str
    details: _Details | None = None


class _Delta(msgspec.Struct):
    role: str | None = None
    content: str | None = None


class _ChunkChoice(msgspec.Struct):
    index: int
    delta: _Delta
    logprobs: Any = None
    finish_reason: str | None = None


class _Chunk(msgspec.Struct):
    id: str
    created: int
    model: str
    choices: list[_ChunkChoice]
    object: str = "chat.completion.chunk"
    system_fingerprint: str | None = None
    usage: Any = None


class _Message(msgspec.Struct):
    role: str
    content: str | None = None


class _Choice(msgspec.Struct):
    index: int
    message: _Message
    finish_reason: str | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class _Completion(msgspec.Struct):
    id: str
    created: int
    model: str
    choices: list[_Choice]
    usage: _Usage | None = None


_tgi_decoder = msgspec.json.Decoder(_TgiEvent)
_chunk_decoder = msgspec.json.Decoder(_Chunk)
_generation_decoder = msgspec.json.Decoder(list[_Generation])
_completion_decoder = msgspec.json.Decoder(_Completion)
_matrix_decoder = msgspec.json.Decoder(list[list[float]])
_encode = msgspec.json.encode


class _ResponsesEvent(msgspec.Struct):
    type: str
    delta: str | None = None


_responses_event = msgspec.json.Decoder(_ResponsesEvent)


def _check(count: int, tokens: int, final: object) -> int:
    if count != tokens or not final:
        raise AssertionError(f"received {count} of {tokens} events (final event: {final!r})")
    return count


# -- adapters ----------------------------------------------------------------------------------


class Client:
    """One library; ``open`` builds it for a run (with the run's extra headers)."""

    name = ""
    label = ""
    module = "aiohttp"

    def __init__(self) -> None:
        self.root = ""
        self.headers: dict[str, str] = {}

    @property
    def model_url(self) -> str:
        return f"{self.root}/hf-inference/models/{MODEL}"

    def version(self) -> str:
        return str(getattr(importlib.import_module(self.module), "__version__", "?"))

    async def open(self, root: str, headers: dict[str, str]) -> None:
        self.root = root
        self.headers = headers

    async def close(self) -> None:
        pass

    async def tgi_stream(self, tokens: int) -> int:
        raise Unsupported("no TGI text-generation stream API")

    async def chat_stream(self, tokens: int) -> int:
        raise Unsupported("no chat completion API")

    async def responses_stream(self, tokens: int) -> int:
        raise Unsupported("no Responses API")

    async def generate(self, tokens: int) -> None:
        raise Unsupported("no text-generation API")

    async def chat(self, tokens: int) -> None:
        raise Unsupported("no chat completion API")

    async def embed(self) -> int:
        raise Unsupported("no feature-extraction API")

    async def image(self) -> int:
        raise Unsupported("no text-to-image API returning bytes")

    def decode_only(self, body: bytes) -> int:
        raise Unsupported("no bare decoder")


class RawMsgspec(Client):
    """aiohttp + msgspec by hand: the practical limit for a Python client."""

    name = "raw-msgspec"
    label = "raw aiohttp + msgspec"

    async def open(self, root: str, headers: dict[str, str]) -> None:
        await super().open(root, headers)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), headers=headers
        )

    async def close(self) -> None:
        await self.session.close()

    def _post(self, url: str, payload: dict[str, Any], **headers: str) -> Any:
        return self.session.post(url, data=_encode(payload), headers={**JSON_HEADERS, **headers})

    async def tgi_stream(self, tokens: int) -> int:
        payload = {
            "inputs": PROMPT,
            "parameters": {"max_new_tokens": tokens, "details": True},
            "stream": True,
        }
        count = 0
        last = None
        async with self._post(self.model_url, payload) as response:
            response.raise_for_status()
            decode = self._tgi
            tail = b""
            async for chunk in response.content.iter_any():
                if tail:
                    chunk = tail + chunk
                events = chunk.split(b"\n\n")
                tail = events.pop()
                for event in events:
                    if event[:5] == b"data:":
                        last = decode(event[5:])
                        count += 1
        return _check(count, tokens, last is not None and self._text_of(last))

    async def chat_stream(self, tokens: int) -> int:
        payload = {"model": MODEL, "messages": MESSAGES, "max_tokens": tokens, "stream": True}
        count = 0
        done = False
        async with self._post(f"{self.model_url}/v1/chat/completions", payload) as response:
            response.raise_for_status()
            decode = self._chunk
            tail = b""
            async for chunk in response.content.iter_any():
                if tail:
                    chunk = tail + chunk
                events = chunk.split(b"\n\n")
                tail = events.pop()
                for event in events:
                    if event[:5] == b"data:":
                        data = event[5:]
                        if data[:7] in (b" [DONE]", b"[DONE]"):
                            done = True
                            break
                        decode(data)
                        count += 1
        return _check(count, tokens, done)

    async def responses_stream(self, tokens: int) -> int:
        """Named events: split, find the data line, decode each into one generic struct."""
        payload = {"model": MODEL, "input": PROMPT, "max_output_tokens": tokens, "stream": True}
        count = 0
        done = False
        async with self._post(f"{self.root}/v1/responses", payload) as response:
            response.raise_for_status()
            decode = _responses_event.decode
            tail = b""
            async for chunk in response.content.iter_any():
                if tail:
                    chunk = tail + chunk
                events = chunk.split(b"\n\n")
                tail = events.pop()
                for event in events:
                    start = event.find(b"\ndata:") + 6
                    if start > 5:
                        kind = decode(event[start:]).type
                        if kind == "response.output_text.delta":
                            count += 1
                        elif kind == "response.completed":
                            done = True
        return _check(count, tokens, done)

    async def generate(self, tokens: int) -> None:
        payload = {"inputs": PROMPT, "parameters": {"max_new_tokens": tokens, "details": True}}
        async with self._post(self.model_url, payload) as response:
            response.raise_for_status()
            self._generation(await response.read())

    async def chat(self, tokens: int) -> None:
        payload = {"model": MODEL, "messages": MESSAGES, "max_tokens": tokens}
        async with self._post(f"{self.model_url}/v1/chat/completions", payload) as response:
            response.raise_for_status()
            self._completion(await response.read())

    async def embed(self) -> int:
        url = f"{self.model_url}/pipeline/feature-extraction"
        async with self._post(url, {"inputs": PROMPT}) as response:
            response.raise_for_status()
            return len(self._matrix(await response.read()))

    async def image(self) -> int:
        async with self._post(self.model_url, {"inputs": PROMPT}, Accept="image/png") as response:
            response.raise_for_status()
            return len(await response.read())

    def decode_only(self, body: bytes) -> int:
        return len(self._matrix(body))

    # The decoding steps, overridden by the json variant.
    _tgi = staticmethod(_tgi_decoder.decode)
    _chunk = staticmethod(_chunk_decoder.decode)
    _generation = staticmethod(_generation_decoder.decode)
    _completion = staticmethod(_completion_decoder.decode)
    _matrix = staticmethod(_matrix_decoder.decode)

    @staticmethod
    def _text_of(event: Any) -> Any:
        return event.generated_text


class RawJson(RawMsgspec):
    """The same loop with the standard library's json into dicts."""

    name = "raw-json"
    label = "raw aiohttp + json"
    _tgi = staticmethod(json.loads)
    _chunk = staticmethod(json.loads)
    _generation = staticmethod(json.loads)
    _completion = staticmethod(json.loads)
    _matrix = staticmethod(json.loads)

    @staticmethod
    def _text_of(event: Any) -> Any:
        return event["generated_text"]


class HfInference(Client):
    name = "hf_inference"
    label = "hf_inference"
    module = "hf_inference"

    async def open(self, root: str, headers: dict[str, str]) -> None:
        from hf_inference import AsyncInferenceClient

        await super().open(root, headers)
        self.client = AsyncInferenceClient(
            token=False,
            base_url=f"{root}/hf-inference",
            model=MODEL,
            headers=headers,
            max_connections=4096,
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def tgi_stream(self, tokens: int) -> int:
        count = 0
        last = None
        parameters = {"max_new_tokens": tokens, "details": True}
        async for event in self.client.text_generation_stream(PROMPT, parameters=parameters):
            count += 1
            last = event
        return _check(count, tokens, last is not None and last.generated_text)

    async def chat_stream(self, tokens: int) -> int:
        count = 0
        async for _ in self.client.chat_completion_stream(MESSAGES, max_tokens=tokens):
            count += 1
        return _check(count, tokens, True)

    async def responses_stream(self, tokens: int) -> int:
        from hf_inference.types import ResponseCompletedEvent, ResponseTextDeltaEvent

        count = 0
        last = None
        stream = await self.client.responses.create(
            input=PROMPT, max_output_tokens=tokens, stream=True
        )
        async for event in stream:
            if isinstance(event, ResponseTextDeltaEvent):
                count += 1
            last = event
        return _check(count, tokens, isinstance(last, ResponseCompletedEvent))

    async def generate(self, tokens: int) -> None:
        parameters = {"max_new_tokens": tokens, "details": True}
        out = await self.client.text_generation(PROMPT, parameters=parameters)
        assert out.details is not None

    async def chat(self, tokens: int) -> None:
        out = await self.client.chat_completion(MESSAGES, max_tokens=tokens)
        assert out.choices

    async def embed(self) -> int:
        return len(await self.client.feature_extraction(PROMPT))

    async def image(self) -> int:
        out = await self.client.text_to_image(PROMPT)
        return len(out.data)


class HuggingfaceHub(Client):
    name = "huggingface_hub"
    label = "huggingface_hub AsyncInferenceClient"
    module = "huggingface_hub"

    def _client(self, url: str) -> Any:
        from huggingface_hub import AsyncInferenceClient

        return AsyncInferenceClient(url, token="hf_bench", headers=self.headers)

    async def open(self, root: str, headers: dict[str, str]) -> None:
        await super().open(root, headers)
        self.client = self._client(self.model_url)

    async def close(self) -> None:
        await self.client.close()

    async def tgi_stream(self, tokens: int) -> int:
        count = 0
        last = None
        stream = await self.client.text_generation(
            PROMPT, stream=True, details=True, max_new_tokens=tokens
        )
        async for event in stream:
            count += 1
            last = event
        return _check(count, tokens, last is not None and last.generated_text)

    async def chat_stream(self, tokens: int) -> int:
        count = 0
        stream = await self.client.chat_completion(MESSAGES, stream=True, max_tokens=tokens)
        async for _ in stream:
            count += 1
        return _check(count, tokens, True)

    async def generate(self, tokens: int) -> None:
        out = await self.client.text_generation(PROMPT, details=True, max_new_tokens=tokens)
        assert out.details is not None

    async def chat(self, tokens: int) -> None:
        out = await self.client.chat_completion(MESSAGES, max_tokens=tokens)
        assert out.choices

    async def embed(self) -> int:
        client = self._client(f"{self.model_url}/pipeline/feature-extraction")
        try:
            return len(await client.feature_extraction(PROMPT))
        finally:
            await client.close()


class TextGeneration(Client):
    name = "text_generation"
    label = "text_generation AsyncClient (TGI)"
    module = "text_generation"

    def version(self) -> str:
        from importlib.metadata import version

        return version("text-generation")

    async def open(self, root: str, headers: dict[str, str]) -> None:
        from text_generation import AsyncClient

        await super().open(root, headers)
        # Its routes are relative to the endpoint root: POST {base} (stream flag in the body)
        # and {base}/v1/chat/completions. Its default 10 s total timeout would cut paced runs.
        self.client = AsyncClient(self.model_url, headers=headers, timeout=600)

    async def tgi_stream(self, tokens: int) -> int:
        count = 0
        last = None
        async for event in self.client.generate_stream(PROMPT, max_new_tokens=tokens):
            count += 1
            last = event
        return _check(count, tokens, last is not None and last.generated_text)

    async def chat_stream(self, tokens: int) -> int:
        # Its ChoiceDelta model requires a `tool_calls` key that TGI never sends in a text
        # delta (recorded TGI 1.4 and 3.x chunks alike), so every real chunk fails validation.
        raise Unsupported("fails on real TGI chat chunks (its ChoiceDelta requires tool_calls)")

    async def generate(self, tokens: int) -> None:
        out = await self.client.generate(PROMPT, max_new_tokens=tokens)
        assert out.details is not None

    async def chat(self, tokens: int) -> None:
        from text_generation.types import Message

        out = await self.client.chat([Message(role="user", content=PROMPT)], max_tokens=tokens)
        assert out.choices


class OpenAI(Client):
    name = "openai"
    label = "openai AsyncOpenAI"
    module = "openai"

    async def open(self, root: str, headers: dict[str, str]) -> None:
        from openai import AsyncOpenAI

        await super().open(root, headers)
        self.client = AsyncOpenAI(
            base_url=f"{self.model_url}/v1",
            api_key="hf_bench",
            max_retries=0,
            default_headers=headers,
        )

    async def close(self) -> None:
        await self.client.close()

    async def chat_stream(self, tokens: int) -> int:
        count = 0
        stream = await self.client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            max_tokens=tokens,
            stream=True,
        )
        async for _ in stream:
            count += 1
        return _check(count, tokens, True)

    async def responses_stream(self, tokens: int) -> int:
        count = 0
        done = False
        stream = await self.client.responses.create(
            model=MODEL, input=PROMPT, max_output_tokens=tokens, stream=True
        )
        async for event in stream:
            if event.type == "response.output_text.delta":
                count += 1
            elif event.type == "response.completed":
                done = True
        return _check(count, tokens, done)

    async def chat(self, tokens: int) -> None:
        out = await self.client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            max_tokens=tokens,
        )
        assert out.choices


CLIENTS: dict[str, type[Client]] = {
    cls.name: cls
    for cls in (RawMsgspec, RawJson, HfInference, HuggingfaceHub, TextGeneration, OpenAI)
}
