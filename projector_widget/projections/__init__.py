"""Projections: pure functions from a (N, D) matrix and parameters to (N, k) coordinates."""

from __future__ import annotations

from .pca import PCAResult, pca

__all__ = ["PCAResult", "pca"]
