"""The command line: ``demo`` (table and files), ``serve`` with
``simulate`` against it over loopback, and ``bench``; each run as a user
would, in a subprocess, bounded in time."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import streamcodec as sc
from streamcodec.signals import speech_like
from streamcodec.wavio import read_wav

import g711_reference as g711
from conftest import REPO
from streamtest import available_codecs

ORDER = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16")


def cli(*args, cwd, timeout=120, env=None):
    return subprocess.run([sys.executable, "-m", "streamcodec", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=env)


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_demo_prints_the_table_and_writes_the_files(tmp_path):
    out = tmp_path / "demo-out"
    proc = cli("demo", "--seconds", "1", "--rates", "8000,24000", "--carriers", "telnyx",
               "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    text = proc.stdout
    available = available_codecs()
    # the SIMD level and kernels, as --version prints them
    from streamcodec import simd_info
    assert str(simd_info()) in text.splitlines()
    # Progress: one line per call while it runs.
    assert len(re.findall(r"^\[\s*\d+/\d+\]", text, re.M)) == 2 * len(available)
    header = next(line for line in text.splitlines() if line.startswith("carrier "))
    for column in ("frames in", "lost", "concealed", "us/msg in", "us/msg out", "SNR dB", "PESQ"):
        assert column in header
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^telnyx\s+(\S+)\s+(\d+) k\s+(\S+)@\s*(\d+)k\s+(\d+)/(\d+)\s+(\d+)\s+(\d+)\s+(\d+)"
                     r"\s+([\d.]+)\s+([\d.]+)\s+(\d+)/(\d+)\s+(\S+)\s+(.*)$", line)
        if m:
            rows[(m.group(1), int(m.group(2)))] = m.groups()
    assert set(rows) == {(c, r) for c in available for r in (8, 24)}
    for (codec, rate), g in rows.items():
        frames_in, frames_sent, lost, concealed = map(int, g[4:8])
        assert frames_in == frames_sent == 50 and lost == 0 and concealed == 0
        assert int(g[8]) >= 50                      # frames back to the caller
        assert float(g[9]) > 0 and float(g[10]) > 0  # CPU per message, both ways
        assert g[11] == g[12]                        # every mark echoed
        snr = float("inf") if g[13] == ">99" else float(g[13])
        # espeak-ng's speech reaches 4 kHz, where the 8 kHz legs' filters
        # roll off: L16 through them keeps ~40 dB, >99 at 16 kHz.
        floor = {"L16": 35, "PCMU": 30, "PCMA": 30, "G722": 12, "AMR-WB": 5, "OPUS": 5}[codec]
        assert snr > floor, (codec, rate, snr)
    for codec in ORDER:
        if codec not in available:
            assert f"unavailable in this build: {codec}" in text
    files = set(os.listdir(out))
    assert {"input.wav", "table.txt"} <= files
    for codec in available:
        for rate in (8, 24):
            for who in ("app", "caller"):
                pcm, wav_rate = read_wav(out / f"{codec}_play{rate}k_{who}.wav")
                assert wav_rate == 16000 and len(pcm) >= 15000
    assert ("demo.png" in files) == _has_matplotlib()
    if "demo.png" in files:
        assert (out / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert header in (out / "table.txt").read_text()


def test_demo_rejects_bad_options(tmp_path):
    proc = cli("demo", "--rates", "11025", "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert proc.returncode == 2 and "playback rates must be among" in proc.stderr


def _start_server(tmp_path, *args):
    proc = subprocess.Popen([sys.executable, "-m", "streamcodec", "serve", "--port", "0",
                             "--duration", "60", *args],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (ws://127\.0\.0\.1:\d+)", line)
    if not m:
        proc.kill()
        raise AssertionError(f"serve did not start: {line!r} {proc.stderr.read()}")
    return proc, m.group(1)


def _stop_server(proc):
    proc.terminate()
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def test_serve_and_simulate_over_loopback(tmp_path):
    server, url = _start_server(tmp_path, "--rate", "8000", "--auth-token", "tok")
    try:
        heard = tmp_path / "heard.wav"
        ok = cli("simulate", url, "--fast", "--seconds", "0.5", "--dtmf", "1",
                 "--auth-token", "tok", "--param", "customer_id=7", "--out", str(heard),
                 cwd=tmp_path, timeout=60)
        refused = cli("simulate", url, "--fast", "--seconds", "0.5", cwd=tmp_path, timeout=60)
    finally:
        _, log = _stop_server(server)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "closed with 1000" in ok.stdout and "25 frames" in ok.stdout
    pcm, rate = read_wav(heard)
    said = speech_like(0.5, 8000, seed=0)
    once = [g711.ulaw_decode(g711.ulaw_encode(int(x))) for x in said]
    twice = np.array([g711.ulaw_decode(g711.ulaw_encode(x)) for x in once], np.int16)
    assert rate == 8000
    np.testing.assert_array_equal(pcm, twice)
    assert refused.returncode == 1 and "closed with 1008" in refused.stdout
    # The server logged the per-stream counters of both streams.
    assert "inbound: 25 received, 0 lost" in log and "1 dtmf" in log
    assert "refused" in log


def test_serve_with_a_bad_app_fails_cleanly(tmp_path):
    proc = cli("serve", "--app", "no_such_module_anywhere:app", "--port", "0", cwd=tmp_path,
               timeout=30)
    assert proc.returncode == 2 and "cannot import" in proc.stderr
    proc = cli("serve", "--playback-codec", "PCMU", "--playback-rate", "16000", "--port", "0",
               cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and "PCMU carries audio at 8000" in proc.stderr


def test_bench_needs_a_checkout(tmp_path):
    proc = cli("bench", cwd=tmp_path, timeout=30)
    assert proc.returncode != 0 and "no bench/report.py" in proc.stderr


def test_bench_runs_report_from_bench_dir(tmp_path):
    bench = tmp_path / "mybench"
    bench.mkdir()
    (bench / "report.py").write_text(
        "import sys\nprint('report ran with', sys.argv[1:])\nsys.exit(0)\n")
    proc = cli("bench", "--bench-dir", str(bench), "--quick", "--only", "server",
               cwd=tmp_path, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "report ran with ['--quick', '--only', 'server']" in proc.stdout


# --------------------------------------------------------------------------
# The command-line walk-through of docs/getting-started.md, run as written
# --------------------------------------------------------------------------


def _readme_command_lines() -> list[str]:
    """The lines of the guide's "The command line" code block, comments removed."""
    with open(os.path.join(REPO, "docs", "getting-started.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("## The command line\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = []
    for line in block.splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()   # comments after two spaces
        if command:
            lines.append(command)
    return lines


def test_readme_walk_through_runs_as_written(tmp_path):
    # serve --auth-token s3cret, then the README's simulate lines: they used
    # to fail with 1008 (simulate did not read $STREAMCODEC_AUTH_TOKEN).
    import shlex
    import shutil
    assert shutil.which("espeak-ng"), "scripts/setup.sh installs espeak-ng (Debian)"
    lines = _readme_command_lines()
    serve = next(line for line in lines if "serve --port 8765" in line)
    exports = dict(line[len("export "):].split("=", 1) for line in lines
                   if line.startswith("export "))
    assert exports == {"STREAMCODEC_AUTH_TOKEN": "s3cret"} and "--auth-token s3cret" in serve
    env = {**os.environ, **exports}
    # As written, on a free port instead of 8765 (suites run side by side).
    server, url = _start_server(tmp_path, *shlex.split(serve.replace("--port 8765", ""))[2:])
    ran = []
    try:
        for line in lines:
            words = shlex.split(line.replace("ws://127.0.0.1:8765", url))
            if words[0] == "export" or words == ["streamcodec", "demo"] or \
                    words[:2] in (["streamcodec", "serve"], ["streamcodec", "bench"]):
                continue                  # set above / run by their own tests
            if words[0] == "streamcodec":
                words = [sys.executable, "-m", "streamcodec", *words[1:]]
            proc = subprocess.run(words, cwd=tmp_path, capture_output=True, text=True,
                                  timeout=120, env=env)
            assert proc.returncode == 0, (line, proc.stdout, proc.stderr)
            ran.append((line, proc.stdout))
    finally:
        _, log = _stop_server(server)
    assert len(ran) == 9, [line for line, _ in ran]
    simulated = [out for line, out in ran if "streamcodec simulate" in line]
    assert len(simulated) == 2 and all("closed with 1000" in out for out in simulated)
    pcm, rate = read_wav(tmp_path / "heard.wav")
    said, said_rate = read_wav(tmp_path / "in.wav")
    assert rate == 8000 and len(pcm) >= len(said) * 8000 // said_rate
    assert "refused" not in log
    demo = next(out for line, out in ran if "demo --file in.wav" in line)
    # Telnyx in both codecs, and every other carrier in each of the two it offers.
    from streamcodec.simulate import CARRIERS
    calls = 2 + sum(len(rates) for name, kind in CARRIERS.items() if name != "telnyx"
                    for codec, rates in kind.offers.items() if codec in ("PCMU", "G722"))
    assert "caller says: in.wav (" in demo and f"\n{calls} calls in" in demo, demo


def test_simulate_presents_the_token_from_the_option_or_the_environment(tmp_path):
    server, url = _start_server(tmp_path, "--auth-token", "s3cret")
    bare = {k: v for k, v in os.environ.items() if k != "STREAMCODEC_AUTH_TOKEN"}
    try:
        by_env = cli("simulate", url, "--fast", "--seconds", "0.3", cwd=tmp_path, timeout=60,
                     env={**bare, "STREAMCODEC_AUTH_TOKEN": "s3cret"})
        by_option = cli("simulate", url, "--fast", "--seconds", "0.3", "--auth-token", "s3cret",
                        cwd=tmp_path, timeout=60, env={**bare, "STREAMCODEC_AUTH_TOKEN": "x"})
        wrong = cli("simulate", url, "--fast", "--seconds", "0.3", cwd=tmp_path, timeout=60,
                    env={**bare, "STREAMCODEC_AUTH_TOKEN": "wrong"})
    finally:
        _stop_server(server)
    assert by_env.returncode == 0 and "closed with 1000" in by_env.stdout, by_env.stdout
    assert by_option.returncode == 0 and "closed with 1000" in by_option.stdout
    assert wrong.returncode == 1 and "closed with 1008" in wrong.stdout


def test_simulate_says_when_playback_does_not_fit_the_codec_it_was_told(tmp_path):
    server, url = _start_server(tmp_path)           # plays back PCMU
    try:
        wrong = cli("simulate", url, "--fast", "--seconds", "1", "--playback-codec", "G722",
                    cwd=tmp_path, timeout=60)
        right = cli("simulate", url, "--fast", "--seconds", "1", "--track", "inbound_track",
                    cwd=tmp_path, timeout=60)
    finally:
        _stop_server(server)
    assert wrong.returncode == 1, wrong.stdout
    assert "playback does not fit --playback-codec G722: the payloads do not fit G722" \
        in wrong.stdout
    assert right.returncode == 0 and "does not fit" not in right.stdout, right.stdout


# --------------------------------------------------------------------------
# The demo: what the caller says, and what it skips
# --------------------------------------------------------------------------

_BLOCK_IMPORTS = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in %r:
            raise ImportError(f"{name} hidden by the test")
sys.meta_path.insert(0, Hide())
from streamcodec.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _demo(tmp_path, *args, hide=(), env=None):
    out = tmp_path / "demo-out"
    code = _BLOCK_IMPORTS % (set(hide),) if hide else None
    command = [sys.executable, "-c", code, "demo"] if code else [sys.executable, "-m",
                                                                 "streamcodec", "demo"]
    proc = subprocess.run([*command, "--codecs", "PCMU", "--rates", "8000", "--out", str(out),
                           *args], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, out


def test_demo_without_matplotlib_and_pesq_says_what_it_skipped(tmp_path):
    text, out = _demo(tmp_path, "--seconds", "1", hide=("matplotlib", "pesq"))
    assert "skipped demo.png: matplotlib is not installed" in text
    assert "skipped PESQ: the pesq package is not installed" in text
    assert "wrote input.wav, WAV files of each call, table.txt to" in text
    assert "PNG" not in text.replace("demo.png", "")       # no claim of a PNG
    assert "demo.png" not in os.listdir(out)
    row = next(line for line in text.splitlines() if line.startswith("telnyx     PCMU "))
    assert row.split()[-1] == "-"                          # PESQ column empty
    assert "skipped PESQ" in (out / "table.txt").read_text()


def _espeak_reference(seconds):
    """What the demo should say: espeak-ng's WAV, resampled to 16 kHz, cut to length."""
    import shutil
    from streamcodec.signals import SPOKEN_TEXT
    assert shutil.which("espeak-ng"), "scripts/setup.sh installs espeak-ng (Debian)"
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "--stdout", SPOKEN_TEXT],
                         capture_output=True, timeout=60, check=True).stdout
    import io
    import wave
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
    pcm = np.frombuffer(raw, "<i2").astype(np.int16)
    speech = np.frombuffer(sc.resample(pcm, rate, 16000), np.int16)
    return speech[:int(seconds * 16000)]


def test_demo_speaks_with_espeak_ng(tmp_path):
    text, out = _demo(tmp_path, "--seconds", "1.5")
    assert "caller says: 1.5 s of speech synthesized by espeak-ng" in text
    said, rate = read_wav(out / "input.wav")
    expected = _espeak_reference(1.5)
    assert rate == 16000 and len(said) == 24000
    # Identical but for the 10 ms fade at the cut.
    np.testing.assert_array_equal(said[:-160], expected[:-160])
    assert not np.array_equal(said, speech_like(1.5, 16000, seed=0))
    heard, _ = read_wav(out / "PCMU_play8k_caller.wav")
    assert len(heard) >= len(said)


def test_demo_falls_back_to_the_built_in_signal_without_espeak_ng(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}           # no espeak-ng on it
    text, out = _demo(tmp_path, "--seconds", "1", env=env)
    assert "caller says: 1 s of the built-in speech-like signal (seed 0), not speech: " \
        "espeak-ng is not installed" in text
    said, _ = read_wav(out / "input.wav")
    np.testing.assert_array_equal(said, speech_like(1.0, 16000, seed=0))


def test_demo_says_your_file(tmp_path):
    from streamcodec.wavio import write_wav
    mine = speech_like(0.7, 8000, seed=11)
    write_wav(tmp_path / "in.wav", mine, 8000)
    text, out = _demo(tmp_path, "--file", "in.wav")
    assert "caller says: in.wav (0.70 s at 8000 Hz, resampled to 16 kHz)" in text
    said, _ = read_wav(out / "input.wav")
    np.testing.assert_array_equal(said, np.frombuffer(sc.resample(mine, 8000, 16000), np.int16))
    row = next(line for line in text.splitlines() if line.startswith("telnyx     PCMU "))
    assert " 35/35 " in row


def test_demo_module_stands_on_its_own(tmp_path):
    # demo.main used to import cli.main while cli imported demo: a circle.
    probe = ("import sys, streamcodec.demo; "
             "print(sorted(m for m in sys.modules if m in ('streamcodec.cli', 'streamcodec.server')))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, "-m", "streamcodec.demo", "--help"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0 and "--file" in proc.stdout and "--no-png" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "streamcodec.demo", "--rates", "11025"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2 and "playback rates must be among" in proc.stderr
