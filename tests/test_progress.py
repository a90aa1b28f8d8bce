"""Long work shows a progress bar on a terminal and nothing otherwise:
``streamcodec transcode`` on a long file, and bench/report.py."""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pty
import select
import struct
import subprocess
import sys
import termios

import numpy as np
import pytest

import streamcodec as sc
from conftest import REPO
from streamcodec import cli
from streamcodec.signals import speech_like
from streamcodec.wavio import write_wav

pytest.importorskip("tqdm")


def _long_wav(tmp_path, seconds: float) -> str:
    path = str(tmp_path / "long.wav")
    write_wav(path, np.tile(speech_like(10.0, 8000), int(seconds // 10) + 1)[:int(seconds * 8000)],
              8000)
    return path


def _run_with_stderr_on_a_terminal(args: list[str], cwd) -> tuple[int, str, str]:
    """Run a command whose stderr is a pseudo-terminal; (code, stdout, what
    the terminal showed)."""
    master, slave = pty.openpty()
    # 100 columns: a new pseudo-terminal is 0 wide, and tqdm draws nothing there.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:          # the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    out = proc.stdout.read().decode()
    code = proc.wait(timeout=60)
    os.close(master)
    return code, out, shown.decode(errors="replace")


def test_transcode_of_a_long_file_shows_a_bar_on_a_terminal_only(tmp_path):
    wav = _long_wav(tmp_path, 70.0)
    args = [sys.executable, "-m", "streamcodec", "transcode", wav, "--to", "PCMU,G722"]
    code, out, terminal = _run_with_stderr_on_a_terminal(args, tmp_path)
    assert code == 0, out + terminal
    assert "/70 s of audio" in terminal and "PCMU:" in terminal and "G722:" in terminal
    piped = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""
    # The table is the same either way.
    assert out.splitlines()[:3][0] == piped.stdout.splitlines()[0]
    assert len(piped.stdout.splitlines()) == 4


def test_short_inputs_show_no_bar_even_on_a_terminal(tmp_path):
    wav = _long_wav(tmp_path, 5.0)
    code, out, terminal = _run_with_stderr_on_a_terminal(
        [sys.executable, "-m", "streamcodec", "transcode", wav, "--to", "PCMU"], tmp_path)
    assert code == 0 and terminal == "", terminal


@pytest.mark.parametrize("codec", ["PCMU", "G722", "OPUS"])
def test_block_by_block_round_trip_gives_the_payloads_of_one_call(codec):
    if not sc.codecs()[codec].available:
        pytest.skip(f"{codec} not in this build")
    rate = 16000
    pcm = speech_like(cli._BLOCK_SECONDS * 2.5 + 0.013, rate)   # blocks and a partial frame
    payloads, decoded = cli._round_trip(pcm, rate, codec)
    enc = sc.Encoder(codec, rate=rate)
    whole = enc.packetize(pcm) + enc.flush()
    assert payloads == whole
    dec = sc.Decoder(codec, rate=rate)
    expected = np.frombuffer(b"".join(dec.decode(p) for p in whole), np.int16)[:len(pcm)]
    assert np.array_equal(decoded, expected)


def _report_module():
    spec = importlib.util.spec_from_file_location("report", os.path.join(REPO, "bench",
                                                                         "report.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["report"] = module          # its dataclass looks itself up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["report"]
    return module


def test_report_progress_is_a_bar_on_a_terminal_and_the_plain_list_otherwise(monkeypatch):
    report = _report_module()
    items = ["compare_a", "compare_b"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert report.progress(items, "bench") is items
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    bar = report.progress(items, "bench")
    assert type(bar).__name__ == "tqdm" and list(bar) == items
