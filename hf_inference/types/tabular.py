"""Outputs of the tabular tasks: one prediction per input row."""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["TabularClassificationOutput", "TabularRegressionOutput"]

TabularRegressionOutput: TypeAlias = list[float]
"""One predicted value per row."""

TabularClassificationOutput: TypeAlias = list[str | int | float]
"""One predicted class per row, as the model labels it (often an int)."""
