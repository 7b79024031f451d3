"""What a child process's stderr says once asyncio's debug-mode timing reports are taken out.

Dev mode (``-X dev`` / ``PYTHONDEVMODE``) shows every ResourceWarning and unclosed transport,
which is why the lifecycle tests run their scripts under it; it also logs any callback that
ran longer than 0.1 s, which says only that the machine was busy.
"""

from __future__ import annotations

import re

_SLOW_CALLBACK = re.compile(r"^Executing <.*> took \d+\.\d+ seconds\n?", re.MULTILINE)


def without_slow_callback_reports(stderr: str | bytes) -> str:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    return _SLOW_CALLBACK.sub("", text)
