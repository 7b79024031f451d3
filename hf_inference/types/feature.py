"""Output of feature extraction: nested lists of floats whose depth depends on the model."""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["FeatureExtractionOutput"]

FeatureExtractionOutput: TypeAlias = list[Any]
"""Embeddings as nested float lists: ``[dim]`` for a pooled sentence embedding,
``[1][tokens][dim]`` for token embeddings, ``[batch][1][tokens][dim]`` for a batch.
The depth varies by model, so the elements are not typed further."""
