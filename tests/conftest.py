"""Shared fixtures.  The suite imports the installed streamcodec, never the
source tree (pyproject sets --import-mode=importlib, and test_package.py
checks where the package came from)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import settings

# Shared machines stall now and then: no per-example deadlines.  Under CI
# the examples are derandomized (a fixed, repeatable set); local runs keep
# exploring new ones.
settings.register_profile("streamcodec", deadline=None,
                          derandomize=bool(os.environ.get("CI")))
settings.load_profile("streamcodec")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_stdlib_audioop():
    """The reference audioop: the standard library's up to 3.12, the
    audioop-lts backport from 3.13; None when neither is installed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import audioop  # noqa: F401  (stdlib or audioop-lts, same name)
        except ImportError:
            return None
    return audioop


@pytest.fixture(scope="session")
def ref_audioop():
    module = load_stdlib_audioop()
    if module is None:
        pytest.fail("the reference audioop (stdlib, or audioop-lts on 3.13+) must be installed")
    return module


@pytest.fixture(scope="session")
def all_int16() -> np.ndarray:
    return np.arange(-32768, 32768, dtype=np.int16)


@pytest.fixture(scope="session")
def all_codes() -> bytes:
    return bytes(range(256))
