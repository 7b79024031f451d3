"""Optional NumPy view of feature-extraction output (NumPy is not a dependency)."""

from __future__ import annotations

from typing import Any


def as_array(embeddings: Any, dtype: str = "float32") -> Any:
    """Nested float lists -> ``numpy.ndarray`` (ragged batches give an object array of rows).

    Raises ``ImportError`` with an install hint when NumPy is missing.
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("as_array needs NumPy: pip install 'hf-inference[numpy]'") from None
    try:
        return np.asarray(embeddings, dtype=dtype)
    except ValueError:
        return np.asarray([np.asarray(row, dtype=dtype) for row in embeddings], dtype=object)
