"""Optional NumPy view of feature-extraction output (NumPy is not a dependency)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def as_array(embeddings: Sequence[Any], dtype: npt.DTypeLike = "float32") -> np.ndarray[Any, Any]:
    """Nested float lists -> ``numpy.ndarray`` (ragged batches give an object array of rows).

    ``as_array(await client.feature_extraction("Hello"))`` gives an array of shape
    ``(dim,)`` or ``(tokens, dim)`` (per the model); a batch of n texts adds a first axis of n.
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
