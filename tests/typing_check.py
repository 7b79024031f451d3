"""Checked by `mypy --strict` (nox -s typing), never run: every task with its documented types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hf_inference
from hf_inference import AsyncInferenceClient, Timeout, types
from hf_inference.sync import InferenceClient, SyncStream


async def every_task(client: AsyncInferenceClient, image: bytes, audio: Path) -> None:
    masks: list[types.FillMaskOutputElement] = await client.fill_mask("[MASK] world", model="m")
    summary: types.SummarizationOutput = await client.summarization("long text", model="m")
    answer: types.QuestionAnsweringOutputElement = await client.question_answering(
        {"question": "Where?", "context": "In Paris."}, model="m"
    )
    table: types.TableQuestionAnsweringOutputElement = await client.table_question_answering(
        {"query": "How many?", "table": {"a": ["1", "2"]}}, model="m"
    )
    labels: list[types.TextClassificationOutputElement] = await client.text_classification("ok")
    generated: types.TextGenerationOutput = await client.text_generation(
        "The answer is", model="gpt2", parameters={"max_new_tokens": 5}, timeout=Timeout(read=30)
    )
    async for event in client.text_generation_stream("hi", model="gpt2", use_cache=False):
        token: types.TextGenerationOutputToken = event.token
        final: str | None = event.generated_text
    entities: list[types.TokenClassificationOutputElement] = await client.token_classification("x")
    translated: types.TranslationOutput = await client.translation("Hallo", model="t5-base")
    zero: list[types.ZeroShotClassificationOutputElement] = await client.zero_shot_classification(
        "x", parameters={"candidate_labels": ["a", "b"]}
    )
    conversation: types.ConversationalOutput = await client.conversational({"text": "Hi"})
    similarity: list[float] = await client.sentence_similarity(
        {"source_sentence": "a", "sentences": ["b", "c"]}
    )
    reply: types.ChatCompletionOutput = await client.chat_completion(
        [{"role": "user", "content": "Hi"}], model="m", max_tokens=10, temperature=0.5
    )
    async with client.chat_completion_stream([{"role": "user", "content": "Hi"}]) as stream:
        async for chunk in stream:
            delta: str | None = chunk.choices[0].delta.content
    whole: types.ChatCompletionOutput = await hf_inference.accumulate_chat_stream(
        client.chat_completion_stream([types.ChatMessage(role="user", content="Hi")])
    )
    text: types.AutomaticSpeechRecognitionOutput = await client.automatic_speech_recognition(audio)
    sounds: list[types.AudioClassificationOutputElement] = await client.audio_classification(audio)
    speech: types.BinaryOutput = await client.text_to_speech("Hello")
    separated: list[types.AudioToAudioOutputElement] = await client.audio_to_audio(audio)
    classes: list[types.ImageClassificationOutputElement] = await client.image_classification(image)
    boxes: list[types.ObjectDetectionOutputElement] = await client.object_detection(image)
    segments: list[types.ImageSegmentationOutputElement] = await client.image_segmentation(image)
    caption: types.ImageToTextOutput = await client.image_to_text(image)
    drawn: types.BinaryOutput = await client.text_to_image("a cat", parameters={"width": 64})
    edited: types.BinaryOutput = await client.image_to_image(image, parameters={"prompt": "x"})
    zero_image: list[
        types.ZeroShotImageClassificationOutputElement
    ] = await client.zero_shot_image_classification(
        image, parameters={"candidate_labels": ["cat", "dog"]}
    )
    embedding: list[object] = await client.feature_extraction("Hello")
    vqa: list[types.VisualQuestionAnsweringOutputElement] = await client.visual_question_answering(
        {"question": "What?", "image": image}
    )
    docqa: list[
        types.DocumentQuestionAnsweringOutputElement
    ] = await client.document_question_answering({"question": "Total?", "image": image})
    regression: list[float] = await client.tabular_regression({"data": {"a": ["1"]}})
    classification: list[object] = await client.tabular_classification({"data": {"a": ["1"]}})
    raw: object = await client.request({"inputs": "x"}, model="m")
    typed: types.TextGenerationOutput = await client.request(
        {"inputs": "x"}, model="m", output_type=types.TextGenerationOutput
    )
    module_level: list[types.FillMaskOutputElement] = await hf_inference.fill_mask(
        "[MASK] world!", model="bert-base-uncased", token="hf_x"
    )
    endpoint: AsyncInferenceClient = client.endpoint("https://example.com/tgi")
    progress: list[hf_inference.JobProgress] = []
    video: types.BinaryOutput = await client.text_to_video(
        "a cat", model="m", provider="fal-ai", on_progress=progress.append
    )
    moving: types.BinaryOutput = await hf_inference.image_to_video(image, provider="auto")
    info: dict[str, object] = await endpoint.get_endpoint_info()
    healthy: bool = await endpoint.health_check()
    del (masks, summary, answer, table, labels, generated, token, final, entities, translated)
    del (zero, conversation, similarity, reply, delta, whole, text, sounds, speech, separated)
    del (classes, boxes, segments, caption, drawn, edited, zero_image, embedding, vqa, docqa)
    del (regression, classification, raw, typed, module_level, endpoint)
    del (video, moving, info, healthy)


async def ported_from_huggingface_hub(client: AsyncInferenceClient) -> None:
    import numpy as np
    from PIL.Image import Image

    picture: Image = (await client.text_to_image("a cat", model="m")).to_pil()
    vectors: np.ndarray[Any, Any] = hf_inference.as_array(
        await client.feature_extraction("Hello", model="m")
    )
    await client.close()
    del picture, vectors


async def openai_shaped(client: AsyncInferenceClient) -> None:
    import msgspec
    from typing_extensions import assert_type

    from hf_inference import AsyncStream, RawResponse, with_raw_response

    class Point(msgspec.Struct):
        x: int

    messages = [{"role": "user", "content": "Hi"}]
    parsed = await client.chat_completion(messages, model="m", response_format=Point)
    assert_type(parsed.parsed, Point)
    plain = await client.chat_completion(messages, response_format={"type": "json_object"})
    assert_type(plain, types.ChatCompletionOutput)
    created = await client.chat.completions.create(model="m", messages=messages)
    assert_type(created, types.ChatCompletionOutput)
    streamed = await client.chat.completions.create(model="m", messages=messages, stream=True)
    assert_type(streamed, AsyncStream[types.ChatCompletionStreamOutput])
    via_create = await client.chat.completions.create(
        model="m", messages=messages, response_format=Point
    )
    assert_type(via_create.parsed, Point)
    accumulated = await hf_inference.accumulate_chat_stream(
        client.chat_completion_stream(messages, response_format=Point), response_format=Point
    )
    assert_type(accumulated.parsed, Point)
    response = await client.responses.create(model="m", input="Hi", max_output_tokens=5)
    assert_type(response, types.Response)
    text: str = response.output_text
    events = await client.responses.create(model="m", input="Hi", stream=True)
    async for event in events:
        if isinstance(event, types.ResponseTextDeltaEvent):
            delta: str = event.delta
    raw = await with_raw_response(client.chat_completion(messages, model="m"))
    assert_type(raw, RawResponse[types.ChatCompletionOutput])
    module = await hf_inference.chat_completion(messages, model="m", response_format=Point)
    assert_type(module.parsed, Point)
    client.chat_completion(messages, max_token=5)  # type: ignore[call-overload]
    del text, delta


async def typed_parameters(client: AsyncInferenceClient, blocking: InferenceClient) -> None:
    """Each task's parameters as keywords or as its TypedDict; the overloads type the result."""
    from typing_extensions import assert_type

    from hf_inference import AsyncStream

    messages = [{"role": "user", "content": "Hi"}]
    plain = await client.text_generation("Hi", model="gpt2", max_new_tokens=5, stop=["\n"])
    assert_type(plain, types.TextGenerationOutput)
    detailed = await client.text_generation("Hi", model="gpt2", details=True)
    assert_type(detailed, types.DetailedTextGenerationOutput)
    assert_type(detailed.details, types.TextGenerationOutputDetails)
    stream = await client.text_generation("Hi", model="gpt2", stream=True, details=True)
    assert_type(stream, AsyncStream[types.TextGenerationStreamOutput])
    chunks = await client.chat_completion(messages, model="m", stream=True, max_tokens=5)
    assert_type(chunks, AsyncStream[types.ChatCompletionStreamOutput])
    settings: types.TextToImageParameters = {"width": 64, "height": 64, "seed": 1}
    image = await client.text_to_image("a cat", parameters=settings, num_inference_steps=4)
    assert_type(image, types.BinaryOutput)
    labels = await hf_inference.zero_shot_classification(
        "I bought a device", candidate_labels=["tech", "food"], multi_label=True
    )
    assert_type(labels, list[types.ZeroShotClassificationOutputElement])
    vectors = await client.feature_extraction("Hi", normalize=True, truncate=True)
    assert_type(vectors, list[Any])
    assert_type(blocking.text_generation("Hi", details=True), types.DetailedTextGenerationOutput)
    assert_type(
        blocking.text_generation("Hi", stream=True), SyncStream[types.TextGenerationStreamOutput]
    )
    assert_type(
        blocking.chat_completion(messages, stream=True),
        SyncStream[types.ChatCompletionStreamOutput],
    )
    assert_type(blocking.chat_completion(messages), types.ChatCompletionOutput)
    assert_type(blocking.fill_mask("a [MASK]", top_k=2), list[types.FillMaskOutputElement])
