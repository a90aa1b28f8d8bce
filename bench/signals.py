"""Shared benchmark inputs, made the same way in every module."""

from __future__ import annotations

import numpy as np


def loud_noise(seconds: float, rate: int = 8000, seed: int = 1) -> np.ndarray:
    """Full-scale uniform int16 noise: the worst case for search-based
    G.711 encoders such as audioop's."""
    rng = np.random.default_rng(seed)
    return rng.integers(-32768, 32768, size=int(seconds * rate), dtype=np.int16)
