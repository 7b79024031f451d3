"""The output types against every recorded response, plus their helpers."""

from __future__ import annotations

import base64
import copy
import gc
import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import msgspec
import pytest
from conformance_support import conformance_dir

import hf_inference.types as t
from hf_inference.types import (
    AudioToAudioOutputElement,
    BinaryOutput,
    ChatCompletionOutput,
    ChatCompletionOutputToolCall,
    ChatCompletionStreamOutput,
    ChatCompletionStreamOutputDelta,
    ChatCompletionStreamOutputDeltaToolCall,
    ChatCompletionStreamOutputFunction,
    ChatMessage,
    ImageSegmentationOutputElement,
    TextGenerationOutput,
    TextGenerationOutputDetails,
    TextGenerationStreamOutput,
    ZeroShotClassificationOutputElement,
    ZeroShotClassificationWireOutput,
)

CONFORMANCE = conformance_dir() or Path("/nonexistent")

# What the client decodes a 200 JSON body into, per task: this is the wire envelope.
JSON_TYPES: dict[str, Any] = {
    "audio-classification": list[t.AudioClassificationOutputElement],
    "audio-to-audio": list[t.AudioToAudioOutputElement],
    "automatic-speech-recognition": t.AutomaticSpeechRecognitionOutput,
    "chat-completion": t.ChatCompletionOutput,
    "conversational": t.ConversationalOutput,
    "document-question-answering": list[t.DocumentQuestionAnsweringOutputElement],
    "feature-extraction": t.FeatureExtractionOutput,
    "fill-mask": list[t.FillMaskOutputElement],
    "image-classification": list[t.ImageClassificationOutputElement],
    "image-segmentation": list[t.ImageSegmentationOutputElement],
    "image-to-text": list[t.ImageToTextOutput],
    "object-detection": list[t.ObjectDetectionOutputElement],
    "question-answering": t.QuestionAnsweringOutputElement,
    "sentence-similarity": t.SentenceSimilarityOutput,
    "summarization": list[t.SummarizationOutput],
    "table-question-answering": t.TableQuestionAnsweringOutputElement,
    "tabular-classification": t.TabularClassificationOutput,
    "tabular-regression": t.TabularRegressionOutput,
    "text-classification": list[list[t.TextClassificationOutputElement]],
    "text-generation": list[t.TextGenerationOutput],
    "token-classification": list[t.TokenClassificationOutputElement],
    "translation": list[t.TranslationOutput],
    "visual-question-answering": list[t.VisualQuestionAnsweringOutputElement],
    "zero-shot-classification": (
        t.ZeroShotClassificationWireOutput | list[t.ZeroShotClassificationWireOutput]
    ),
    "zero-shot-image-classification": list[t.ZeroShotImageClassificationOutputElement],
}
STREAM_TYPES: dict[str, Any] = {
    "chat-completion": t.ChatCompletionStreamOutput,
    "text-generation": t.TextGenerationStreamOutput,
}
BINARY_TASKS = {"text-to-image", "text-to-speech"}


def _recordings() -> list[Path]:
    if not CONFORMANCE.is_dir():
        return []
    files = sorted(CONFORMANCE.glob("*.json")) + sorted(CONFORMANCE.glob("tgi_snapshots/*.json"))
    return [path for path in files if not path.name.startswith("error__")]


RECORDINGS = _recordings()
needs_recordings = pytest.mark.skipif(not RECORDINGS, reason="no conformance recordings")


def _load(name: str) -> dict[str, Any]:
    if not (CONFORMANCE / name).is_file():
        pytest.skip(f"recording {name} missing")
    result: dict[str, Any] = json.loads((CONFORMANCE / name).read_text())
    return result


def _sse_payloads(body: str) -> list[str]:
    payloads = []
    for line in body.split("\n"):
        if line.startswith("data:"):
            data = line[5:].removeprefix(" ")
            if data != "[DONE]":
                payloads.append(data)
    return payloads


def _default(field: msgspec.structs.FieldInfo) -> Any:
    if field.default is not msgspec.NODEFAULT:
        return field.default
    assert field.default_factory is not msgspec.NODEFAULT, f"{field.name} is required"
    return field.default_factory()


def assert_nothing_lost(decoded: Any, recorded: Any, where: str = "$") -> None:
    """Every field we declare holds exactly what was recorded (or its default if absent)."""
    if isinstance(decoded, msgspec.Struct):
        assert isinstance(recorded, dict), where
        for field in msgspec.structs.fields(decoded):
            value = getattr(decoded, field.name)
            if field.encode_name in recorded:
                assert_nothing_lost(value, recorded[field.encode_name], f"{where}.{field.name}")
            else:
                assert value == _default(field), f"{where}.{field.name} not recorded"
    elif isinstance(decoded, list):
        assert isinstance(recorded, list), where
        assert len(decoded) == len(recorded), where
        for index, (item, expected) in enumerate(zip(decoded, recorded, strict=True)):
            assert_nothing_lost(item, expected, f"{where}[{index}]")
    else:
        assert decoded == recorded, where
        # Ints must stay ints (large seeds); a float field may receive an integral JSON number.
        if not (isinstance(decoded, float) and type(recorded) is int):
            assert type(decoded) is type(recorded), where


def assert_subset(encoded: Any, recorded: Any, where: str = "$") -> None:
    """What msgspec encodes back is the recorded JSON, plus empty defaults for absent fields."""
    if isinstance(encoded, dict):
        assert isinstance(recorded, dict), where
        for key, value in encoded.items():
            if key not in recorded:
                assert value in (None, [], "", 0, {}, "function"), f"{where}.{key} invented"
                continue
            assert_subset(value, recorded[key], f"{where}.{key}")
    elif isinstance(encoded, list):
        assert isinstance(recorded, list), where
        assert len(encoded) == len(recorded), where
        for index, (item, expected) in enumerate(zip(encoded, recorded, strict=True)):
            assert_subset(item, expected, f"{where}[{index}]")
    else:
        assert encoded == recorded, where


def _check(value_type: Any, raw: bytes) -> Any:
    decoded = msgspec.json.decode(raw, type=value_type)
    recorded = json.loads(raw)
    assert_nothing_lost(decoded, recorded)
    assert_subset(msgspec.to_builtins(decoded), recorded)
    return decoded


@needs_recordings
@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_recorded_response_decodes_without_loss(path: Path) -> None:
    case = json.loads(path.read_text())
    task, response = case["task"], case["response"]
    assert response["status"] == 200
    media_type = response["content_type"].split(";")[0].strip()

    if task in BINARY_TASKS:
        data = base64.b64decode(response["body_b64"])
        out = BinaryOutput(data, response["content_type"])
        assert len(out) == response["body_bytes"]
        assert hashlib.sha256(bytes(out)).hexdigest() == response["body_sha256"]
        assert out.extension == response["content_type"].split("/")[1]
    elif media_type == "text/event-stream":
        if "events" in response:  # TGI snapshot: parsed objects, not wire bytes
            payloads = [json.dumps(event) for event in response["events"]]
        else:
            payloads = _sse_payloads(response["body"])
        assert payloads
        for payload in payloads:
            _check(STREAM_TYPES[task], payload.encode())
    else:
        assert media_type == "application/json"
        body = json.dumps(response["json"]) if "json" in response else response["body"]
        _check(JSON_TYPES[task], body.encode())


# --- text generation -------------------------------------------------------------------------


def test_every_output_struct_is_left_alone_by_the_garbage_collector() -> None:
    structs = [
        obj
        for obj in vars(t).values()
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct) and obj is not t.BaseStruct
    ]
    assert len(structs) > 40
    for cls in structs:
        assert cls.__struct_config__.gc is False, cls.__name__
    event = msgspec.json.decode(
        b'{"index":1,"token":{"id":5,"text":"a","logprob":-0.5,"special":false},'
        b'"top_tokens":[{"id":5,"text":"a"}]}',
        type=t.TextGenerationStreamOutput,
    )
    assert not gc.is_tracked(event)
    assert not gc.is_tracked(event.token)


def test_seed_above_int64_decodes_exactly() -> None:
    raw = b'{"finish_reason":"length","generated_tokens":1,"seed":18435558523380366744}'
    details = msgspec.json.decode(raw, type=TextGenerationOutputDetails)
    assert details.seed == 18435558523380366744
    assert type(details.seed) is int
    assert b"18435558523380366744" in msgspec.json.encode(details)


def test_recorded_best_of_seed_survives() -> None:
    case = _load("text-generation__async-gpt2-best-of.json")
    [out] = msgspec.json.decode(case["response"]["body"], type=list[TextGenerationOutput])
    assert out.details is not None
    assert out.details.seed == 18435558523380366744
    assert out.details.best_of_sequences is not None
    assert out.details.best_of_sequences[0].seed == 8244064336017720203


def test_non_tgi_answer_has_no_details() -> None:
    [out] = msgspec.json.decode(b'[{"generated_text":"hi"}]', type=list[TextGenerationOutput])
    assert out.generated_text == "hi"
    assert out.details is None


def test_stream_event_without_index_or_details() -> None:
    raw = b'{"token":{"id":1,"text":"</s>","logprob":null,"special":true},"generated_text":"x"}'
    event = msgspec.json.decode(raw, type=TextGenerationStreamOutput)
    assert event.index is None
    assert event.token.logprob is None
    assert event.token.special is True
    assert event.details is None


def test_missing_required_field_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError, match="generated_text"):
        msgspec.json.decode(b"[{}]", type=list[TextGenerationOutput])


# --- chat ------------------------------------------------------------------------------------


def test_old_tgi_tool_call_has_int_id_and_object_arguments() -> None:
    raw = (
        b'{"id":0,"type":"function","function":{"description":null,'
        b'"name":"get_weather","arguments":{"location":"Paris","num_days":3}}}'
    )
    call = msgspec.json.decode(raw, type=ChatCompletionOutputToolCall)
    assert call.id == 0
    assert call.function.arguments == {"location": "Paris", "num_days": 3}
    assert call.function.parsed_arguments() == {"location": "Paris", "num_days": 3}


def test_new_tool_call_has_str_id_and_string_arguments() -> None:
    raw = b'{"id":"0","type":"function","function":{"name":"f","arguments":"{\\"a\\": [1, 2]}"}}'
    call = msgspec.json.decode(raw, type=ChatCompletionOutputToolCall)
    assert call.id == "0"
    assert call.function.arguments == '{"a": [1, 2]}'
    assert call.function.parsed_arguments() == {"a": [1, 2]}


def test_empty_arguments_parse_to_empty_object() -> None:
    call = msgspec.json.decode(
        b'{"function":{"name":"now","arguments":""}}', type=ChatCompletionOutputToolCall
    )
    assert call.id == ""
    assert call.type == "function"
    assert call.function.parsed_arguments() == {}


def test_invalid_arguments_raise_value_error() -> None:
    function = ChatCompletionStreamOutputFunction(name="f", arguments='{"a":')
    with pytest.raises(ValueError, match="truncated"):
        function.parsed_arguments()


def test_recorded_tool_call_deltas_join_into_arguments() -> None:
    case = _load("tgi_snapshots/chat-completion__stream-tool-call-deltas.json")
    chunks = [
        msgspec.json.decode(json.dumps(event), type=ChatCompletionStreamOutput)
        for event in case["response"]["events"]
    ]
    calls = [call for chunk in chunks for call in chunk.choices[0].delta.tool_call_list]
    name = "".join(call.function.name or "" for call in calls)
    joined = ChatCompletionStreamOutputFunction(
        name=name, arguments="".join(call.function.arguments for call in calls)
    )
    assert name == "get_current_weather"
    assert joined.parsed_arguments() == {"location": "Brooklyn, NY", "format": "fahrenheit"}


def test_old_tgi_single_tool_call_delta_reads_as_a_list() -> None:
    raw = (
        b'{"role":"assistant","tool_calls":{"index":0,"id":"","type":"function",'
        b'"function":{"name":null,"arguments":"{\\""}}}'
    )
    delta = msgspec.json.decode(raw, type=ChatCompletionStreamOutputDelta)
    [call] = delta.tool_call_list
    assert call.function.arguments == '{"'
    assert ChatCompletionStreamOutputDelta(tool_calls=call).tool_call_list == [call]
    assert ChatCompletionStreamOutputDelta().tool_call_list == []


def test_openai_style_delta_tool_call_omits_id_and_name() -> None:
    raw = b'{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}'
    delta = msgspec.json.decode(raw, type=ChatCompletionStreamOutputDelta)
    assert delta.tool_calls == [
        ChatCompletionStreamOutputDeltaToolCall(
            index=1, function=ChatCompletionStreamOutputFunction(arguments="{}")
        )
    ]


def test_chat_logprobs_decode() -> None:
    raw = (
        b'{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop","logprobs":'
        b'{"content":[{"token":"Hi","logprob":-0.5,"top_logprobs":[{"token":"Hey",'
        b'"logprob":-1.5}]}]}}]}'
    )
    out = msgspec.json.decode(raw, type=ChatCompletionOutput)
    logprobs = out.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert logprobs.content[0].top_logprobs[0].token == "Hey"
    assert out.usage is None


def test_include_usage_last_chunk_has_no_choices() -> None:
    raw = b'{"id":"","object":"chat.completion.chunk","created":1,"model":"m","choices":[],'
    raw += b'"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}'
    chunk = msgspec.json.decode(raw, type=ChatCompletionStreamOutput)
    assert chunk.choices == []
    assert chunk.usage is not None
    assert chunk.usage.total_tokens == 3


def test_provider_extras_are_ignored() -> None:
    raw = b'{"choices":[{"delta":{},"index":0,"finish_reason":"length","seed":3}],"time_info":{}}'
    chunk = msgspec.json.decode(raw, type=ChatCompletionStreamOutput)
    assert chunk.id == ""
    assert chunk.choices[0].delta == ChatCompletionStreamOutputDelta()
    assert chunk.choices[0].finish_reason == "length"


def test_chat_message_sends_only_set_fields() -> None:
    assert msgspec.json.encode(ChatMessage(role="user", content="hi")) == (
        b'{"role":"user","content":"hi"}'
    )
    parts = [{"type": "text", "text": "what is this?"}]
    message = ChatMessage(role="user", content=parts)
    assert msgspec.to_builtins(message) == {"role": "user", "content": parts}
    tool_reply = ChatMessage(role="tool", content="12C", tool_call_id="0")
    assert msgspec.to_builtins(tool_reply) == {
        "role": "tool",
        "content": "12C",
        "tool_call_id": "0",
    }


def test_input_tool_typed_dicts() -> None:
    assert t.ChatCompletionInputFunctionDefinition.__required_keys__ == frozenset({"name"})
    tool: t.ChatCompletionInputTool = {
        "type": "function",
        "function": {"name": "f", "parameters": {"type": "object"}},
    }
    assert tool["function"]["name"] == "f"


# --- other tasks -----------------------------------------------------------------------------


def test_audio_to_audio_content_type_uses_wire_name() -> None:
    blob = base64.b64encode(b"fLaC...").decode()
    raw = json.dumps({"label": "a", "blob": blob, "content-type": "audio/flac"}).encode()
    out = msgspec.json.decode(raw, type=AudioToAudioOutputElement)
    assert out.content_type == "audio/flac"
    assert out["content-type"] == "audio/flac"
    assert out.data == b"fLaC..."
    assert msgspec.to_builtins(out)["content-type"] == "audio/flac"
    assert out.to_dict() == {"label": "a", "blob": blob, "content-type": "audio/flac"}


def test_segmentation_mask_bytes() -> None:
    mask = base64.b64encode(b"\x89PNG\r\n").decode()
    out = ImageSegmentationOutputElement(label="cat", mask=mask)
    assert out.mask_bytes == b"\x89PNG\r\n"
    assert out.score is None


def test_zero_shot_wire_output_to_elements() -> None:
    wire = ZeroShotClassificationWireOutput(sequence="s", labels=["a", "b"], scores=[0.9, 0.1])
    assert wire.to_elements() == [
        ZeroShotClassificationOutputElement(label="a", score=0.9),
        ZeroShotClassificationOutputElement(label="b", score=0.1),
    ]
    broken = ZeroShotClassificationWireOutput(sequence="s", labels=["a"], scores=[])
    with pytest.raises(ValueError, match="shorter"):
        broken.to_elements()


def test_tabular_classification_keeps_label_types() -> None:
    labels = msgspec.json.decode(b'[5, "red", 1.5]', type=t.TabularClassificationOutput)
    assert labels == [5, "red", 1.5]
    assert type(labels[0]) is int


# --- BaseStruct helpers ----------------------------------------------------------------------


def test_dict_like_access() -> None:
    out = TextGenerationOutput(generated_text="hi")
    assert out["generated_text"] == "hi"
    assert out["details"] is None
    assert out.get("details", "none") == "none"
    assert out.get("nope") is None
    assert out.get("generated_text") == "hi"
    with pytest.raises(KeyError):
        out["nope"]
    with pytest.raises(KeyError):
        out[0]  # type: ignore[index]


def test_to_dict_is_plain_and_complete() -> None:
    raw = b'[{"generated_text":"x","details":{"finish_reason":"length","generated_tokens":1,'
    raw += b'"seed":null,"prefill":[],"tokens":[{"id":1,"text":"x","logprob":-1.0}]}}]'
    [out] = msgspec.json.decode(raw, type=list[TextGenerationOutput])
    as_dict = out.to_dict()
    assert as_dict["details"]["tokens"] == [
        {"id": 1, "text": "x", "logprob": -1.0, "special": False}
    ]
    assert as_dict["details"]["seed"] is None
    assert as_dict["details"]["best_of_sequences"] is None
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_structs_are_frozen_and_not_iterable() -> None:
    out = TextGenerationOutput(generated_text="hi")
    with pytest.raises(AttributeError):
        out.generated_text = "other"  # type: ignore[misc]
    with pytest.raises(TypeError, match="not iterable"):
        list(out)  # type: ignore[call-overload]
    assert out == TextGenerationOutput(generated_text="hi")


def test_every_struct_is_exported() -> None:
    for name in t.__all__:
        assert hasattr(t, name), name
    modules = ("audio", "chat", "generation", "multimodal", "text", "vision")
    for module_name in modules:
        module = getattr(t, module_name)
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, t.BaseStruct) and name[0] != "_":
                assert name in t.__all__, name


def test_every_struct_has_a_docstring() -> None:
    for name in t.__all__:
        value = getattr(t, name)
        if isinstance(value, type):
            assert value.__doc__, name


# --- BinaryOutput ----------------------------------------------------------------------------


def test_binary_output_keeps_the_bytes_object() -> None:
    data = b"\x89PNG" + bytes(100)
    out = BinaryOutput(data, "image/png")
    assert out.data is data
    assert bytes(out) is data
    assert len(out) == 104
    assert out.extension == "png"


def test_binary_output_copies_a_mutable_buffer() -> None:
    buffer = bytearray(b"abc")
    out = BinaryOutput(buffer, "audio/flac")  # type: ignore[arg-type]
    buffer[0] = 0
    assert out.data == b"abc"


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/png", "png"),
        ("image/jpeg", "jpeg"),
        ("IMAGE/JPEG; charset=binary", "jpeg"),
        ("image/webp", "webp"),
        ("audio/flac", "flac"),
        ("audio/x-flac", "flac"),
        ("audio/wav", "wav"),
        ("audio/x-wav", "wav"),
        ("audio/mpeg", "mp3"),
        ("audio/ogg", "ogg"),
        ("image/svg+xml", "svg"),
        ("application/octet-stream", "bin"),
        ("weird", "bin"),
    ],
)
def test_binary_output_extension(content_type: str, extension: str) -> None:
    assert BinaryOutput(b"", content_type).extension == extension


def test_binary_output_save(tmp_path: Path) -> None:
    out = BinaryOutput(b"fLaC\x00", "audio/flac")
    written = out.save(tmp_path / f"speech.{out.extension}")
    assert written == tmp_path / "speech.flac"
    assert written.read_bytes() == b"fLaC\x00"
    assert out.save(str(tmp_path / "again.flac")).read_bytes() == b"fLaC\x00"


def test_binary_output_repr_hides_the_bytes() -> None:
    out = BinaryOutput(b"secret" * 1000, "image/png")
    assert repr(out) == "BinaryOutput(content_type='image/png', size=6000)"


def test_binary_output_value_semantics() -> None:
    out = BinaryOutput(b"abc", "image/png")
    assert out == BinaryOutput(b"abc", "image/png")
    assert out != BinaryOutput(b"abc", "image/jpeg")
    assert out != BinaryOutput(b"abd", "image/png")
    assert out != b"abc"
    assert len({out, BinaryOutput(b"abc", "image/png")}) == 1
    assert pickle.loads(pickle.dumps(out)) == out
    assert copy.copy(out) == out
    with pytest.raises(AttributeError):
        out.data = b""  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del out.content_type
