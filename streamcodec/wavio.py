"""Mono 16-bit WAV files, with the standard library's wave module."""

from __future__ import annotations

import wave
from os import PathLike

import numpy as np

__all__ = ["read_wav", "write_wav"]


def read_wav(path: str | PathLike) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV as (mono int16 samples, rate); stereo is mixed down."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported, "
                             f"got {8 * w.getsampwidth()}-bit")
        channels, rate = w.getnchannels(), w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).round().astype(np.int16)
    return data.astype(np.int16), rate


def write_wav(path: str | PathLike, pcm: np.ndarray | bytes, rate: int) -> None:
    """Write mono 16-bit PCM (int16 array or native-endian bytes) as WAV."""
    samples = np.frombuffer(pcm, dtype=np.int16) if isinstance(pcm, (bytes, bytearray)) else pcm
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())
