"""Run one fuzz target: replay inputs, or fuzz it for a while.

    python tests/fuzz/run.py TARGET FILE...            # replay; traceback per failing file
    python tests/fuzz/run.py TARGET --fuzz SECONDS     # atheris (coverage-guided), bounded
    python tests/fuzz/run.py TARGET --fuzz SECONDS --no-atheris   # seeded mutation only
    python tests/fuzz/run.py all --sweep N             # every target: seeds + N mutations
    python tests/fuzz/run.py TARGET --leak-check DIR... # replay a corpus 4 times: RSS must not grow

Targets: feed, diff, decode, encode, resample, amrwb (tests/fuzz/fuzz_targets.py).
Fuzzing starts from tests/fuzz/corpus/TARGET and keeps what it grows in
--work DIR (default $TMPDIR/streamcodec-fuzz/TARGET); the repository's seed
corpus is never written.  Under atheris a finding stops the run and
libFuzzer writes the input to ./crash-* (or --artifacts DIR); a hang is an
input taking longer than --timeout seconds (default 10), and a leak shows as
RSS above --rss-limit-mb (default 2048).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
TARGET_NAMES = ("amrwb", "carriers", "decode", "diff", "encode", "feed", "resample", "simd")
# The targets (and streamcodec) are imported in main(): under atheris they
# must be imported inside instrument_imports() for coverage feedback.
corpus = fuzz_targets = None


def replay(target: str, files: list[str]) -> int:
    failed = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        try:
            fuzz_targets.TARGETS[target](data)
        except Exception:  # noqa: BLE001
            failed += 1
            print(f"--- {path}: FINDING", flush=True)
            traceback.print_exc()
        else:
            print(f"--- {path}: ok")
    return 1 if failed else 0


def fuzz_atheris(target: str, seconds: int, work: str, artifacts: str, timeout: int,
                 rss_limit: int) -> int:
    import atheris

    function = fuzz_targets.TARGETS[target]
    text = target in corpus.TEXT_TARGETS

    def one_input(data: bytes) -> None:
        function(data)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        # half the time our structure-aware mutator, half libFuzzer's own
        rng = random.Random(seed)
        if rng.random() < 0.5:
            out = corpus.mutate(data, rng, text)
        else:
            out = atheris.Mutate(data, max_size)
        return out[:max_size]

    os.makedirs(work, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    argv = [sys.argv[0], work, os.path.join(HERE, "corpus", target),
            f"-max_total_time={seconds}", f"-timeout={timeout}", f"-rss_limit_mb={rss_limit}",
            "-max_len=65536", f"-artifact_prefix={artifacts.rstrip('/')}/{target}-",
            "-print_final_stats=1"]
    atheris.Setup(argv, one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
    return 0


def fuzz_plain(target: str, seconds: int) -> int:
    import harness

    report = harness.run(target, 0, seed=random.randrange(1 << 30), seconds=seconds)
    print(report.summary())
    return 1 if report.findings else 0


def sweep(targets: list[str], mutations: int) -> int:
    """Every target over its seeds and ``mutations`` seeded mutations, for a
    sanitizer build: findings are printed, and only a crash (the sanitizer
    aborts the process) fails the run.  tests/test_fuzz_short.py is where
    the same findings fail the suite."""
    import harness

    for target in targets:
        report = harness.run(target, mutations, seed=20261202)
        print(report.summary() if report.findings else f"{target}: {report.inputs} inputs, "
              "nothing found", flush=True)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("target", choices=TARGET_NAMES + ("all",))
    p.add_argument("files", nargs="*", help="inputs to replay")
    p.add_argument("--fuzz", type=int, metavar="SECONDS", help="fuzz for this long")
    p.add_argument("--sweep", type=int, metavar="N", help="seeds + N mutations, report only")
    p.add_argument("--leak-check", action="store_true",
                   help="replay the files (or folders) given, watching RSS")
    p.add_argument("--no-atheris", action="store_true", help="seeded mutation, no coverage")
    p.add_argument("--work", help="corpus folder the run grows")
    p.add_argument("--artifacts", default=".", help="where atheris writes crash-* inputs")
    p.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    p.add_argument("--rss-limit-mb", type=int, default=2048)
    args = p.parse_intermixed_args()
    global corpus, fuzz_targets
    if args.fuzz is not None and not args.no_atheris:
        import atheris

        # Python coverage of streamcodec's layer and of the targets guides
        # atheris (the C core is gcc-built: no libFuzzer coverage there).
        with atheris.instrument_imports(include=["streamcodec", "fuzz_targets", "corpus"]):
            import corpus
            import fuzz_targets
    else:
        import corpus
        import fuzz_targets
    assert sorted(fuzz_targets.TARGETS) == sorted(TARGET_NAMES)
    targets = list(TARGET_NAMES) if args.target == "all" else [args.target]
    if args.sweep is not None:
        return sweep(targets, args.sweep)
    if args.target == "all":
        p.error("'all' goes with --sweep")
    if args.leak_check:
        import harness

        files = []
        for path in args.files or [os.path.join(HERE, "corpus", args.target)]:
            if os.path.isdir(path):
                files += [os.path.join(path, n) for n in sorted(os.listdir(path))]
            else:
                files.append(path)
        inputs = []
        for path in files[:2000]:
            with open(path, "rb") as f:
                inputs.append(f.read())
        leak = harness.leak_check(args.target, inputs)
        print(leak or f"{args.target}: no growth over 4 replays of {len(inputs)} inputs")
        return 1 if leak else 0
    if args.fuzz is None:
        if not args.files:
            p.error("give inputs to replay, or --fuzz SECONDS")
        return replay(args.target, args.files)
    if args.no_atheris:
        return fuzz_plain(args.target, args.fuzz)
    work = args.work or os.path.join(tempfile.gettempdir(), "streamcodec-fuzz", args.target)
    return fuzz_atheris(args.target, args.fuzz, work, args.artifacts, args.timeout,
                        args.rss_limit_mb)


if __name__ == "__main__":
    sys.exit(main())
