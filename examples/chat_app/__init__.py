"""A chat page streaming model tokens into the browser, over WebSocket or server-sent events.

``python -m examples.chat_app`` runs it against the bundled local API server (no token, no
network) and prints the URL to open; ``HF_TOKEN=hf_... python -m examples.chat_app --model
meta-llama/Llama-3.1-8B-Instruct`` runs it against the real API. See ``docs/chat-app.md``.
"""

from .app import ChatRequest, Message, create_app

__all__ = ["ChatRequest", "Message", "create_app"]
