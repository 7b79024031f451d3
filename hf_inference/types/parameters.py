"""Task parameters: one ``TypedDict`` per task, with the wire names and types of the Hugging
Face task specifications (what goes in the body's ``"parameters"``).

Every key is optional (``total=False``): the server's default applies to what is left out.
mypy rejects a misspelled key; at run time a key the specification does not name still goes to
the server as given (custom models read their own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

ClassificationFunction = Literal["sigmoid", "softmax", "none"]
Truncation = Literal["do_not_truncate", "longest_first", "only_first", "only_second"]


class GenerationParameters(TypedDict, total=False):
    """transformers' generation settings (``generation_parameters`` of the audio/vision tasks)."""

    do_sample: bool
    early_stopping: bool | Literal["never"]
    epsilon_cutoff: float
    eta_cutoff: float
    max_length: int
    max_new_tokens: int
    min_length: int
    min_new_tokens: int
    num_beam_groups: int
    num_beams: int
    penalty_alpha: float
    temperature: float
    top_k: int
    top_p: float
    typical_p: float
    use_cache: bool


class TargetSize(TypedDict):
    """The size of a generated image or video, in pixels."""

    width: int
    height: int


class TextGenerationGrammar(TypedDict):
    """TGI guided generation: ``{"type": "json", "value": <JSON schema>}`` or a regex."""

    type: Literal["json", "regex", "json_schema"]
    value: Any


# -- natural language --------------------------------------------------------------------------


class FillMaskParameters(TypedDict, total=False):
    """Parameters of ``fill_mask`` (``parameters=`` or keyword arguments)."""

    targets: Sequence[str]
    """Only score these words for the mask."""
    top_k: int
    """How many predictions to return."""


class SummarizationParameters(TypedDict, total=False):
    """Parameters of ``summarization`` (``parameters=`` or keyword arguments)."""

    clean_up_tokenization_spaces: bool
    generate_parameters: Mapping[str, Any]
    truncation: Truncation


class QuestionAnsweringParameters(TypedDict, total=False):
    """Parameters of ``question_answering`` (``parameters=`` or keyword arguments)."""

    align_to_words: bool
    doc_stride: int
    handle_impossible_answer: bool
    max_answer_len: int
    max_question_len: int
    max_seq_len: int
    top_k: int
    """More than 1 returns a list of answers."""


class TableQuestionAnsweringParameters(TypedDict, total=False):
    """Parameters of ``table_question_answering`` (``parameters=`` or keyword arguments)."""

    padding: Literal["do_not_pad", "longest", "max_length"]
    sequential: bool
    truncation: bool


class TextClassificationParameters(TypedDict, total=False):
    """Parameters of ``text_classification`` (``parameters=`` or keyword arguments)."""

    function_to_apply: ClassificationFunction
    top_k: int


class TextGenerationSampling(TypedDict, total=False):
    """TGI's generation parameters but ``details`` (a keyword of its own on text_generation)."""

    adapter_id: str
    best_of: int
    decoder_input_details: bool
    do_sample: bool
    frequency_penalty: float
    grammar: TextGenerationGrammar | Mapping[str, Any]
    max_new_tokens: int
    repetition_penalty: float
    return_full_text: bool
    seed: int
    stop: Sequence[str]
    temperature: float
    top_k: int
    top_n_tokens: int
    top_p: float
    truncate: int
    typical_p: float
    watermark: bool


class TextGenerationParameters(TextGenerationSampling, total=False):
    """TGI generation parameters (``parameters=`` of text_generation)."""

    details: bool
    """Return tokens, seed and finish reason (TGI)."""


class TokenClassificationParameters(TypedDict, total=False):
    """Parameters of ``token_classification`` (``parameters=`` or keyword arguments)."""

    aggregation_strategy: Literal["none", "simple", "first", "average", "max"]
    ignore_labels: Sequence[str]
    stride: int


class TranslationParameters(TypedDict, total=False):
    """Parameters of ``translation`` (``parameters=`` or keyword arguments)."""

    clean_up_tokenization_spaces: bool
    generate_parameters: Mapping[str, Any]
    src_lang: str
    tgt_lang: str
    truncation: Truncation


class ZeroShotClassificationParameters(TypedDict, total=False):
    """Parameters of ``zero_shot_classification`` (``parameters=`` or keyword arguments)."""

    candidate_labels: Sequence[str]
    """The labels to score (the server requires them)."""
    hypothesis_template: str
    multi_label: bool


class ConversationalParameters(TypedDict, total=False):
    """The retired conversational task's parameters that chat completion can honour."""

    max_length: int
    """Sent as chat's ``max_tokens``."""
    temperature: float
    top_p: float


class SentenceSimilarityParameters(TypedDict, total=False):
    """The specification names no sentence-similarity parameter."""


class FeatureExtractionParameters(TypedDict, total=False):
    """Sent at the top level of the body, beside ``inputs`` (the specification's place)."""

    normalize: bool
    prompt_name: str
    truncate: bool
    truncation_direction: Literal["left", "right", "Left", "Right"]


# -- audio -------------------------------------------------------------------------------------


class AutomaticSpeechRecognitionParameters(TypedDict, total=False):
    """Parameters of ``automatic_speech_recognition`` (``parameters=`` or keyword arguments)."""

    generation_parameters: GenerationParameters
    return_timestamps: bool


class AudioClassificationParameters(TypedDict, total=False):
    """Parameters of ``audio_classification`` (``parameters=`` or keyword arguments)."""

    function_to_apply: ClassificationFunction
    top_k: int


class TextToSpeechParameters(TypedDict, total=False):
    """Parameters of ``text_to_speech`` (``parameters=`` or keyword arguments)."""

    generation_parameters: GenerationParameters


class AudioToAudioParameters(TypedDict, total=False):
    """The specification names no audio-to-audio parameter."""


# -- vision ------------------------------------------------------------------------------------


class ImageClassificationParameters(TypedDict, total=False):
    """Parameters of ``image_classification`` (``parameters=`` or keyword arguments)."""

    function_to_apply: ClassificationFunction
    top_k: int


class ObjectDetectionParameters(TypedDict, total=False):
    """Parameters of ``object_detection`` (``parameters=`` or keyword arguments)."""

    threshold: float


class ImageSegmentationParameters(TypedDict, total=False):
    """Parameters of ``image_segmentation`` (``parameters=`` or keyword arguments)."""

    mask_threshold: float
    overlap_mask_area_threshold: float
    subtask: Literal["instance", "panoptic", "semantic"]
    threshold: float


class ImageToTextParameters(TypedDict, total=False):
    """Parameters of ``image_to_text`` (``parameters=`` or keyword arguments)."""

    generation_parameters: GenerationParameters
    max_new_tokens: int


class TextToImageParameters(TypedDict, total=False):
    """Parameters of ``text_to_image`` (``parameters=`` or keyword arguments)."""

    guidance_scale: float
    height: int
    negative_prompt: str
    num_inference_steps: int
    scheduler: str
    seed: int
    width: int


class ImageToImageParameters(TypedDict, total=False):
    """Parameters of ``image_to_image`` (``parameters=`` or keyword arguments)."""

    guidance_scale: float
    negative_prompt: str
    num_inference_steps: int
    prompt: str
    target_size: TargetSize


class TextToVideoParameters(TypedDict, total=False):
    """Parameters of ``text_to_video`` (``parameters=`` or keyword arguments)."""

    guidance_scale: float
    negative_prompt: Sequence[str]
    num_frames: float
    num_inference_steps: int
    seed: int


class ImageToVideoParameters(TypedDict, total=False):
    """Parameters of ``image_to_video`` (``parameters=`` or keyword arguments)."""

    guidance_scale: float
    negative_prompt: str
    num_frames: float
    num_inference_steps: int
    prompt: str
    seed: int
    target_size: TargetSize


class ZeroShotImageClassificationParameters(TypedDict, total=False):
    """Parameters of ``zero_shot_image_classification`` (``parameters=`` or keywords)."""

    candidate_labels: Sequence[str]
    """The labels to score (the server requires them)."""
    hypothesis_template: str


# -- multimodal and tabular ----------------------------------------------------------------------


class VisualQuestionAnsweringParameters(TypedDict, total=False):
    """Parameters of ``visual_question_answering`` (``parameters=`` or keyword arguments)."""

    top_k: int


class DocumentQuestionAnsweringParameters(TypedDict, total=False):
    """Parameters of ``document_question_answering`` (``parameters=`` or keyword arguments)."""

    doc_stride: int
    handle_impossible_answer: bool
    lang: str
    max_answer_len: int
    max_question_len: int
    max_seq_len: int
    top_k: int
    word_boxes: Sequence[Sequence[float] | str]


class TabularRegressionParameters(TypedDict, total=False):
    """The specification names no tabular-regression parameter."""


class TabularClassificationParameters(TypedDict, total=False):
    """The specification names no tabular-classification parameter."""
