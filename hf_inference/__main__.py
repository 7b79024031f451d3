"""``python -m hf_inference``: the ``hf-inference`` command line (see :mod:`hf_inference.cli`)."""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
