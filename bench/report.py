"""Peer comparison report: streamcodec against what users would otherwise
pick, each pair run on the same input in the same process, printed with the
ratio.

Every ``bench/compare_*.py`` module contributes rows through a function
``rows(quick: bool) -> list[Row]``; a module whose peer is not installed
returns a row whose ``note`` says so instead of a figure.

Run:  python bench/report.py [--quick] [--only NAME] [--plots DIR]

``--plots DIR`` also writes the run's charts, PNG and SVG (bench/plots.py
says which; a comparison module adds its own with a ``plots(rows, out_dir)``
function).  On a terminal a progress bar shows which comparison is running
(tqdm, when installed); piped output has none.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import sys
import timeit
from dataclasses import dataclass
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Row:
    group: str          # e.g. "G.711 encode, 60 s loud noise"
    case: str           # what was measured, e.g. "mu-law"
    peer: str           # the peer's name, e.g. "audioop"
    peer_value: float | None
    ours_value: float | None
    unit: str           # e.g. "Msamples/s" or "us/frame"
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times better streamcodec is (>1 means faster/better)."""
        if not self.peer_value or not self.ours_value:
            return None
        if self.higher_is_better:
            return self.ours_value / self.peer_value
        return self.peer_value / self.ours_value


def best_seconds(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Seconds per call: the minimum over repeats, the figure least disturbed
    by other load on a shared machine."""
    fn()  # warm up caches, lazy initialisation and branch predictors
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def print_rows(rows: list[Row], out=sys.stdout) -> None:
    header = f"{'group':<44} {'case':<26} {'peer':<22} {'peer':>11} {'ours':>11} {'unit':<12} {'ratio':>7}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in rows:
        fmt = lambda v: "-" if v is None else (f"{v:11.3f}" if v < 100 else f"{v:11.1f}")
        ratio = "-" if r.ratio is None else f"{r.ratio:6.2f}x"
        line = (f"{r.group[:44]:<44} {r.case[:26]:<26} {r.peer[:22]:<22} {fmt(r.peer_value):>11} "
                f"{fmt(r.ours_value):>11} {r.unit:<12} {ratio:>7}")
        if r.note:
            line += f"  ({r.note})"
        print(line, file=out)


def progress(items: list, desc: str):
    """``items`` wrapped in a tqdm bar on stderr when stderr is a terminal and
    tqdm is installed; ``items`` itself otherwise."""
    if not sys.stderr.isatty():
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc, unit="comparison", leave=False, file=sys.stderr)


def load_modules(only: str | None = None):
    for path in sorted(glob.glob(os.path.join(HERE, "compare_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if only and only not in name:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        yield name, module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter inputs, fewer repeats")
    parser.add_argument("--only", help="run only compare_*.py modules whose name contains this")
    parser.add_argument("--plots", metavar="DIR",
                        help="also write this run's charts (PNG and SVG) into DIR")
    args = parser.parse_args(argv)
    sys.path.insert(0, HERE)
    modules = dict(load_modules(args.only))
    rows_by_module: dict[str, list[Row]] = {}
    bar = progress(list(modules), "bench")
    for name in bar:
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(name)
        else:
            print(f"running {name} ...", file=sys.stderr, flush=True)
        rows_by_module[name] = module_rows = modules[name].rows(args.quick)
        if hasattr(bar, "write"):
            bar.write(f"{name}: {len(module_rows)} rows")
    print_rows([r for rows in rows_by_module.values() for r in rows])
    if args.plots:
        import plots

        plots.COMMAND = " ".join(["bench/report.py", *(argv if argv is not None else sys.argv[1:])])
        for path in plots.write_all(rows_by_module, modules, args.plots,
                                    withheld=not args.only or "resample" in args.only):
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
