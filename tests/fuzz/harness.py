"""Running fuzz targets over inputs without atheris: the seed corpus plus
seeded mutations, findings grouped by where they came from.

Used by tests/test_fuzz_short.py and by ``tests/fuzz/run.py --no-atheris``.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Optional

import corpus
import fuzz_targets

#: Where reproducers of findings are written (one file per distinct finding).
FINDINGS_DIR = os.environ.get("STREAMCODEC_FUZZ_FINDINGS",
                              os.path.join(tempfile.gettempdir(), "streamcodec-fuzz-findings"))


@dataclass
class Found:
    signature: str
    message: str
    data: bytes
    path: Optional[str] = None
    count: int = 1


@dataclass
class Report:
    target: str
    inputs: int = 0
    findings: dict = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"{self.target}: {len(self.findings)} distinct finding(s) in {self.inputs} inputs"]
        for f in self.findings.values():
            lines.append(f"- [{f.count}x] {f.signature}\n    {f.message[:600]}\n"
                         f"    reproduce: python tests/fuzz/run.py {self.target} {f.path}")
        return "\n".join(lines)


def signature(exc: BaseException) -> str:
    """Where a finding comes from: the exception class and the innermost
    frame in streamcodec (or, for a Finding, the check that raised it)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if isinstance(exc, fuzz_targets.Finding):
        last = frames[-1]
        return f"Finding at {os.path.basename(last.filename)}:{last.lineno} ({last.name})"
    ours = [f for f in frames if "streamcodec" in f.filename.replace("\\", "/").split("/tests/")[0]
            and "/tests/" not in f.filename]
    last = ours[-1] if ours else frames[-1]
    return f"{type(exc).__name__} from {os.path.basename(last.filename)}:{last.lineno} ({last.name})"


def save(target: str, data: bytes) -> str:
    os.makedirs(FINDINGS_DIR, exist_ok=True)
    path = os.path.join(FINDINGS_DIR, f"{target}-{hashlib.sha1(data).hexdigest()[:12]}")
    with open(path, "wb") as f:
        f.write(data)
    return path


def run_one(target: str, data: bytes, report: Report) -> None:
    report.inputs += 1
    try:
        fuzz_targets.TARGETS[target](data)
    except Exception as exc:  # noqa: BLE001 - every escape is a finding
        sig = signature(exc)
        known = report.findings.get(sig)
        if known is not None:
            known.count += 1
            if len(data) < len(known.data):       # keep the smallest reproducer
                known.data, known.message = data, f"{type(exc).__name__}: {exc}"
                known.path = save(target, data)
            return
        report.findings[sig] = Found(sig, f"{type(exc).__name__}: {exc}", data,
                                     save(target, data))


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def leak_check(target: str, inputs: list[bytes], rounds: int = 4,
               limit_mb: float = 8.0) -> Optional[str]:
    """Replay ``inputs`` ``rounds`` times after a warm-up round; a leak is
    RSS that grows every round and by more than ``limit_mb`` in all.
    Returns a description of the leak, or None."""
    function = fuzz_targets.TARGETS[target]

    def replay() -> None:
        for data in inputs:
            try:
                function(data)
            except Exception:  # noqa: BLE001 - findings are reported elsewhere
                pass

    replay()
    seen = [rss_mb()]
    for _ in range(rounds):
        replay()
        seen.append(rss_mb())
    growth = seen[-1] - seen[0]
    if growth > limit_mb and all(b > a for a, b in zip(seen, seen[1:])):
        return (f"{target}: RSS grew {growth:.1f} MB over {rounds} replays of {len(inputs)} "
                f"inputs ({', '.join(f'{v:.1f}' for v in seen)} MB)")
    return None


def run(target: str, mutations: int, seed: int = 0, seconds: Optional[float] = None,
        rounds: int = 3) -> Report:
    """Every seed of ``target``, then ``mutations`` mutated seeds (each 1 to
    ``rounds`` stacked mutations, from ``random.Random(seed)``), or as many as
    fit in ``seconds`` when that is given."""
    report = Report(target)
    seeds = [data for _, data in corpus.load(target)]
    for data in seeds:
        run_one(target, data, report)
    rng = random.Random(seed)
    text = target in corpus.TEXT_TARGETS
    deadline = None if seconds is None else time.monotonic() + seconds
    i = 0
    while (i < mutations) if deadline is None else (time.monotonic() < deadline):
        data = rng.choice(seeds)
        for _ in range(rng.randint(1, rounds)):
            data = corpus.mutate(data, rng, text)
        run_one(target, data, report)
        i += 1
    return report
