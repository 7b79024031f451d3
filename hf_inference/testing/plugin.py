"""The pytest plugin's fixtures under their documented module name.

pytest loads the plugin through the ``pytest11`` entry point ``hf_inference``, which names the
top-level module ``_hf_inference_pytestplugin``: importing this module would import
hf_inference (and aiohttp) in every pytest run of the environment. This module stays for
``pytest_plugins = ["hf_inference.testing.plugin"]`` (e.g. with ``-p no:hf_inference``).
"""

from __future__ import annotations

from _hf_inference_pytestplugin import (
    _hf_inference_anyio,
    inference_client,
    local_inference_server,
    pytest_configure,
)

__all__ = ["_hf_inference_anyio", "inference_client", "local_inference_server", "pytest_configure"]
