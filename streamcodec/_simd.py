"""Which SIMD kernels the C core runs: chosen once on import, reported by
:func:`simd_info`.

The C core detects the CPU itself (``csrc/cpu.c``) and installs one set of
kernels per family.  ``STREAMCODEC_SIMD`` caps the level: ``baseline``,
``avx2`` or ``avx512`` on x86-64, ``baseline`` or ``neon`` on aarch64.  A
level the CPU lacks gives the highest it has; a name the architecture does
not know gives a :class:`RuntimeWarning` and the detected level.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from ._core import ffi, lib

ENV_VAR = "STREAMCODEC_SIMD"


@dataclass(frozen=True)
class SimdInfo:
    """What :func:`simd_info` reports.

    Attributes
    ----------
    arch : str
        The architecture the levels belong to: ``"x86_64"``, ``"aarch64"``
        or ``"other"``.
    levels : tuple of str
        The levels of this architecture, lowest first (``STREAMCODEC_SIMD``
        takes one of these).
    detected : str
        The highest level this CPU and its operating system can run.
    requested : str or None
        The value of ``STREAMCODEC_SIMD`` at import, or None when unset.
    chosen : str
        The level in use: ``detected``, capped by ``requested``.
    kernels : dict of str to str
        Per kernel family (``"g711"``: G.711, L16 and float conversion;
        ``"resample"``; ``"g722"``; ``"base64"``), the level whose kernels
        it runs.  A family with no kernels of its own for the chosen level
        runs those of the highest level below it (G.722 and base64 have
        none for ``avx512`` and run ``avx2``).
    """

    arch: str
    levels: Tuple[str, ...]
    detected: str
    requested: Optional[str]
    chosen: str
    kernels: Dict[str, str]

    def __str__(self) -> str:
        kernels = ", ".join(f"{family} {level}" for family, level in self.kernels.items())
        capped = ""
        if self.requested is not None:
            understood = self.requested.strip().lower() in self.levels
            capped = f", {ENV_VAR}={self.requested!r}" + ("" if understood else " ignored")
        return (f"SIMD: {self.chosen} on {self.arch} (CPU supports {self.detected}{capped}); "
                f"kernels: {kernels}")


def _text(ptr) -> str:
    return ffi.string(ptr).decode()


def _levels() -> Tuple[str, ...]:
    names: list[str] = []
    while True:
        name = lib.sc_cpu_level_name(len(names))
        if name == ffi.NULL:
            return tuple(names)
        names.append(_text(name))


def _select(requested: Optional[str]) -> None:
    """Install the kernels for ``requested`` (a level name, or None for the
    detected level); an unknown name warns and selects the detected level."""
    cap = -1
    if requested is not None:
        cap = lib.sc_cpu_level_from_name(requested.strip().lower().encode())
        if cap < 0:
            warnings.warn(
                f"{ENV_VAR}={requested!r} is not a SIMD level of this {_text(lib.sc_cpu_arch())} "
                f"build (expected one of {', '.join(_levels())}); using the detected level",
                RuntimeWarning, stacklevel=3)
    lib.sc_cpu_select(cap)


_REQUESTED: Optional[str] = os.environ.get(ENV_VAR) or None
_select(_REQUESTED)


def simd_info() -> SimdInfo:
    """Report the SIMD level detected, the one chosen and each kernel family's.

    The level is chosen once, when streamcodec is imported: the highest the
    CPU and operating system support, capped by the environment variable
    ``STREAMCODEC_SIMD`` (``baseline``, ``avx2``, ``avx512`` on x86-64;
    ``baseline``, ``neon`` on aarch64).  Every level gives the same bits for
    the integer codecs; see the platforms page of the documentation for the
    resampler's guarantee.

    Returns
    -------
    SimdInfo
        ``str()`` of it is the one line ``streamcodec --version`` prints.

    Examples
    --------
    >>> import streamcodec
    >>> info = streamcodec.simd_info()
    >>> info.chosen in info.levels
    True
    """
    kernels = {}
    family = 0
    while True:
        name = lib.sc_cpu_family_name(family)
        if name == ffi.NULL:
            break
        kernels[_text(name)] = _text(lib.sc_cpu_family_kernel(family))
        family += 1
    return SimdInfo(arch=_text(lib.sc_cpu_arch()), levels=_levels(),
                    detected=_text(lib.sc_cpu_level_name(lib.sc_cpu_detected())),
                    requested=_REQUESTED,
                    chosen=_text(lib.sc_cpu_level_name(lib.sc_cpu_level())),
                    kernels=kernels)
