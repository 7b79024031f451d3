"""Typed keyword arguments shared by the task methods (checked by mypy, plain dicts at runtime)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypedDict

from ._config import Timeout
from ._jobs import JobProgress


class CallOptions(TypedDict, total=False):
    """Per-call options every task accepts as keyword arguments."""

    token: str
    """Use this token for this call instead of the client's."""
    headers: Mapping[str, str]
    """Extra request headers for this call."""
    timeout: Timeout | float | None
    """Time limits of this call (a number sets the read and first-byte limits)."""
    wait_for_model: bool
    """Wait while the model loads (also sends ``x-wait-for-model: true`` when True)."""
    use_cache: bool
    """``False`` sends ``x-use-cache: false`` (no cached answer)."""
    dont_load_model: bool
    """``True`` sends ``x-load-model: 0`` (fail instead of loading a cold model)."""
    max_retries: int
    """Retries of 408/429/5xx and connection errors for this call."""
    bill_to: str
    """Organisation to bill (``X-HF-Bill-To``)."""
    extra_body: Mapping[str, Any]
    """Keys merged into the top level of the JSON body."""
    on_loading: Callable[[float, float], None]
    """Called with (estimated_time, waited) while a model loads."""
    provider: str
    """``"auto"``, or the Inference Provider to use for this call (e.g. ``"fal-ai"``)."""
    on_progress: Callable[[JobProgress], None]
    """Called with each status report of a provider job (queue position, status)."""


class TextGenerationParameters(TypedDict, total=False):
    """TGI generation parameters (``parameters=`` of text_generation)."""

    max_new_tokens: int
    temperature: float
    top_k: int
    top_p: float
    typical_p: float
    repetition_penalty: float
    frequency_penalty: float
    do_sample: bool
    seed: int
    stop: list[str]
    details: bool
    decoder_input_details: bool
    return_full_text: bool
    truncate: int
    watermark: bool
    best_of: int
    top_n_tokens: int
    grammar: Mapping[str, Any]
    adapter_id: str


class ChatCompletionParameters(CallOptions, total=False):
    """OpenAI-compatible chat parameters, plus the per-call options.

    ``response_format`` is a keyword argument of its own on the chat methods (a mapping, or a
    type to decode the answer into).
    """

    max_tokens: int
    temperature: float
    top_p: float
    frequency_penalty: float
    presence_penalty: float
    seed: int
    stop: str | Sequence[str]
    n: int
    logprobs: bool
    top_logprobs: int
    logit_bias: Mapping[str, float]
    tools: Sequence[Mapping[str, Any]]
    tool_choice: Literal["auto", "none", "required"] | str | Mapping[str, Any]
    tool_prompt: str
    stream_options: Mapping[str, Any]


CALL_OPTION_NAMES = frozenset(CallOptions.__annotations__)
