"""The public surface stays in step: task table, client methods, module functions, exports."""

from __future__ import annotations

import inspect

import hf_inference
from hf_inference import AsyncInferenceClient, _functions, _tasks

PRODUCT_TASKS = {
    "fill_mask", "summarization", "question_answering", "table_question_answering",
    "text_classification", "text_generation", "text_generation_stream", "token_classification",
    "translation", "zero_shot_classification", "conversational", "sentence_similarity",
    "automatic_speech_recognition", "audio_classification", "text_to_speech", "audio_to_audio",
    "image_classification", "object_detection", "image_segmentation", "image_to_text",
    "text_to_image", "image_to_image", "zero_shot_image_classification", "feature_extraction",
    "visual_question_answering", "document_question_answering", "tabular_regression",
    "tabular_classification", "chat_completion", "chat_completion_stream", "text_to_video",
    "image_to_video",
}  # fmt: skip


def test_task_table_client_methods_and_module_functions_agree() -> None:
    assert set(_tasks.TASKS) == PRODUCT_TASKS
    assert set(_functions.TASK_FUNCTIONS) == PRODUCT_TASKS
    for name in PRODUCT_TASKS:
        method = getattr(AsyncInferenceClient, name)
        function = getattr(hf_inference, name)
        assert function.__wrapped__ is method, name
        assert method.__doc__, f"{name} has no docstring"
        is_stream = name.endswith("_stream")
        assert inspect.iscoroutinefunction(method) is not is_stream, name
        assert _tasks.TASKS[name].stream is is_stream


def test_methods_are_written_out_not_attached() -> None:
    source = inspect.getsource(AsyncInferenceClient)
    for name in PRODUCT_TASKS:
        assert f"def {name}(" in source, name


def test_exports_are_importable_and_sorted() -> None:
    for name in hf_inference.__all__:
        assert hasattr(hf_inference, name), name
    assert hf_inference.HfInference is AsyncInferenceClient
    public = {n for n in dir(hf_inference) if n[0].isalpha()}
    modules = {
        "types", "testing", "annotations", "cli", "demo", "sync", "integrations", "providers",
    }  # fmt: skip
    assert public - set(hf_inference.__all__) - modules == set()


def test_every_output_struct_is_frozen_and_documented() -> None:
    import msgspec

    for name in hf_inference.types.__all__:
        obj = getattr(hf_inference.types, name)
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct):
            assert obj.__struct_config__.frozen, name
            assert obj.__doc__ and obj.__doc__.strip(), name
