"""Glue for web frameworks; each submodule imports its framework, which stays optional.

* :mod:`hf_inference.integrations.starlette` (Starlette and FastAPI): token streams as
  server-sent events or over a WebSocket, and one shared client per app via the lifespan.
"""
