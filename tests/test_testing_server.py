"""The local Inference API server, driven over real sockets with a plain aiohttp client."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import struct
import sys
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from hf_inference.testing import (
    BrokenChunked,
    Drop,
    ErrorEvent,
    LocalInferenceServer,
    Reply,
    Stall,
)
from hf_inference.testing._media import crc8, crc16, png
from hf_inference.testing.plugin import local_inference_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio

PNG_64x48 = png(64, 48, seed=7)
FLAC_BYTES = b"fLaC" + bytes(64)


@pytest.fixture
async def srv() -> AsyncIterator[LocalInferenceServer]:
    async with LocalInferenceServer() as server:
        yield server


@pytest.fixture
async def http(srv: LocalInferenceServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Answer:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def media(self) -> str:
        return str(self.headers.get("Content-Type", "")).split(";")[0]

    def events(self) -> list[bytes]:
        """The SSE data payloads, in order (comment lines dropped)."""
        out = []
        for block in self.body.split(b"\n\n"):
            if block.startswith(b"data:"):
                out.append(block[5:].lstrip(b" "))
        return out


async def call(
    http: aiohttp.ClientSession, url: str, method: str = "POST", **kwargs: Any
) -> Answer:
    async with http.request(method, url, **kwargs) as response:
        return Answer(response.status, response.headers, await response.read())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    channels = 3 if data[25] == 2 else 1
    assert len(raw) == height * (1 + width * channels)
    return width, height


# -- every task, in its real envelope ---------------------------------------------------------


def _labels_scores(body: Any) -> None:
    assert isinstance(body, list)
    assert body
    assert all(set(item) == {"label", "score"} for item in body)
    scores = [item["score"] for item in body]
    assert scores == sorted(scores, reverse=True)


def _fill_mask(body: Any) -> None:
    assert len(body) == 5
    for item in body:
        assert set(item) == {"score", "token", "token_str", "sequence"}
        assert item["sequence"] == f"Paris is the {item['token_str']} of France."


def _image_answer(body: bytes, media: str) -> None:
    assert media == "image/png"
    assert png_size(body) == (32, 16)


def _check_segmentation(body: Any) -> None:
    assert body
    assert all(set(s) == {"score", "label", "mask"} for s in body)
    assert png_size(base64.b64decode(body[0]["mask"])) == (64, 48)


def _check_detection(body: Any) -> None:
    assert body
    for item in body:
        box = item["box"]
        assert set(item) == {"score", "label", "box"}
        assert 0 <= box["xmin"] < box["xmax"] <= 64
        assert 0 <= box["ymin"] < box["ymax"] <= 48


TASK_CASES: list[tuple[str, dict[str, Any], Callable[[Any], None]]] = [
    (
        "google-bert/bert-base-uncased",
        {"json": {"inputs": "Paris is the [MASK] of France."}},
        _fill_mask,
    ),
    (
        "sshleifer/distilbart-cnn-12-6",
        {"json": {"inputs": "One. Two. Three. Four."}},
        lambda b: b == [{"summary_text": "One. Two."}],
    ),
    (
        "t5-small",
        {"json": {"inputs": "Hello world"}},
        lambda b: b == [{"translation_text": "Hallo Welt"}],
    ),
    (
        "t5-base",
        {"json": {"inputs": ["Hello", "world"]}},
        lambda b: b == [{"translation_text": "Hallo"}, {"translation_text": "Welt"}],
    ),
    (
        "deepset/roberta-base-squad2",
        {
            "json": {
                "inputs": {"question": "Capital?", "context": "The capital of France is Paris."}
            }
        },
        lambda b: (b["answer"], b["start"], b["end"]) == ("Paris", 25, 30) and 0 < b["score"] < 1,
    ),
    (
        "google/tapas-base-finetuned-wtq",
        {
            "json": {
                "inputs": {
                    "query": "How many stars?",
                    "table": {"Repo": ["a", "b"], "Stars": ["36542", "4512"]},
                }
            }
        },
        lambda b: (
            b
            == {
                "answer": "AVERAGE > 36542",
                "coordinates": [[0, 1]],
                "cells": ["36542"],
                "aggregator": "AVERAGE",
            }
        ),
    ),
    (
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        {"json": {"inputs": "I like you"}},
        lambda b: len(b) == 1 and [x["label"] for x in b[0]] == ["POSITIVE", "NEGATIVE"],
    ),
    (
        "dbmdz/bert-large-cased-finetuned-conll03-english",
        {"json": {"inputs": "My name is Sarah Jessica Parker but you can call me Jessica"}},
        lambda b: (
            [(e["entity_group"], e["word"], e["start"], e["end"]) for e in b]
            == [("PER", "Sarah Jessica Parker", 11, 31), ("PER", "Jessica", 52, 59)]
        ),
    ),
    (
        "facebook/bart-large-mnli",
        {
            "json": {
                "inputs": "I want a refund",
                "parameters": {"candidate_labels": ["faq", "refund"]},
            }
        },
        lambda b: (
            b["sequence"] == "I want a refund"
            and b["labels"] == ["refund", "faq"]
            and abs(sum(b["scores"]) - 1) < 1e-9
        ),
    ),
    (
        "facebook/bart-large-mnli",
        {"json": {"inputs": ["a", "b"], "parameters": {"candidate_labels": "x, y"}}},
        lambda b: [r["sequence"] for r in b] == ["a", "b"] and set(b[0]["labels"]) == {"x", "y"},
    ),
    (
        "sentence-transformers/all-MiniLM-L6-v2/pipeline/sentence-similarity",
        {
            "json": {
                "inputs": {
                    "source_sentence": "a happy dog",
                    "sentences": ["a happy dog", "a sad cat", "the sky"],
                }
            }
        },
        lambda b: len(b) == 3 and abs(b[0] - 1) < 1e-9 and b[1] < 1,
    ),
    (
        "sentence-transformers/all-MiniLM-L6-v2",
        {"json": {"inputs": "Hi, who are you?"}},
        lambda b: len(b) == 384 and all(isinstance(x, float) for x in b),
    ),
    (
        "sentence-transformers/all-MiniLM-L6-v2",
        {"json": {"inputs": ["a", "b c"]}},
        lambda b: [len(v) for v in b] == [384, 384],
    ),
    (
        "facebook/bart-base",
        {"json": {"inputs": "Hi there"}},
        lambda b: len(b) == 1 and len(b[0]) == 4 and len(b[0][0]) == 768,
    ),
    (
        "facebook/bart-base",
        {"json": {"inputs": ["hello", "That is a happy person"]}},
        lambda b: [len(x[0]) for x in b] == [3, 7],
    ),
    (
        "sentence-transformers/paraphrase-xlm-r-multilingual-v1",
        {"json": {"inputs": {"source_sentence": "a", "sentences": ["a", "b"]}}},
        lambda b: len(b) == 2 and all(isinstance(x, float) for x in b),
    ),
    (
        "facebook/wav2vec2-base-960h",
        {"data": FLAC_BYTES, "headers": {"Content-Type": "audio/flac"}},
        lambda b: set(b) == {"text"} and bool(b["text"]),
    ),
    (
        "facebook/wav2vec2-base-960h",
        {"json": {"inputs": b64(FLAC_BYTES), "parameters": {"return_timestamps": True}}},
        lambda b: " ".join(c["text"].strip() for c in b["chunks"]) == b["text"],
    ),
    ("superb/hubert-large-superb-er", {"json": {"inputs": b64(FLAC_BYTES)}}, _labels_scores),
    (
        "speechbrain/sepformer-wham",
        {"data": FLAC_BYTES},
        lambda b: (
            [set(x) for x in b] == [{"label", "blob", "content-type"}] * 2
            and base64.b64decode(b[0]["blob"]).startswith(b"fLaC")
        ),
    ),
    (
        "google/vit-base-patch16-224",
        {"data": PNG_64x48},
        lambda b: _labels_scores(b) is None and len(b) == 5,
    ),
    (
        "google/vit-base-patch16-224",
        {"json": {"inputs": b64(PNG_64x48), "parameters": {"top_k": 2}}},
        lambda b: len(b) == 2,
    ),
    ("facebook/detr-resnet-50", {"data": PNG_64x48}, _check_detection),
    ("facebook/detr-resnet-50-panoptic", {"data": PNG_64x48}, _check_segmentation),
    (
        "Salesforce/blip-image-captioning-base",
        {"data": PNG_64x48},
        lambda b: len(b) == 1 and set(b[0]) == {"generated_text"},
    ),
    (
        "openai/clip-vit-base-patch32",
        {"json": {"inputs": b64(PNG_64x48), "parameters": {"candidate_labels": ["cat", "dog"]}}},
        lambda b: sorted(x["label"] for x in b) == ["cat", "dog"],
    ),
    (
        "dandelin/vilt-b32-finetuned-vqa",
        {"json": {"inputs": {"image": b64(PNG_64x48), "question": "How many cats?"}}},
        lambda b: [x["answer"] for x in b] == ["2", "3", "1", "4", "5"],
    ),
    (
        "dandelin/vilt-b32-finetuned-vqa",
        {"json": {"image": b64(PNG_64x48), "question": "Who is there?"}},
        lambda b: len(b) == 5 and all(set(x) == {"score", "answer"} for x in b),
    ),
    (
        "impira/layoutlm-document-qa",
        {"json": {"inputs": {"image": b64(PNG_64x48), "question": "Invoice number?"}}},
        lambda b: len(b) == 1 and set(b[0]) == {"score", "answer", "start", "end"},
    ),
    (
        "naver-clova-ix/donut-base-finetuned-docvqa",
        {"json": {"inputs": {"image": b64(PNG_64x48), "question": "Amount?"}}},
        lambda b: len(b) == 1 and set(b[0]) == {"answer"},
    ),
    (
        "scikit-learn/Fish-Weight",
        {"json": {"inputs": {"data": {"Height": ["11.52", "12.48"], "Width": ["4", "4.5"]}}}},
        lambda b: b == pytest.approx([123.28, 125.47]),
    ),
    (
        "vvmnnnkv/wine-quality",
        {"json": {"inputs": {"data": {"a": ["7.4", "7.8", "10.3"], "b": ["0.7", "0.88", "0.3"]}}}},
        lambda b: len(b) == 3 and all(isinstance(x, int) for x in b),
    ),
    (
        "facebook/blenderbot-400M-distill",
        {"json": {"inputs": {"text": "Hi", "past_user_inputs": [], "generated_responses": []}}},
        lambda b: b["conversation"]["past_user_inputs"] == ["Hi"] and bool(b["generated_text"]),
    ),
]


@pytest.mark.parametrize(
    ("model", "request_kwargs", "check"),
    TASK_CASES,
    ids=[f"{i}-{case[0].split('/')[-1]}" for i, case in enumerate(TASK_CASES)],
)
async def test_every_task_answers_in_its_envelope(
    srv: LocalInferenceServer,
    http: aiohttp.ClientSession,
    model: str,
    request_kwargs: dict[str, Any],
    check: Callable[[Any], Any],
) -> None:
    answer = await call(http, f"{srv.base_url}/models/{model}", **request_kwargs)
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == "application/json"
    assert check(answer.json) in (True, None)
    again = await call(http, f"{srv.base_url}/models/{model}", **request_kwargs)
    assert again.body == answer.body  # deterministic


async def test_binary_answers(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    image = await call(
        http,
        f"{srv.base_url}/models/CompVis/stable-diffusion-v1-4",
        json={"inputs": "an astronaut", "parameters": {"width": 32, "height": 16}},
        headers={"Accept": "image/png"},
    )
    assert image.status == 200
    _image_answer(image.body, image.media)

    edited = await call(
        http,
        f"{srv.base_url}/models/timbrooks/instruct-pix2pix",
        json={"inputs": b64(PNG_64x48), "parameters": {"prompt": "make it blue"}},
    )
    assert edited.media == "image/png"
    assert png_size(edited.body) == (64, 48)

    speech = await call(
        http, f"{srv.base_url}/models/espnet/kan-bayashi_ljspeech_vits", json={"inputs": "Hi"}
    )
    assert speech.media == "audio/flac"
    assert_valid_flac(speech.body)

    wav = await call(
        http,
        f"{srv.base_url}/models/espnet/kan-bayashi_ljspeech_vits",
        json={"inputs": "Hi"},
        headers={"Accept": "audio/wav"},
    )
    assert wav.media == "audio/wav"
    assert wav.body[:4] == b"RIFF"
    assert wav.body[8:12] == b"WAVE"


def assert_valid_flac(data: bytes) -> None:
    assert data[:4] == b"fLaC"
    assert data[4] == 0x80
    assert data[5:8] == b"\x00\x00\x22"
    info = int.from_bytes(data[18:26], "big")
    assert info >> 44 == 16000
    assert (info >> 36) & 0x1F == 15
    total, offset = info & (2**36 - 1), 42
    decoded = 0
    while offset < len(data):
        assert data[offset : offset + 2] == b"\xff\xf8"
        size = int.from_bytes(data[offset + 5 : offset + 7], "big") + 1
        assert crc8(data[offset : offset + 7]) == data[offset + 7]
        end = offset + 8 + 1 + 2 * size
        assert crc16(data[offset:end]) == int.from_bytes(data[end : end + 2], "big")
        decoded += size
        offset = end + 2
    assert decoded == total


def test_flac_checksums_match_known_answers() -> None:
    # Check values of CRC-8 (poly 0x07) and CRC-16/BUYPASS (poly 0x8005), as FLAC uses.
    assert crc8(b"123456789") == 0xF4
    assert crc16(b"123456789") == 0xFEE8


def test_png_decodes_with_pillow() -> None:
    image_module = pytest.importorskip("PIL.Image")
    import io

    with image_module.open(io.BytesIO(PNG_64x48)) as image:
        image.load()
        assert image.size == (64, 48)


# -- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "request_kwargs", "expected"),
    [
        (
            "/hf-inference/models/task/fill-mask/my-model",
            {"json": {"inputs": "a [MASK]"}},
            "token_str",
        ),
        ("/models/google-bert/bert-base-uncased", {"json": {"inputs": "a [MASK]"}}, "token_str"),
        (
            "/api/inference-proxy/hf-inference/models/bert-base-uncased",
            {"json": {"inputs": "a [MASK]"}},
            "token_str",
        ),
        ("/pipeline/fill-mask/some/unknown-model", {"json": {"inputs": "a [MASK]"}}, "token_str"),
        (
            "/hf-inference/models/some/unknown",
            {"json": {"inputs": "a", "parameters": {}}, "headers": {"x-hf-task": "summarization"}},
            "summary_text",
        ),
        ("/hf-inference/models/acme/my-tgi-model", {"json": {"inputs": "a"}}, "generated_text"),
        ("/hf-inference/models/acme/thing", {"data": PNG_64x48}, "label"),
        (
            "/hf-inference/models/acme/thing",
            {"json": {"inputs": {"question": "q", "context": "c d"}}},
            "answer",
        ),
        ("/hf-inference/models/acme/thing", {"json": {"inputs": "x [MASK] y"}}, "token_str"),
        (
            "/hf-inference/models/acme/thing",
            {"json": {"inputs": {"source_sentence": "a", "sentences": ["b"]}}},
            None,
        ),
    ],
)
async def test_task_routing_rules(
    srv: LocalInferenceServer,
    http: aiohttp.ClientSession,
    path: str,
    request_kwargs: dict[str, Any],
    expected: str | None,
) -> None:
    answer = await call(http, srv.url + path, **request_kwargs)
    assert answer.status == 200, answer.body
    body = answer.json
    first = body[0] if isinstance(body, list) else body
    if expected is None:
        assert isinstance(first, float)
    else:
        assert expected in first


# -- text generation (TGI) --------------------------------------------------------------------


async def test_generate_envelopes_differ_per_route(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    body = {"inputs": "test", "parameters": {"max_new_tokens": 3, "details": True}}
    serverless = await call(http, f"{srv.base_url}/models/gpt2", json=body)
    generate = await call(http, srv.endpoint_url("tgi") + "/generate", json=body)
    root = await call(http, srv.endpoint_url("tgi"), json=body)
    assert serverless.headers["x-generated-tokens"] == "3"
    assert isinstance(serverless.json, list)
    assert isinstance(root.json, list)
    assert generate.json == serverless.json[0] == root.json[0]
    details = generate.json["details"]
    assert details["finish_reason"] == "length"
    assert details["generated_tokens"] == 3
    assert details["seed"] is None
    assert details["prefill"] == []
    assert "".join(t["text"] for t in details["tokens"]) == generate.json["generated_text"]
    assert set(details["tokens"][0]) == {"id", "text", "logprob", "special"}
    plain = await call(http, f"{srv.base_url}/models/gpt2", json={"inputs": "test"})
    assert list(plain.json[0]) == ["generated_text"]


async def test_generate_parameters(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    url = f"{srv.base_url}/models/gpt2"

    async def gen(**params: Any) -> Any:
        return (await call(http, url, json={"inputs": "hello there", "parameters": params})).json

    assert len((await gen())[0]["generated_text"].split()) <= 20
    assert await gen(seed=1) == await gen(seed=1) != await gen(seed=2)
    full = (await gen(return_full_text=True, max_new_tokens=2))[0]["generated_text"]
    assert full.startswith("hello there")
    best = (await gen(best_of=2, do_sample=True, details=True, decoder_input_details=True))[0]
    assert best["details"]["seed"] >= 0
    assert len(best["details"]["best_of_sequences"]) == 1
    assert best["details"]["prefill"][0]["logprob"] is None
    tokens = (await gen(details=True, max_new_tokens=64))[0]["details"]["tokens"]
    stop = tokens[5]["text"]
    stopped = (await gen(details=True, max_new_tokens=64, stop=[stop]))[0]
    assert stopped["details"]["finish_reason"] == "stop_sequence"
    assert stopped["generated_text"].endswith(stop)
    grammar = {"type": "json", "value": {"properties": {"n": {"type": "integer"}}}}
    assert json.loads((await gen(grammar=grammar, max_new_tokens=50))[0]["generated_text"]) == {
        "n": 1
    }
    top = (await gen(details=True, top_n_tokens=3, max_new_tokens=2))[0]["details"]
    assert [len(t) for t in top["top_tokens"]] == [3, 3]


async def test_generate_stream_is_tgi_sse(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    body = {"inputs": "hi", "parameters": {"max_new_tokens": 4, "details": True}, "stream": True}
    answer = await call(http, f"{srv.base_url}/models/gpt2", json=body)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/event-stream"
    assert answer.body.startswith(b"data:{")
    assert answer.body.endswith(b"}\n\n")
    assert b"[DONE]" not in answer.body
    events = [json.loads(e) for e in answer.events()]
    assert [e["index"] for e in events] == [1, 2, 3, 4]
    assert all(e["generated_text"] is None and e["details"] is None for e in events[:-1])
    last = events[-1]
    assert last["generated_text"] == "".join(e["token"]["text"] for e in events)
    assert last["details"] == {
        "finish_reason": "length",
        "generated_tokens": 4,
        "seed": None,
        "input_length": 1,
    }
    no_details = await call(
        http, f"{srv.base_url}/models/gpt2", json={"inputs": "hi", "stream": True}
    )
    assert json.loads(no_details.events()[-1])["details"] is None
    for url, payload in [
        (srv.endpoint_url() + "/generate_stream", {"inputs": "hi"}),
        (srv.endpoint_url(), {"inputs": "hi", "stream": True}),
    ]:
        other = await call(http, url, json=payload)
        assert other.media == "text/event-stream"
        assert len(other.events()) == 20


async def test_sse_knobs(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    body = {"inputs": "hi", "parameters": {"max_new_tokens": 5}, "stream": True}
    url = f"{srv.base_url}/models/gpt2"
    spaced = await call(http, url + "?sse_space=1", json=body)
    assert spaced.body.startswith(b"data: {")
    kept = await call(http, url, json=body, headers={"x-test-keepalive": "2"})
    assert kept.body.count(b": keep-alive\n\n") == 3
    assert len(kept.events()) == 5
    async with http.post(url, json=body, headers={"x-test-token-delay": "0.02"}) as response:
        chunks = [chunk async for chunk in response.content.iter_any()]
    assert b"".join(chunks) == (await call(http, url, json=body)).body
    assert len(chunks) >= 3  # paced: events arrive in separate reads


async def test_long_stream_is_cheap(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    body = {"inputs": "go", "parameters": {"max_new_tokens": 20_000}, "stream": True}
    answer = await call(http, srv.endpoint_url() + "/generate_stream", json=body)
    events = answer.events()
    assert len(events) == 20_000
    assert json.loads(events[-1])["index"] == 20_000


async def test_tgi_validation_errors(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    url = f"{srv.base_url}/models/gpt2"
    too_many = {"inputs": "hi", "parameters": {"max_new_tokens": 2_000_000}}
    answer = await call(http, url, json=too_many)
    assert answer.status == 422
    assert answer.json["error_type"] == "validation"
    assert answer.json["error"].startswith("Input validation error: `inputs` tokens")
    in_band = await call(http, url, json={**too_many, "stream": True})
    assert in_band.status == 200
    assert in_band.media == "text/event-stream"
    assert json.loads(in_band.events()[0])["error_type"] == "validation"
    best_of = {"inputs": "hi", "parameters": {"best_of": 2, "do_sample": True}}
    streamed = await call(http, srv.endpoint_url() + "/generate_stream", json=best_of)
    assert "best_of" in json.loads(streamed.events()[0])["error"]
    missing = await call(http, srv.endpoint_url() + "/generate", json={"parameters": {}})
    assert missing.status == 422
    assert missing.media == "text/plain"
    assert b"missing field `inputs`" in missing.body


async def test_non_tgi_model_rejects_tgi_parameters(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    url = f"{srv.base_url}/models/acme/gpt2-non-tgi"
    answer = await call(http, url, json={"inputs": "0 1 2", "parameters": {"stop": []}})
    assert answer.status == 400
    assert "model_kwargs" in answer.json["error"]
    assert answer.json["warnings"]
    ok = await call(http, url, json={"inputs": "0 1 2", "parameters": {"max_new_tokens": 2}})
    assert ok.json[0]["generated_text"].startswith("0 1 2")


# -- chat completions -------------------------------------------------------------------------

CHAT = {
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is deep learning?"},
    ]
}


async def test_chat_completion(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    url = f"{srv.base_url}/models/meta-llama/Llama-3.1-8B-Instruct/v1/chat/completions"
    answer = await call(http, url, json={**CHAT, "max_tokens": 6})
    body = answer.json
    assert answer.headers["Content-Type"] == "application/json"
    assert body["object"] == "chat.completion"
    assert body["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert set(body) == {
        "object",
        "id",
        "created",
        "model",
        "system_fingerprint",
        "choices",
        "usage",
    }
    choice = body["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["logprobs"] is None
    # An answer, not the question repeated (what the demo shows a newcomer first).
    assert not choice["message"]["content"].startswith("What")
    assert choice["message"]["content"] == "Here is a short answer about"  # max_tokens 6
    assert body["usage"]["completion_tokens"] == 6
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 6
    natural = (await call(http, url, json=CHAT)).json["choices"][0]
    assert natural["finish_reason"] == "stop"


async def test_chat_stream(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    url = srv.endpoint_url() + "/v1/chat/completions"
    body = {**CHAT, "max_tokens": 5, "stream": True, "stream_options": {"include_usage": True}}
    answer = await call(http, url, json=body)
    assert answer.media == "text/event-stream"
    assert answer.body.startswith(b"data: {")
    events = answer.events()
    assert events[-1] == b"[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    content = chunks[:-1]
    assert [c["choices"][0]["finish_reason"] for c in content] == [None] * 4 + ["length"]
    assert all(c["choices"][0]["delta"]["role"] == "assistant" for c in content)
    usage = chunks[-1]
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == 5
    joined = "".join(c["choices"][0]["delta"]["content"] for c in content)
    plain = await call(http, url, json={**CHAT, "max_tokens": 5})
    assert joined == plain.json["choices"][0]["message"]["content"]
    tight = await call(http, url + "?sse_space=0", json={**CHAT, "stream": True})
    assert tight.body.startswith(b"data:{")


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "format": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 3},
                },
            },
        },
    },
    {"type": "function", "function": {"name": "other", "parameters": {"type": "object"}}},
]
WEATHER = {
    "messages": [{"role": "user", "content": "What's the weather in San Francisco?"}],
    "tools": TOOLS,
}
EXPECTED_ARGS = {"location": "San Francisco", "format": "celsius", "days": 3}


async def test_chat_tool_calls(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    url = f"{srv.base_url}/models/meta-llama/Llama-3.1-8B-Instruct/v1/chat/completions"
    message = (await call(http, url, json=WEATHER)).json["choices"][0]["message"]
    assert message["content"] is None
    call_ = message["tool_calls"][0]
    assert call_["id"] == "0"
    assert call_["type"] == "function"
    assert call_["function"]["name"] == "get_weather"
    assert json.loads(call_["function"]["arguments"]) == EXPECTED_ARGS

    named = {**WEATHER, "tool_choice": {"type": "function", "function": {"name": "other"}}}
    other = (await call(http, url, json=named)).json["choices"][0]["message"]["tool_calls"][0]
    assert other["function"]["name"] == "other"
    unknown = await call(http, url, json={**WEATHER, "tool_choice": "nope"})
    assert unknown.status == 422
    assert unknown.json["error_type"] == "tool_error"

    stream = await call(http, url, json={**WEATHER, "stream": True})
    deltas = [json.loads(e)["choices"][0]["delta"] for e in stream.events()[:-1]]
    names = [d["tool_calls"][0]["function"]["name"] for d in deltas]
    assert names[0] == "get_weather"
    assert set(names[1:]) == {None}
    arguments = "".join(d["tool_calls"][0]["function"]["arguments"] for d in deltas)
    assert json.loads(arguments) == EXPECTED_ARGS


async def test_chat_response_format(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    schema = {
        "type": "object",
        "properties": {"animals": {"type": "array", "items": {"type": "string"}}},
    }
    body = {**CHAT, "response_format": {"type": "json", "value": schema}}
    answer = await call(http, srv.endpoint_url() + "/v1/chat/completions", json=body)
    assert json.loads(answer.json["choices"][0]["message"]["content"]) == {"animals": ["example"]}


async def test_router_chat(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    url = srv.router_url + "/chat/completions"
    answer = await call(http, url, json={"model": "org/model:together", **CHAT})
    assert answer.status == 200
    assert answer.json["model"] == "org/model"
    assert srv.requests[-1].model == "org/model"
    missing = await call(http, url, json=CHAT)
    assert missing.status == 422
    assert b"missing field `model`" in missing.body


async def test_chat_deserialize_errors_are_plain_text(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    url = f"{srv.base_url}/models/x/y/v1/chat/completions"
    not_a_list = await call(http, url, json={"messages": "hello"})
    assert not_a_list.status == 422
    assert not_a_list.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"expected a sequence" in not_a_list.body
    missing = await call(http, url, json={"stream": True})
    assert b"missing field `messages`" in missing.body


# -- errors, headers, auth --------------------------------------------------------------------


async def test_error_answers(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    not_found = await call(http, srv.url + "/nowhere")
    assert (not_found.status, not_found.json) == (404, {"error": "Not Found"})
    no_model = await call(http, f"{srv.base_url}/models/acme/does-not-exist", json={"inputs": "x"})
    assert no_model.json == {"error": "Model acme/does-not-exist does not exist"}
    malformed = await call(
        http,
        f"{srv.base_url}/models/gpt2",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status == 422
    assert malformed.media == "text/plain"
    no_context = await call(
        http,
        f"{srv.base_url}/models/deepset/roberta-base-squad2",
        json={"inputs": {"question": "q"}},
    )
    assert no_context.status == 400
    assert no_context.json == {"error": ["Error in `inputs.context`: field required"]}
    no_inputs = await call(http, f"{srv.base_url}/models/bert-base-uncased", json={})
    assert no_inputs.status == 400
    assert "error" in no_inputs.json
    negative = await call(
        http,
        f"{srv.base_url}/models/stabilityai/stable-diffusion-2",
        json={"inputs": "a", "parameters": {"negative_prompt": ["x"]}},
    )
    assert negative.status == 400
    assert "negative_prompt" in negative.json["error"]
    crash = await call(
        http,
        f"{srv.base_url}/models/facebook/detr-resnet-50",
        json={"inputs": b64(PNG_64x48), "parameters": {"threshold": "high"}},
    )
    assert crash.status == 500
    assert crash.json["error"] == "unknown error"
    assert "ValueError" in crash.json["warnings"][0]
    method = await call(http, f"{srv.base_url}/models/gpt2", method="GET")
    assert method.status == 405


async def test_request_ids_and_endpoint_info(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    first = await call(http, srv.endpoint_url("llm") + "/info", method="GET")
    assert first.json["model_id"] == "llm"
    assert first.json["max_total_tokens"] > 0
    health = await call(http, srv.endpoint_url("llm") + "/health", method="GET")
    missing = await call(http, srv.url + "/missing")
    assert health.status == 200
    ids = [a.headers["x-request-id"] for a in (first, health, missing)]
    assert ids == ["local-1", "local-2", "local-3"]


async def test_token_is_checked_like_the_router(http: aiohttp.ClientSession) -> None:
    async with LocalInferenceServer(token="hf_secret") as server:
        url = f"{server.base_url}/models/gpt2"
        denied = await call(
            http, url, json={"inputs": "x"}, headers={"Authorization": "Bearer hf_wrong"}
        )
        assert denied.status == 401
        assert denied.json == {"error": "Invalid credentials in Authorization header"}
        assert denied.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
        assert denied.headers["Content-Type"] == "application/json; charset=utf-8"
        assert denied.headers["WWW-Authenticate"].startswith("Bearer")
        allowed = await call(
            http, url, json={"inputs": "x"}, headers={"Authorization": "Bearer hf_secret"}
        )
        assert allowed.status == 200
        assert server.requests[0].headers["authorization"] == "Bearer hf_wrong"


async def test_requests_are_recorded(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    await call(
        http, f"{srv.base_url}/models/gpt2?x=1", json={"inputs": "hi"}, headers={"X-Custom": "yes"}
    )
    await call(
        http,
        f"{srv.base_url}/models/google/vit-base-patch16-224",
        data=PNG_64x48,
        headers={"Content-Type": "image/png"},
    )
    text, image = srv.requests
    assert (text.method, text.path, text.query, text.model) == (
        "POST",
        "/hf-inference/models/gpt2",
        {"x": "1"},
        "gpt2",
    )
    assert text.headers["x-custom"] == "yes"
    assert text.json == {"inputs": "hi"}
    assert json.loads(text.body) == {"inputs": "hi"}
    assert image.body == PNG_64x48
    assert image.json is None
    assert image.model == "google/vit-base-patch16-224"
    srv.clear()
    assert srv.requests == []


# -- scripts and faults -----------------------------------------------------------------------


async def test_scripted_replies(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    url = f"{srv.base_url}/models/gpt2"
    srv.script(
        "gpt2",
        Reply(201, {"a": 1}, headers={"x-extra": "1"}),
        Reply(500, "oops"),
        Reply(chunks=[b"data: 1\n\n", b"data: 2\n\n"], chunk_delay=0.01),
    )
    first = await call(http, url, json={"inputs": "x"})
    assert (first.status, first.json, first.headers["x-extra"]) == (201, {"a": 1}, "1")
    assert first.headers["Content-Type"] == "application/json"
    second = await call(http, url, json={"inputs": "x"})
    assert (second.status, second.body, second.media) == (500, b"oops", "text/plain")
    async with http.post(url, json={"inputs": "x"}) as response:
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert response.headers["Content-Type"] == "text/event-stream"
        assert [c async for c in response.content.iter_any()] == [b"data: 1\n\n", b"data: 2\n\n"]
    normal = await call(http, url, json={"inputs": "x"})
    assert "generated_text" in normal.json[0]

    srv.script("gpt2", Reply(body=b"{}", headers={"content-type": "x/y", "X-Request-Id": "mine"}))
    custom = await call(http, url, json={"inputs": "x"})
    assert custom.headers.getall("Content-Type") == ["x/y"]
    assert custom.headers.getall("x-request-id") == ["mine"]

    srv.script_always("tgi", Reply(body=b"always", content_type="text/x-custom"))
    for _ in range(2):
        always = await call(http, srv.endpoint_url() + "/generate", json={"inputs": "x"})
        assert (always.body, always.media) == (b"always", "text/x-custom")
    srv.clear()
    assert (await call(http, srv.endpoint_url() + "/generate", json={"inputs": "x"})).status == 200


async def test_loading_fault(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    from hf_inference.testing import Loading

    srv.script("bert-base-uncased", Loading(estimated_time=32.5, times=2))
    url = f"{srv.base_url}/models/bert-base-uncased"
    for _ in range(2):
        answer = await call(http, url, json={"inputs": "[MASK]"})
        assert answer.status == 503
        assert answer.json == {
            "error": "Model bert-base-uncased is currently loading",
            "estimated_time": 32.5,
        }
        assert "Retry-After" not in answer.headers
    assert (await call(http, url, json={"inputs": "[MASK]"})).status == 200


async def test_error_event_fault(srv: LocalInferenceServer, http: aiohttp.ClientSession) -> None:
    srv.script("gpt2", ErrorEvent(after_tokens=3, message="boom", error_type="generation"))
    tgi = await call(http, f"{srv.base_url}/models/gpt2", json={"inputs": "x", "stream": True})
    events = [json.loads(e) for e in tgi.events()]
    assert tgi.status == 200
    assert len(events) == 4
    assert [e["index"] for e in events[:3]] == [1, 2, 3]
    assert events[3] == {"error": "boom", "error_type": "generation"}
    srv.script("chat-model", ErrorEvent(after_tokens=1, message="bad", error_type="overloaded"))
    chat = await call(
        http, f"{srv.base_url}/models/chat-model/v1/chat/completions", json={**CHAT, "stream": True}
    )
    assert chat.body.startswith(b"data: {")
    assert b"[DONE]" not in chat.body
    assert json.loads(chat.events()[-1]) == {"error": "bad", "error_type": "overloaded"}


async def test_stall_holds_until_the_client_leaves(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    srv.script("gpt2", Stall(after_chunks=[b'data:{"index":1}\n\n']))
    response = await http.post(f"{srv.base_url}/models/gpt2", json={"inputs": "x", "stream": True})
    assert response.headers["Content-Type"] == "text/event-stream"
    assert await response.content.readany() == b'data:{"index":1}\n\n'
    assert srv.open_connections == 1
    response.close()
    await srv.wait_connections(0)

    srv.script("gpt2", Stall(send_headers=False))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(call(http, f"{srv.base_url}/models/gpt2", json={"inputs": "x"}), 0.2)
    await srv.wait_connections(0)


async def test_close_ends_stalled_and_paced_streams(http: aiohttp.ClientSession) -> None:
    server = LocalInferenceServer()
    await server.start()
    server.script("gpt2", Stall())
    stalled = await http.post(f"{server.base_url}/models/gpt2", json={"inputs": "x"})
    paced = await http.post(
        f"{server.base_url}/models/llama",
        json={"inputs": "x", "parameters": {"max_new_tokens": 1000}, "stream": True},
        headers={"x-test-token-delay": "10"},
    )
    assert (await paced.content.readany()).startswith(b"data:")
    await asyncio.wait_for(server.close(), 2.0)
    for response in (stalled, paced):
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
        response.close()
    await server.wait_connections(0)


async def test_drop_resets_the_connection(srv: LocalInferenceServer) -> None:
    srv.script("gpt2", Drop(after_chunks=[b"data:{}\n\n"]))
    reader, writer = await asyncio.open_connection(srv.host, srv.port)
    body = b'{"inputs":"x"}'
    writer.write(
        b"POST /models/gpt2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    received: list[bytes] = []

    async def read_until_eof() -> None:
        while chunk := await reader.read(65536):
            received.append(chunk)

    # A FIN would end the loop quietly; only a RST raises.
    with pytest.raises(ConnectionResetError):
        await read_until_eof()
    writer.close()
    assert b"".join(received).startswith(b"HTTP/1.1 200 OK")
    assert b"".join(received).endswith(b"data:{}\n\n\r\n")
    await srv.wait_connections(0)


async def test_drop_before_headers_and_broken_chunks(
    srv: LocalInferenceServer, http: aiohttp.ClientSession
) -> None:
    url = f"{srv.base_url}/models/gpt2"
    srv.script("gpt2", Drop(send_headers=False))
    with pytest.raises(aiohttp.ClientConnectionError):
        await call(http, url, json={"inputs": "x"})
    srv.script("gpt2", BrokenChunked(after_chunks=[b"data:{}\n\n"]))
    with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        await call(http, url, json={"inputs": "x", "stream": True})
    await srv.wait_connections(0)


# -- connections ------------------------------------------------------------------------------


async def test_connections_are_counted(srv: LocalInferenceServer) -> None:
    assert (srv.open_connections, srv.total_connections) == (0, 0)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            await call(session, f"{srv.base_url}/models/gpt2", json={"inputs": "x"})
        await srv.wait_connections(1)  # keep-alive: one pooled connection reused
        assert srv.total_connections == 1
        async with session.post(
            f"{srv.base_url}/models/gpt2",
            json={"inputs": "x", "stream": True},
            headers={"x-test-token-delay": "5"},
        ) as busy:
            await busy.content.readany()
            again = await call(session, f"{srv.base_url}/models/gpt2", json={"inputs": "y"})
            assert again.status == 200
            await srv.wait_connections(2)
            busy.close()
        await srv.wait_connections(1)
    await srv.wait_connections(0)
    assert srv.total_connections == 2
    with pytest.raises(TimeoutError):
        await srv.wait_connections(3, timeout=0.05)


async def test_pytest_plugin_fixture(local_inference_server: LocalInferenceServer) -> None:  # noqa: F811
    assert local_inference_server.url.startswith("http://127.0.0.1:")
    assert local_inference_server.open_connections == 0


# -- command line -----------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_command_line_server(sig: signal.Signals) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hf_inference.testing",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        url = line.decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as session:
            answer = await call(session, url + "/hf-inference/models/gpt2", json={"inputs": "hi"})
        assert answer.status == 200
        assert "generated_text" in answer.json[0]
        process.send_signal(sig)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
