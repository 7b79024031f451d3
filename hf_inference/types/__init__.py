"""Typed outputs of every task: frozen msgspec Structs whose field names match the wire.

Each struct also answers ``out["field"]``, ``out.get("field")`` and ``out.to_dict()``, which
eases porting code written against dict-returning clients.
"""

from __future__ import annotations

from ._base import BaseStruct
from .audio import (
    AudioClassificationOutputElement,
    AudioToAudioOutputElement,
    AutomaticSpeechRecognitionOutput,
    AutomaticSpeechRecognitionOutputChunk,
)
from .binary import BinaryOutput
from .chat import (
    ChatCompletionInputFunctionDefinition,
    ChatCompletionInputTool,
    ChatCompletionOutput,
    ChatCompletionOutputComplete,
    ChatCompletionOutputFunctionDefinition,
    ChatCompletionOutputLogprob,
    ChatCompletionOutputLogprobs,
    ChatCompletionOutputMessage,
    ChatCompletionOutputToolCall,
    ChatCompletionOutputTopLogprob,
    ChatCompletionOutputUsage,
    ChatCompletionStreamOutput,
    ChatCompletionStreamOutputChoice,
    ChatCompletionStreamOutputDelta,
    ChatCompletionStreamOutputDeltaToolCall,
    ChatCompletionStreamOutputFunction,
    ChatCompletionStreamOutputLogprob,
    ChatCompletionStreamOutputLogprobs,
    ChatCompletionStreamOutputTopLogprob,
    ChatCompletionStreamOutputUsage,
    ChatMessage,
)
from .feature import FeatureExtractionOutput
from .generation import (
    TextGenerationOutput,
    TextGenerationOutputBestOfSequence,
    TextGenerationOutputDetails,
    TextGenerationOutputToken,
    TextGenerationPrefillToken,
    TextGenerationStreamOutput,
    TextGenerationStreamOutputStreamDetails,
)
from .multimodal import (
    DocumentQuestionAnsweringOutputElement,
    VisualQuestionAnsweringOutputElement,
)
from .tabular import TabularClassificationOutput, TabularRegressionOutput
from .text import (
    ConversationalConversation,
    ConversationalOutput,
    FillMaskOutputElement,
    QuestionAnsweringOutputElement,
    SentenceSimilarityOutput,
    SummarizationOutput,
    TableQuestionAnsweringOutputElement,
    TextClassificationOutputElement,
    TokenClassificationOutputElement,
    TranslationOutput,
    ZeroShotClassificationOutputElement,
    ZeroShotClassificationWireOutput,
)
from .vision import (
    ImageClassificationOutputElement,
    ImageSegmentationOutputElement,
    ImageToTextOutput,
    ObjectDetectionBoundingBox,
    ObjectDetectionOutputElement,
    ZeroShotImageClassificationOutputElement,
)

__all__ = [
    "AudioClassificationOutputElement",
    "AudioToAudioOutputElement",
    "AutomaticSpeechRecognitionOutput",
    "AutomaticSpeechRecognitionOutputChunk",
    "BaseStruct",
    "BinaryOutput",
    "ChatCompletionInputFunctionDefinition",
    "ChatCompletionInputTool",
    "ChatCompletionOutput",
    "ChatCompletionOutputComplete",
    "ChatCompletionOutputFunctionDefinition",
    "ChatCompletionOutputLogprob",
    "ChatCompletionOutputLogprobs",
    "ChatCompletionOutputMessage",
    "ChatCompletionOutputToolCall",
    "ChatCompletionOutputTopLogprob",
    "ChatCompletionOutputUsage",
    "ChatCompletionStreamOutput",
    "ChatCompletionStreamOutputChoice",
    "ChatCompletionStreamOutputDelta",
    "ChatCompletionStreamOutputDeltaToolCall",
    "ChatCompletionStreamOutputFunction",
    "ChatCompletionStreamOutputLogprob",
    "ChatCompletionStreamOutputLogprobs",
    "ChatCompletionStreamOutputTopLogprob",
    "ChatCompletionStreamOutputUsage",
    "ChatMessage",
    "ConversationalConversation",
    "ConversationalOutput",
    "DocumentQuestionAnsweringOutputElement",
    "FeatureExtractionOutput",
    "FillMaskOutputElement",
    "ImageClassificationOutputElement",
    "ImageSegmentationOutputElement",
    "ImageToTextOutput",
    "ObjectDetectionBoundingBox",
    "ObjectDetectionOutputElement",
    "QuestionAnsweringOutputElement",
    "SentenceSimilarityOutput",
    "SummarizationOutput",
    "TableQuestionAnsweringOutputElement",
    "TabularClassificationOutput",
    "TabularRegressionOutput",
    "TextClassificationOutputElement",
    "TextGenerationOutput",
    "TextGenerationOutputBestOfSequence",
    "TextGenerationOutputDetails",
    "TextGenerationOutputToken",
    "TextGenerationPrefillToken",
    "TextGenerationStreamOutput",
    "TextGenerationStreamOutputStreamDetails",
    "TokenClassificationOutputElement",
    "TranslationOutput",
    "VisualQuestionAnsweringOutputElement",
    "ZeroShotClassificationOutputElement",
    "ZeroShotClassificationWireOutput",
    "ZeroShotImageClassificationOutputElement",
]
