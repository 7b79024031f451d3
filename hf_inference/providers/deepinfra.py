"""DeepInfra: its OpenAI-compatible routes under ``/v1/openai`` (chat, completions,
embeddings, speech, and transcription as a multipart form)."""

from ._base import (
    OpenAIChat,
    OpenAICompletions,
    OpenAIEmbeddings,
    OpenAISpeech,
    OpenAITranscription,
    Provider,
)

PROVIDER = Provider(
    "deepinfra",
    "https://api.deepinfra.com",
    {
        "automatic-speech-recognition": OpenAITranscription("/v1/openai/audio/transcriptions"),
        "conversational": OpenAIChat("/v1/openai/chat/completions"),
        "feature-extraction": OpenAIEmbeddings("/v1/openai/embeddings"),
        "text-generation": OpenAICompletions("/v1/openai/completions"),
        "text-to-speech": OpenAISpeech("/v1/openai/audio/speech"),
    },
)
