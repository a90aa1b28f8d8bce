"""streamcodec.audioop against the real audioop: same bytes, same errors."""

from __future__ import annotations

import numpy as np
import pytest

from streamcodec import audioop as sa

FUNCS = ["lin2ulaw", "lin2alaw", "ulaw2lin", "alaw2lin"]


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("name", FUNCS)
def test_same_bytes_as_audioop(name, width, ref_audioop):
    rng = np.random.default_rng(width)
    if name.startswith("lin2"):
        fragment = rng.integers(0, 256, size=3000 * width, dtype=np.uint8).tobytes()
    else:
        fragment = bytes(range(256)) + rng.integers(0, 256, 1000, dtype=np.uint8).tobytes()
    assert getattr(sa, name)(fragment, width) == getattr(ref_audioop, name)(fragment, width)


def test_every_16bit_sample_as_audioop(all_int16, ref_audioop):
    data = all_int16.tobytes()
    assert sa.lin2ulaw(data, 2) == ref_audioop.lin2ulaw(data, 2)
    assert sa.lin2alaw(data, 2) == ref_audioop.lin2alaw(data, 2)


@pytest.mark.parametrize("name", FUNCS)
def test_same_errors_as_audioop(name, ref_audioop):
    ours, theirs = getattr(sa, name), getattr(ref_audioop, name)
    for args in [(b"\x00\x01", 5), (b"\x00\x01", 0)]:
        with pytest.raises(sa.error, match="Size should be 1, 2, 3 or 4"):
            ours(*args)
        with pytest.raises(ref_audioop.error, match="Size should be 1, 2, 3 or 4"):
            theirs(*args)
    for bad in ("ab", None, 12):
        with pytest.raises(TypeError, match="bytes-like object is required"):
            ours(bad, 2)
        with pytest.raises(TypeError):
            theirs(bad, 2)
    with pytest.raises(TypeError):
        ours(b"\x00\x00", "2")


@pytest.mark.parametrize("name", ["lin2ulaw", "lin2alaw"])
def test_partial_frames_rejected(name, ref_audioop):
    with pytest.raises(sa.error, match="not a whole number of frames"):
        getattr(sa, name)(b"\x00\x01\x02", 2)
    with pytest.raises(ref_audioop.error, match="not a whole number of frames"):
        getattr(ref_audioop, name)(b"\x00\x01\x02", 2)


def test_accepts_what_audioop_accepts(ref_audioop):
    pcm = np.array([1, -2, 300, -32768], dtype=np.int16)
    for data in (bytearray(pcm.tobytes()), memoryview(pcm.tobytes()), pcm):
        assert sa.lin2ulaw(data, 2) == ref_audioop.lin2ulaw(data, 2)
    assert sa.ulaw2lin(bytearray(b"\x00\xff"), 2) == ref_audioop.ulaw2lin(bytearray(b"\x00\xff"), 2)
    assert sa.lin2ulaw(b"", 2) == b"" and sa.ulaw2lin(b"", 4) == b""
