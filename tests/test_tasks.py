"""Every task of the table, as a client method and as a module function, against the local
server; every form of binary input; the body each input kind puts on the wire."""

from __future__ import annotations

import base64
import contextlib
import io
import struct
import wave
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

import hf_inference
from hf_inference import BinaryOutput, InvalidInputError, _tasks
from hf_inference import types as t
from hf_inference.testing import Reply

pytestmark = pytest.mark.anyio


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\xff\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * 800)
    return buffer.getvalue()


PNG = png_bytes()
WAV = wav_bytes()

# task method -> (inputs, parameters, expected result type check)
SAMPLES: dict[str, tuple[Any, dict[str, Any] | None]] = {
    "fill_mask": ("The goal of life is [MASK].", None),
    "summarization": ("The tower is 324 metres tall, about the same height as a building.", None),
    "question_answering": ({"question": "Where?", "context": "I live in Paris."}, None),
    "table_question_answering": (
        {"query": "How many stars?", "table": {"Repository": ["a", "b"], "Stars": ["1", "2"]}},
        None,
    ),
    "text_classification": ("I like you. I love you", None),
    "text_generation": ("The answer is", {"max_new_tokens": 4}),
    "token_classification": ("My name is Sarah Jessica Parker but you can call me Jessica", None),
    "translation": ("My name is Wolfgang and I live in Berlin", None),
    "zero_shot_classification": ("I bought a device", {"candidate_labels": ["a", "b"]}),
    "sentence_similarity": ({"source_sentence": "a", "sentences": ["b", "c", "d"]}, None),
    "feature_extraction": ("Today is a sunny day", None),
    "automatic_speech_recognition": (WAV, None),
    "audio_classification": (WAV, None),
    "text_to_speech": ("Hello world", None),
    "audio_to_audio": (WAV, None),
    "image_classification": (PNG, None),
    "object_detection": (PNG, None),
    "image_segmentation": (PNG, None),
    "image_to_text": (PNG, None),
    "text_to_image": ("an astronaut riding a horse", None),
    "image_to_image": (PNG, {"prompt": "make it blue"}),
    "zero_shot_image_classification": (PNG, {"candidate_labels": ["cat", "dog"]}),
    "visual_question_answering": ({"question": "What is there?", "image": PNG}, None),
    "document_question_answering": ({"question": "Total?", "image": PNG}, None),
    "tabular_regression": ({"data": {"Height": ["11.52", "12.48"], "Width": ["4.02"]}}, None),
    "tabular_classification": ({"data": {"fixed_acidity": ["7.4", "7.8"]}}, None),
    "conversational": (
        {"text": "Hello", "past_user_inputs": ["Hi"], "generated_responses": ["Hey"]},
        None,
    ),
}  # fmt: skip

RESULT_TYPES: dict[str, Any] = {
    "fill_mask": list[t.FillMaskOutputElement],
    "summarization": t.SummarizationOutput,
    "question_answering": t.QuestionAnsweringOutputElement,
    "table_question_answering": t.TableQuestionAnsweringOutputElement,
    "text_classification": list[t.TextClassificationOutputElement],
    "text_generation": t.TextGenerationOutput,
    "token_classification": list[t.TokenClassificationOutputElement],
    "translation": t.TranslationOutput,
    "zero_shot_classification": list[t.ZeroShotClassificationOutputElement],
    "sentence_similarity": list[float],
    "feature_extraction": list[Any],
    "automatic_speech_recognition": t.AutomaticSpeechRecognitionOutput,
    "audio_classification": list[t.AudioClassificationOutputElement],
    "text_to_speech": BinaryOutput,
    "audio_to_audio": list[t.AudioToAudioOutputElement],
    "image_classification": list[t.ImageClassificationOutputElement],
    "object_detection": list[t.ObjectDetectionOutputElement],
    "image_segmentation": list[t.ImageSegmentationOutputElement],
    "image_to_text": t.ImageToTextOutput,
    "text_to_image": BinaryOutput,
    "image_to_image": BinaryOutput,
    "zero_shot_image_classification": list[t.ZeroShotImageClassificationOutputElement],
    "visual_question_answering": list[t.VisualQuestionAnsweringOutputElement],
    "document_question_answering": list[t.DocumentQuestionAnsweringOutputElement],
    "tabular_regression": list[float],
    "tabular_classification": list[Any],
    "conversational": t.ConversationalOutput,
}

#: Served by Inference Providers only (tests/test_providers.py runs them).
PROVIDER_ONLY = {"text_to_video", "image_to_video"}
NON_STREAM_TASKS = sorted(
    n
    for n, s in _tasks.TASKS.items()
    if not s.stream and n != "chat_completion" and n not in PROVIDER_ONLY
)


def model_for(name: str) -> str:
    return f"task/{_tasks.TASKS[name].name}/local-model"


def check_type(value: Any, expected: Any) -> None:
    if expected is BinaryOutput:
        assert isinstance(value, BinaryOutput)
        assert len(value) > 0
        return
    origin = getattr(expected, "__origin__", None)
    if origin is list:
        assert isinstance(value, list)
        assert value, "empty result"
        (item,) = expected.__args__
        if item is not Any and isinstance(item, type):
            assert all(isinstance(v, item) for v in value)
        return
    assert isinstance(value, expected)


def test_samples_cover_every_non_stream_task() -> None:
    assert set(SAMPLES) == set(NON_STREAM_TASKS)
    assert set(RESULT_TYPES) == set(NON_STREAM_TASKS)


@pytest.mark.parametrize("name", NON_STREAM_TASKS)
async def test_every_task_as_a_method(client, server, name: str) -> None:
    inputs, parameters = SAMPLES[name]
    method = getattr(client, name)
    model = model_for(name) if name != "conversational" else "meta-llama/Llama-3.1-8B-Instruct"
    result = await method(inputs, model=model, parameters=parameters)
    check_type(result, RESULT_TYPES[name])


@pytest.mark.parametrize("name", NON_STREAM_TASKS)
async def test_every_task_as_a_module_function(server, name: str, monkeypatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    inputs, parameters = SAMPLES[name]
    function = getattr(hf_inference, name)
    spec = _tasks.TASKS[name]
    model = (
        server.endpoint_url("tgi")
        if spec.route is _tasks.Route.CHAT
        else (
            f"{server.base_url}/models/{model_for(name)}"
            if spec.route is _tasks.Route.MODEL
            else f"{server.base_url}/models/{model_for(name)}/pipeline/{spec.name}"
        )
    )
    result = await function(inputs, model=model, parameters=parameters, token="hf_module")
    check_type(result, RESULT_TYPES[name])
    assert server.requests[-1].headers["authorization"] == "Bearer hf_module"
    await hf_inference.aclose_default_client()


async def test_raw_binary_is_sent_with_a_sniffed_content_type(client, server) -> None:
    await client.image_classification(PNG, model=model_for("image_classification"))
    request = server.requests[-1]
    assert request.headers["content-type"] == "image/png"
    assert request.body == PNG
    await client.automatic_speech_recognition(WAV, model=model_for("automatic_speech_recognition"))
    assert server.requests[-1].headers["content-type"] == "audio/wav"


async def test_binary_with_parameters_is_base64_json(client, server) -> None:
    await client.zero_shot_image_classification(
        PNG,
        model=model_for("zero_shot_image_classification"),
        parameters={"candidate_labels": ["cat", "dog"]},
    )
    body = server.requests[-1].json
    assert base64.b64decode(body["inputs"]) == PNG
    assert body["parameters"] == {"candidate_labels": ["cat", "dog"]}


async def test_image_output_tasks_ask_for_png(client, server) -> None:
    image = await client.text_to_image("a cat", model=model_for("text_to_image"))
    assert server.requests[-1].headers["accept"] == "image/png"
    assert image.content_type.startswith("image/")
    assert bytes(image)[:4] == b"\x89PNG"


async def _chunks() -> AsyncIterator[bytes]:
    yield PNG[:10]
    yield PNG[10:]


@contextlib.asynccontextmanager
async def _file_server() -> AsyncIterator[str]:
    """A second origin serving the image, as a URL input would point to."""
    from aiohttp import web

    async def cat(request: web.Request) -> web.Response:
        assert "authorization" not in request.headers  # another origin never gets the token
        return web.Response(body=PNG, content_type="image/png")

    app = web.Application()
    app.router.add_get("/cat.png", cat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "localhost", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://localhost:{port}"
    finally:
        await runner.cleanup()


class _PilLike:
    """Stands in for a PIL image: the client only calls save(buffer, format=...)."""

    __module__ = "PIL.Image"

    def save(self, buffer: io.BytesIO, format: str) -> None:
        assert format == "PNG"
        buffer.write(PNG)


@pytest.mark.parametrize(
    "form",
    ["bytes", "bytearray", "memoryview", "path", "str-path", "file", "async-iter", "url", "pil"],
)
async def test_every_form_of_binary_input(client, server, tmp_path: Path, form: str) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    inputs: Any = {
        "bytes": PNG,
        "bytearray": bytearray(PNG),
        "memoryview": memoryview(PNG),
        "path": path,
        "str-path": str(path),
        "async-iter": _chunks(),
        "pil": _PilLike(),
    }.get(form)
    if form == "file":
        inputs = path.open("rb")
    try:
        if form == "url":
            async with _file_server() as url:
                result = await client.image_classification(
                    f"{url}/cat.png", model=model_for("image_classification")
                )
        else:
            result = await client.image_classification(
                inputs, model=model_for("image_classification")
            )
    finally:
        if form == "file":
            inputs.close()
    assert result
    assert server.requests[-1].body == PNG


async def test_missing_file_is_a_clear_error(client, server) -> None:
    with pytest.raises(InvalidInputError, match="not found"):
        await client.image_classification(
            Path("/nonexistent/cat.png"), model=model_for("image_classification")
        )
    assert server.total_connections == 0


async def test_legacy_options_become_headers(client, server) -> None:
    await client.fill_mask(
        "[MASK] world",
        model=model_for("fill_mask"),
        use_cache=False,
        wait_for_model=True,
        dont_load_model=True,
    )
    headers = server.requests[-1].headers
    assert headers["x-use-cache"] == "false"
    assert headers["x-wait-for-model"] == "true"
    assert headers["x-load-model"] == "0"


async def test_pipeline_tasks_use_the_pipeline_route(client, server) -> None:
    await client.feature_extraction("hi", model="sentence-transformers/all-MiniLM-L6-v2")
    assert server.requests[-1].path.endswith(
        "/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction"
    )
    await client.sentence_similarity(
        {"source_sentence": "a", "sentences": ["b"]}, model="sentence-transformers/all-MiniLM-L6-v2"
    )
    assert server.requests[-1].path.endswith("/pipeline/sentence-similarity")


async def test_conversational_is_served_over_chat(client, server) -> None:
    out = await client.conversational(
        {"text": "How are you?", "past_user_inputs": ["Hi"], "generated_responses": ["Hello!"]},
        model="meta-llama/Llama-3.1-8B-Instruct",
    )
    request = server.requests[-1]
    assert request.path.endswith("/v1/chat/completions")
    assert [m["role"] for m in request.json["messages"]] == ["user", "assistant", "user"]
    assert out.conversation.past_user_inputs == ["Hi", "How are you?"]
    assert out.conversation.generated_responses[-1] == out.generated_text


async def test_feature_extraction_as_numpy(client) -> None:
    np = pytest.importorskip("numpy")
    rows = await client.feature_extraction(
        ["a", "b"], model="sentence-transformers/all-MiniLM-L6-v2"
    )
    array = hf_inference.as_array(rows)
    assert isinstance(array, np.ndarray)
    assert array.shape[0] == 2


async def test_binary_output_is_not_copied(client, server) -> None:
    image = await client.text_to_image("a cat", model=model_for("text_to_image"))
    assert bytes(image) is image.data
    assert msgspec.json.decode(msgspec.json.encode({"n": len(image)}))["n"] == len(image.data)


async def test_text_classification_of_a_batch_gives_one_list_of_labels_per_input(
    client, server
) -> None:
    model = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    texts = ["I love this, it is wonderful", "I hate this, it is awful", "a table"]
    batch = await client.text_classification(texts, model=model)
    assert server.requests[-1].json["inputs"] == texts
    one_by_one = [await client.text_classification(text, model=model) for text in texts]
    assert batch == one_by_one
    assert [labels[0].label for labels in batch][:2] == ["POSITIVE", "NEGATIVE"]
    assert all(isinstance(label, t.TextClassificationOutputElement) for label in batch[0])


async def test_a_json_answer_to_an_image_task_is_a_decode_error(client, server) -> None:
    # A 200 carrying JSON where image bytes were asked for (a gateway's error in a 200): the
    # JSON must not come back dressed as an image.
    model = "stabilityai/stable-diffusion-2"
    server.script(model, Reply(body={"error": "NSFW content detected"}))
    with pytest.raises(hf_inference.DecodeError, match="expected binary data, got JSON") as info:
        await client.text_to_image("an astronaut", model=model)
    assert info.value.status == 200
    assert info.value.body == b'{"error":"NSFW content detected"}'
