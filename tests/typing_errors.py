"""Misspelled or mistyped parameters that mypy --strict must reject (never run).

Each line that must fail ends in ``# error: <code>``; ``tests/test_typing.py`` runs mypy on
this file and holds the errors it reports to exactly these lines.
"""

from __future__ import annotations

import hf_inference
from hf_inference import AsyncInferenceClient
from hf_inference.sync import InferenceClient


async def misspelled(client: AsyncInferenceClient, blocking: InferenceClient) -> None:
    await client.text_generation("hi", max_new_token=5)  # error: call-overload
    await client.text_generation("hi", parameters={"max_new_token": 5})  # error: call-overload
    client.text_generation_stream("hi", max_new_token=5)  # error: call-arg
    await client.fill_mask("a [MASK]", topk=3)  # error: call-arg
    await client.fill_mask("a [MASK]", parameters={"topk": 3})  # error: arg-type
    await client.text_to_image("a cat", num_inference_step=4)  # error: call-arg
    await client.chat_completion([], max_token=3)  # error: call-overload
    await hf_inference.summarization("text", truncaton="only_first")  # error: call-arg
    blocking.fill_mask("a [MASK]", topk=3)  # error: call-arg
    blocking.text_generation("hi", max_new_token=5)  # error: call-overload


async def mistyped(client: AsyncInferenceClient) -> None:
    await client.text_to_image("a cat", width="64")  # error: arg-type
    await client.summarization("text", truncation="cut")  # error: arg-type
    await client.text_classification("ok", parameters={"top_k": "3"})  # error: arg-type
    await client.text_generation("hi", stream="yes")  # error: call-overload
