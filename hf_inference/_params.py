"""Typed keyword arguments of the task methods (checked by mypy, plain dicts at run time).

A task method takes its task's parameters (``hf_inference.types.parameters``) and the per-call
options (:class:`CallOptions`) as keyword arguments; ``<Task>Kwargs`` is the union of the two,
and :func:`split_keywords` tells them apart at run time.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, TypedDict, cast

from ._config import Timeout
from ._exceptions import InvalidInputError
from ._jobs import JobProgress
from ._payloads import check_parameters
from .types import parameters as p


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


def call_options(keywords: Mapping[str, Any]) -> CallOptions:
    """The per-call options among the keywords of a call whose keywords are not split (chat,
    ``responses.create``): everything else goes in the body."""
    return cast(CallOptions, {k: v for k, v in keywords.items() if k in CALL_OPTION_NAMES})


def body_fields(keywords: Mapping[str, Any]) -> dict[str, Any]:
    """The body fields among those keywords: the per-call options and None values left out."""
    return {k: v for k, v in keywords.items() if k not in CALL_OPTION_NAMES and v is not None}


class FillMaskKwargs(p.FillMaskParameters, CallOptions):
    pass


class SummarizationKwargs(p.SummarizationParameters, CallOptions):
    pass


class QuestionAnsweringKwargs(p.QuestionAnsweringParameters, CallOptions):
    pass


class TableQuestionAnsweringKwargs(p.TableQuestionAnsweringParameters, CallOptions):
    pass


class TextClassificationKwargs(p.TextClassificationParameters, CallOptions):
    pass


class TextGenerationKwargs(p.TextGenerationSampling, CallOptions):
    pass


class TokenClassificationKwargs(p.TokenClassificationParameters, CallOptions):
    pass


class TranslationKwargs(p.TranslationParameters, CallOptions):
    pass


class ZeroShotClassificationKwargs(p.ZeroShotClassificationParameters, CallOptions):
    pass


class ConversationalKwargs(p.ConversationalParameters, CallOptions):
    pass


class SentenceSimilarityKwargs(p.SentenceSimilarityParameters, CallOptions):
    pass


class FeatureExtractionKwargs(p.FeatureExtractionParameters, CallOptions):
    pass


class AutomaticSpeechRecognitionKwargs(p.AutomaticSpeechRecognitionParameters, CallOptions):
    pass


class AudioClassificationKwargs(p.AudioClassificationParameters, CallOptions):
    pass


class TextToSpeechKwargs(p.TextToSpeechParameters, CallOptions):
    pass


class AudioToAudioKwargs(p.AudioToAudioParameters, CallOptions):
    pass


class ImageClassificationKwargs(p.ImageClassificationParameters, CallOptions):
    pass


class ObjectDetectionKwargs(p.ObjectDetectionParameters, CallOptions):
    pass


class ImageSegmentationKwargs(p.ImageSegmentationParameters, CallOptions):
    pass


class ImageToTextKwargs(p.ImageToTextParameters, CallOptions):
    pass


class TextToImageKwargs(p.TextToImageParameters, CallOptions):
    pass


class ImageToImageKwargs(p.ImageToImageParameters, CallOptions):
    pass


class TextToVideoKwargs(p.TextToVideoParameters, CallOptions):
    pass


class ImageToVideoKwargs(p.ImageToVideoParameters, CallOptions):
    pass


class ZeroShotImageClassificationKwargs(p.ZeroShotImageClassificationParameters, CallOptions):
    pass


class VisualQuestionAnsweringKwargs(p.VisualQuestionAnsweringParameters, CallOptions):
    pass


class DocumentQuestionAnsweringKwargs(p.DocumentQuestionAnsweringParameters, CallOptions):
    pass


class TabularRegressionKwargs(p.TabularRegressionParameters, CallOptions):
    pass


class TabularClassificationKwargs(p.TabularClassificationParameters, CallOptions):
    pass


def parameter_names(parameters: type[Any]) -> frozenset[str]:
    """The keys a parameters TypedDict declares (inherited ones included)."""
    return frozenset(getattr(parameters, "__required_keys__", ())) | frozenset(
        getattr(parameters, "__optional_keys__", ())
    )


IN_PARAMETERS = "inside parameters={...}"
IN_EXTRA_BODY = "in extra_body={...} (the body's top level)"


def unknown_keyword(
    task: str, name: str, valid: Collection[str], elsewhere: str = IN_PARAMETERS
) -> InvalidInputError:
    """The error for a keyword argument that is neither a parameter of ``task`` nor an option.

    ``elsewhere``: where a parameter the specification does not name can go instead.
    """
    close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    named = ", ".join(sorted(set(valid) - CALL_OPTION_NAMES)) or "none"
    return InvalidInputError(
        f"unknown keyword argument {name!r} for {task}: {hint}"
        f"its parameters are {named}, beside the per-call options (token, timeout, ...); "
        f"a parameter the specification does not name goes {elsewhere}"
    )


def check_keywords(
    task: str, keywords: Mapping[str, Any], names: Collection[str], elsewhere: str = IN_PARAMETERS
) -> None:
    """Refuse the first keyword not in ``names`` (calls whose keywords are not split)."""
    for key in keywords:
        if key not in names:
            raise unknown_keyword(task, key, names, elsewhere)


def split_keywords(
    task: str,
    names: frozenset[str],
    parameters: Mapping[str, Any] | None,
    keywords: Mapping[str, Any],
) -> tuple[Mapping[str, Any] | None, dict[str, Any]]:
    """(parameters, call options) of a call whose keywords mix the two.

    ``names``: the task's parameter names. A keyword that is neither is an error naming the
    closest valid one; one given both as a keyword and inside ``parameters=`` is an error too.
    """
    options: dict[str, Any] = {}
    merged: dict[str, Any] | None = None
    for key, value in keywords.items():
        if key in CALL_OPTION_NAMES:
            options[key] = value
        elif key in names:
            if merged is None:
                merged = dict(check_parameters(parameters) or {})
            if key in merged:
                raise InvalidInputError(
                    f"{key!r} given twice for {task}, as a keyword argument and inside "
                    f"parameters=: pass it once"
                )
            merged[key] = value
        else:
            raise unknown_keyword(task, key, names | CALL_OPTION_NAMES)
    return (parameters if merged is None else merged), options
