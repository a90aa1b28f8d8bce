"""bench/report.py --plots: the charts are written (PNG and SVG), from the
run's own rows, and the withheld-audio series they draw is measured."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from conftest import REPO

pytest.importorskip("matplotlib")
BENCH = os.path.join(REPO, "bench")


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, BENCH)
    try:
        import plots
        import report
        yield report, plots
    finally:
        sys.path.remove(BENCH)
        for name in ("plots", "report"):
            sys.modules.pop(name, None)


def test_the_resampler_withholds_nothing_and_soxr_does(bench):
    pytest.importorskip("soxr")
    _, plots = bench
    fed, series = plots.withheld_series(8000, 16000)
    assert list(fed) == list(range(20, 201, 20))
    assert not series["streamcodec Resampler"].any()          # 20 ms in, 20 ms out, always
    soxr_hq = series["soxr ResampleStream HQ"]
    assert soxr_hq[0] == pytest.approx(20.0) and soxr_hq.max() >= 60.0   # nothing at first


def test_charts_of_a_run_are_written_from_its_rows(bench, tmp_path):
    report, plots = bench
    Row = report.Row
    rows = {
        "compare_g711": [Row("G.711 decode", "mu-law", "audioop", 100.0, 400.0, "Msamples/s"),
                         Row("G.711 frame", "decode", "audioop", 120.0, 60.0, "ns/call",
                             higher_is_better=False),
                         Row("G.711", "missing", "audioop", None, None, "", note="no peer"),
                         Row("latency", "first output", "soxr", 120.0, 2.5, "ms",
                             higher_is_better=False)],
        "compare_server": [Row("Echo server, 20 real-time PCMU calls x 3 s, own process",
                               name, "peer glue", 5.0, value, "ms CPU/call-s",
                               higher_is_better=False)
                           for name, value in (("ours, picows + uvloop", 1.6),
                                               ("floor (picows+uvloop, no JSON)", 0.7))],
    }
    rows["compare_loss"] = [Row("PESQ, 5 % random loss", codec, "silence insertion", peer, ours,
                                "MOS-LQO") for codec, peer, ours in (("PCMU", 2.1, 3.4),
                                                                     ("G722", 2.5, 3.6))]
    paths = plots.write_all(rows, {}, str(tmp_path), withheld=False)
    names = sorted(os.path.basename(p) for p in paths)
    assert names == ["quality-at-loss.png", "quality-at-loss.svg", "ratios-g711.png",
                     "ratios-g711.svg", "ratios-server.png", "ratios-server.svg",
                     "server-cpu.png", "server-cpu.svg"]       # no ratio chart of MOS scores
    quality = (tmp_path / "quality-at-loss.svg").read_text()
    assert all(v in quality for v in ("2.10", "3.40", "2.50", "3.60", "silence insertion"))
    from PIL import Image

    with Image.open(tmp_path / "ratios-g711.png") as image:
        assert image.mode == "P" and image.size[0] > 600        # palette PNG, readable width
    svg = (tmp_path / "ratios-g711.svg").read_text()
    assert "4.0x" in svg and "2.0x" in svg and "mu-law" in svg  # the ratios of these rows
    assert "48.0x" not in svg and "first output" not in svg     # a latency is no speed
    server_svg = (tmp_path / "server-cpu.svg").read_text()
    assert "1.60" in server_svg and "0.70" in server_svg and "5.00" in server_svg
    assert "Stored result" not in server_svg               # drawn from this run


def test_without_a_server_run_the_chart_says_it_shows_the_stored_result(bench, tmp_path):
    _, plots = bench
    pairs, source = plots.server_results([])
    assert source.startswith("Stored result") and "not this run" in source
    assert dict(pairs)["floor (picows+uvloop, no JSON)"] == pytest.approx(1.27)
    assert np.argmax([v for _, v in pairs]) == 0                 # the peer glue costs most
