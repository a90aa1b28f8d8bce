"""What the README says about the codec objects is what they do: its
concealment examples conceal 20 ms, and its account of which encoders take
partial frames."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import streamcodec as sc
from conftest import REPO


def _readme() -> str:
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        return f.read()


def test_every_conceal_example_labelled_20_ms_is_20_ms_at_its_decoder_rate():
    text = _readme()
    decoders = {}                 # variable -> the Decoder(...) arguments last assigned
    checked = 0
    for line in text.splitlines():
        made = re.match(r"\s*(\w+) = sc\.Decoder\(([^)]*)\)", line)
        if made:
            decoders[made.group(1)] = made.group(2)
        used = re.match(r"\s*(\w+)\.conceal\((\d+)\)\s+#.*\b20 ms\b", line)
        if used:
            args = decoders[used.group(1)]
            decoder = eval(f"sc.Decoder({args})", {"sc": sc})
            pcm = decoder.conceal(int(used.group(2)))
            assert len(pcm) // 2 == decoder.rate // 50, (line, args)
            checked += 1
    assert checked >= 2


def test_partial_frames_are_as_the_readme_says():
    text = " ".join(_readme().split())
    assert "G.711 and L16 encode any whole number of samples" in text
    # G.711 and L16 have no frames: 100 samples at the codec rate, 100 codes.
    assert len(sc.Encoder("PCMU").encode(np.zeros(100, np.int16))) == 100
    assert len(sc.Encoder("PCMA").encode(np.zeros(100, np.int16))) == 100
    assert len(sc.Encoder("L16", rate=8000).encode(np.zeros(100, np.int16))) == 200
    # Resampling inside, whole steps of the rate ratio; G722 pairs of samples.
    with pytest.raises(ValueError, match="whole frames of 2 samples at 16000 Hz; got 101"):
        sc.Encoder("PCMU", rate=16000).encode(np.zeros(101, np.int16))
    with pytest.raises(ValueError, match="whole frames of 2 samples"):
        sc.Encoder("G722").encode(np.zeros(101, np.int16))
    for codec in ("OPUS", "AMR-WB"):
        if sc.codecs()[codec].available:
            with pytest.raises(ValueError, match="whole frames of 320 samples"):
                sc.Encoder(codec, rate=16000).encode(np.zeros(100, np.int16))
