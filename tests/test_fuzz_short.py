"""The fuzz targets of tests/fuzz/, bounded: each over its seed corpus plus a
fixed number of seeded mutations (a few seconds in all).

A failure lists each distinct finding once (grouped by the check or the
library line it came from) with the smallest input that showed it, saved
under $TMPDIR/streamcodec-fuzz-findings/; replay one with
``python tests/fuzz/run.py TARGET FILE``.  The long form is
``bash scripts/fuzz.sh`` (atheris, coverage-guided).
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz"))

import harness  # noqa: E402

#: Mutated inputs per target: what keeps each target near a second here.
MUTATIONS = {"feed": 250, "diff": 250, "carriers": 100, "decode": 400, "encode": 150,
             "resample": 150, "amrwb": 1500, "simd": 150}


@pytest.mark.parametrize("target", sorted(MUTATIONS))
def test_fuzz_target(target):
    report = harness.run(target, MUTATIONS[target], seed=20261202)
    assert report.inputs > MUTATIONS[target]
    if report.findings:
        pytest.fail(report.summary(), pytrace=False)


def test_differential_form_is_refused_by_the_scanner():
    """The differential target's re-encoding really takes the general path:
    the C scanner refuses it, and json.loads reads the same value."""
    import json

    from streamcodec.telnyx import MediaStream
    import fuzz_targets

    import base64

    message = (b'{"event":"media","stream_id":"s","media":{"track":"inbound","chunk":"1",'
               b'"timestamp":"0","payload":"' + base64.b64encode(bytes(160)) + b'"}}')
    other = fuzz_targets.general_form(message)
    assert json.loads(other) == json.loads(message)
    assert "\\u0065vent" in other
    stream = MediaStream()
    stream.configure("PCMU")
    from streamcodec._core import lib
    assert lib.sc_frame_media_in(stream._in, message, len(message)) == lib.SC_FRAME_MEDIA
    data = other.encode()
    assert lib.sc_frame_media_in(stream._in, data, len(data)) == lib.SC_FRAME_OTHER


def test_harness_reports_a_planted_defect(monkeypatch):
    """The harness finds what it is meant to: a decoder that raises an
    undocumented exception on some payloads is reported, with a reproducer."""
    import streamcodec as sc

    real = sc.Decoder.decode

    def broken(self, payload):
        if len(payload) % 7 == 3:
            raise OverflowError("planted")
        return real(self, payload)

    monkeypatch.setattr(sc.Decoder, "decode", broken)
    report = harness.run("decode", 200, seed=1)
    assert any(s.startswith("OverflowError") for s in report.findings), report.summary()
    found = next(f for s, f in report.findings.items() if s.startswith("OverflowError"))
    assert os.path.exists(found.path)
