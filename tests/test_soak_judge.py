"""bench/soak.py's verdicts: what counts against the server, what is the
caller's doing (the soak itself is a script; this checks its judgement on
made-up calls, and its lateness probe's arithmetic)."""

from __future__ import annotations

import importlib.util
import os

import pytest

_PATH = os.path.join(os.path.dirname(__file__), "..", "bench", "soak.py")


@pytest.fixture(scope="module")
def soak():
    spec = importlib.util.spec_from_file_location("soak_under_test", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summary(received=100, lost=0, duplicate=0, too_late=0, bad=0, close="1000"):
    return {"received": str(received), "lost": str(lost), "duplicate": str(duplicate),
            "too_late": str(too_late), "bad": str(bad), "close": close}


def call(i, close=1000, frames=100, withheld=0, lag=5.0, **extra):
    return {"id": f"soak-{i}", "codec": "PCMU", "frames": frames, "withheld": withheld,
            "withheld_unseen": 0, "close": close, "errors": [], "lag_max_ms": lag, **extra}


def test_judge_sorts_calls(soak):
    calls = [
        call(0),                                              # fine
        call(1, close=1006, lag=2500.0),                      # caller-side: server clean
        call(2, close=1000, errors=["call did not finish within 70 s"]),
        call(3),                                              # server lost 2 frames
        call(4),                                              # server closed 1011
        call(5, lag=3000.0),                                  # server closed 1011, caller stalled
        call(6, lag=5.0, error="TimeoutError: opening handshake"),   # never logged
        call(7, lag=4000.0, error="TimeoutError: opening handshake"),  # never logged, stalled
        call(8, withheld=3),                                  # loss withheld by the caller
    ]
    summaries = {"soak-0": summary(), "soak-1": summary(), "soak-2": summary(),
                 "soak-3": summary(received=98), "soak-4": summary(close="1011"),
                 "soak-5": summary(close="1011"), "soak-8": summary(received=97, lost=3)}
    v = soak.judge(calls, summaries, {}, stall_s=1.0)
    assert sorted((f["id"], f["fault"]) for f in v["server_faults"]) == [
        ("soak-3", "frames not delivered"), ("soak-4", "server closed 1011"),
        ("soak-6", "no server log of the call")]
    assert sorted((c["id"], c["anomaly"]) for c in v["caller_side"]) == [
        ("soak-1", "caller saw close 1006"), ("soak-2", "caller timed out")]
    assert sorted((c["id"], c["why"]) for c in v["client_behind"]) == [
        ("soak-5", "server closed 1011"), ("soak-7", "never reached the server")]
    assert v["frames_lost"] == 2 and v["missing_log"] == 2 and v["mismatches"] == []


def test_judge_counts_loss_mismatch_and_too_late(soak):
    v = soak.judge([call(0, withheld=2)], {"soak-0": summary(received=99, lost=1, too_late=1)},
                   {}, stall_s=1.0)
    # 98 distinct sent, 98 delivered (99 received - 1 too late): nothing lost,
    # but the server counted 1 lost where 2 were withheld
    assert v["frames_lost"] == 0 and v["too_late"] == 1
    assert [m["id"] for m in v["mismatches"]] == ["soak-0"]
    assert v["server_faults"] == []


def test_lag_probe_window(soak):
    probe = soak.LagProbe(period=0.02)
    probe.samples = [(float(t), late) for t, late in
                     enumerate([0.0, 0.001, 0.5, 0.03, 0.002, 0.0])]
    whole = probe.between(float("-inf"), float("inf"))
    assert whole == {"lag_max_ms": 500.0, "lag_p99_ms": 500.0, "lag_over_20ms": 0.333}
    assert probe.between(3, 5) == {"lag_max_ms": 30.0, "lag_p99_ms": 30.0, "lag_over_20ms": 0.333}
    assert probe.between(10, 11)["lag_max_ms"] is None
