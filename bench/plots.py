"""Charts of a bench/report.py run (``--plots DIR``): PNG and SVG, readable
at a glance (titles, units, labelled axes), for the documentation site.

- ``ratios-<module>``: how many times faster streamcodec is than each peer,
  one bar per row of that comparison module in this run;
- ``withheld``: audio a stream resampler has withheld over the first 200 ms
  of a stream fed 20 ms chunks, soxr's ResampleStream (HQ and VHQ) against
  streamcodec's Resampler (measured here, on the same chunks);
- ``server-cpu``: CPU per call-second of each stream server against the
  transport floor, from this run's compare_server rows, or else from the
  stored result ``bench/results/server-cpu.json`` (the chart says which);
- ``quality-at-loss``: speech quality (MOS) of streamcodec's concealment
  against the peer's, per codec, from rows scored in MOS (compare_loss.py);
- any chart a comparison module draws itself: a ``compare_*.py`` module that
  defines ``plots(rows, out_dir) -> list[str]`` is handed its own rows of the
  run and returns the paths it wrote (with :func:`save`; compare_loss.py's
  quality-against-loss chart goes this way).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
STORED_SERVER = os.path.join(HERE, "results", "server-cpu.json")

OURS, PEER, FLOOR, OTHER = "#1f6fb4", "#d1495b", "#7a7a7a", "#e0a526"
#: The command whose run the charts show, for their footnotes (report.py sets it).
COMMAND = "bench/report.py"


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold",
                         "axes.spines.top": False, "axes.spines.right": False,
                         "svg.fonttype": "none", "figure.dpi": 100})
    return plt


def machine() -> str:
    """One line naming where and how the figures were made."""
    import streamcodec

    simd = ""
    if hasattr(streamcodec, "simd_info"):
        simd = str(streamcodec.simd_info()).split(";")[0].replace("SIMD: ", "SIMD ")
    cpus = os.cpu_count()
    return (f"{platform.machine()}, {cpus} CPU{'s' if cpus != 1 else ''}, "
            f"Python {platform.python_version()}{', ' + simd if simd else ''}, "
            f"{datetime.date.today().isoformat()}")


def save(fig, out_dir: str, name: str) -> list[str]:
    """Write ``name.png`` and ``name.svg`` into out_dir; returns their paths.
    The PNG is cut to a 128-colour palette: a chart needs no more, and the
    file is a third the size."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        path = os.path.join(out_dir, f"{name}.{ext}")
        fig.savefig(path, bbox_inches="tight", dpi=110 if ext == "png" else None,
                    metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    pyplot().close(fig)
    small_png(paths[0])
    return paths


def small_png(path: str) -> None:
    """Re-save a PNG with a 128-colour palette (Pillow comes with matplotlib)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128)
    small.save(path, optimize=True)


def footnote(ax, text: str, below: float = 42) -> None:
    """Small grey text a fixed distance below an axes (its tick labels and
    axis label sit between)."""
    ax.annotate(text, xy=(0, 0), xycoords="axes fraction", xytext=(0, -below),
                textcoords="offset points", va="top", fontsize=8, color=FLOOR, wrap=True)


#: Units of the rows a ratio chart shows: speeds.  Other rows (latency in ms,
#: message numbers, PESQ scores) have ratios too, but "times faster" does not
#: fit them: they have their own charts (``withheld``, a module's ``plots``).
SPEED_UNIT = re.compile(r"/s$|realtime|real time|/call|/msg|/frame")


def ratio_chart(module: str, rows: list, out_dir: str) -> list[str]:
    """Bars of how many times faster streamcodec is than the peer, for each
    row of a speed that has a ratio, under a heading per group of rows."""
    measured = [r for r in rows if r.ratio is not None and SPEED_UNIT.search(r.unit)]
    if not measured:
        return []
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    lines: list = []                 # a group's heading (str) or a row
    group = None
    for r in measured:
        if r.group != group:
            lines.append(r.group)
            group = r.group
        lines.append(r)
    height = 1.5 + 0.3 * len(lines)
    fig, ax = plt.subplots(figsize=(7, height))
    ratios = [r.ratio for r in measured]
    labels = []
    for i, line in enumerate(lines):
        y = len(lines) - 1 - i
        if isinstance(line, str):
            labels.append(line)
            continue
        q = line.ratio
        ax.barh(y, q, color=OURS if q >= 1 else PEER, height=0.7)
        ax.text(q * 1.06, y, f"{q:.1f}x" if q < 100 else f"{q:.0f}x", va="center", fontsize=9)
        labels.append(f"{line.case}  (vs {line.peer})")
    ax.set_yticks(range(len(lines))[::-1], labels, fontsize=9)
    for tick, line in zip(ax.get_yticklabels(), lines):
        if isinstance(line, str):
            tick.set_fontweight("bold")
            tick.set_fontsize(10)
    ax.tick_params(axis="y", length=0)
    ax.set_xscale("log")
    low, high = min(min(ratios), 1.0) / 1.6, max(max(ratios), 1.0) * 2.2
    ax.set_xlim(low, high)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    # a narrow range shows minor ticks' labels too: the same way, not as 2 x 10^0
    ax.xaxis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:g}x" if high / low < 20 and v > 1 else ""))
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlabel("times faster than the peer (log scale; 1x = as fast as the peer)")
    name = module.removeprefix("compare_")
    ax.set_title(f"streamcodec against its peers: {name}")
    footnote(ax, f"{COMMAND}: same input, same run, min of repeats. {machine()}")
    return save(fig, out_dir, f"ratios-{name}")


def withheld_series(in_rate: int, out_rate: int, chunk_ms: int = 20, total_ms: int = 200):
    """(ms fed, {name: ms withheld}) for a stream fed chunk_ms chunks of a
    tone: input time fed minus output time returned, after each chunk."""
    import streamcodec as sc

    chunk = in_rate * chunk_ms // 1000
    t = np.arange(in_rate * total_ms // 1000) / in_rate
    x = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    fed_ms = np.arange(chunk_ms, total_ms + 1, chunk_ms)
    series = {}
    makers = {"streamcodec Resampler": lambda: sc.Resampler(in_rate, out_rate)}
    try:
        import soxr

        for q in ("HQ", "VHQ"):
            makers[f"soxr ResampleStream {q}"] = (
                lambda q=q: soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality=q))
    except ImportError:
        pass
    for name, make in makers.items():
        stream, returned, withheld = make(), 0, []
        for i in range(0, len(x), chunk):
            piece = x[i:i + chunk]
            out = stream.process(piece) if name.startswith("streamcodec") else \
                stream.resample_chunk(piece)
            returned += len(out) // 2 if isinstance(out, bytes) else len(out)
            withheld.append(1000 * ((i + chunk) / in_rate - returned / out_rate))
        series[name] = np.array(withheld)
    return fed_ms, series


def withheld_chart(out_dir: str) -> list[str]:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
    for ax, (a, b, what) in zip(axes, [(8000, 16000, "phone to speech-to-text"),
                                       (24000, 8000, "text-to-speech to phone")]):
        fed, series = withheld_series(a, b)
        for name, ms in series.items():
            ours = name.startswith("streamcodec")
            ax.plot(fed, ms, marker="o", markersize=4, linewidth=2.5 if ours else 1.8,
                    color=OURS if ours else (PEER if name.endswith("VHQ") else OTHER),
                    label=name + (" (withholds nothing)" if ours and not ms.any() else ""))
        ax.set_title(f"{a // 1000} kHz → {b // 1000} kHz\n({what})", fontsize=11)
        ax.set_xlabel("audio fed so far, ms (20 ms chunks)")
        ax.set_xlim(0, fed[-1] + 5)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("audio withheld, ms\n(fed minus returned)")
    axes[0].legend(loc="upper left", fontsize=8, frameon=False)
    fig.suptitle("Audio a stream resampler holds back at the start of a stream",
                 fontweight="bold", fontsize=13)
    fig.subplots_adjust(top=0.82, wspace=0.08)
    footnote(axes[0], f"Measured in this run on the same 440 Hz chunks. {machine()}")
    return save(fig, out_dir, "withheld")


def server_results(rows: list) -> tuple[list[tuple[str, float]], str]:
    """(server, ms CPU per call-second) pairs, peer first, and where they are from."""
    group = [r for r in rows if r.group.startswith("Echo server") and r.ours_value]
    if group:
        pairs = [("peer glue (ws+json+audioop+soxr)", group[0].peer_value)] if \
            group[0].peer_value else []
        pairs += [(r.case, r.ours_value) for r in group]
        return pairs, f"{group[0].group}; {COMMAND}. {machine()}"
    with open(STORED_SERVER, encoding="utf-8") as f:
        stored = json.load(f)
    return ([(s["server"], s["ms_cpu_per_call_second"]) for s in stored["servers"]],
            f"Stored result ({stored['source']}), not this run: compare_server did not run.")


def server_chart(rows: list, out_dir: str) -> list[str]:
    pairs, source = server_results(rows)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(pairs) + 1.6))
    y = np.arange(len(pairs))[::-1]
    colors = [PEER if n.startswith("peer") else FLOOR if n.startswith("floor") else OURS
              for n, _ in pairs]
    values = [v for _, v in pairs]
    ax.barh(y, values, color=colors, height=0.65)
    ax.set_yticks(y, [n for n, _ in pairs])
    floor = next((v for n, v in pairs if n.startswith("floor")), None)
    if floor:
        ax.axvline(floor, color=FLOOR, linestyle="--", linewidth=1)
        ax.text(floor, y[0] + 0.55, " transport floor", color=FLOOR, fontsize=8)
    for yi, v in zip(y, values):
        ax.text(v, yi, f" {v:.2f}", va="center", fontsize=9)
    ax.set_xlim(0, max(values) * 1.15)
    ax.set_xlabel("server CPU per call-second of audio, ms (lower is better)")
    ax.set_title("Echo server CPU per call against the transport floor")
    footnote(ax, source)
    return save(fig, out_dir, "server-cpu")


def quality_chart(rows: list, out_dir: str) -> list[str]:
    """Speech quality under loss: bars of streamcodec's concealment against
    the peer's, per codec, from rows scored in MOS (compare_loss.py's rows:
    PESQ at one loss rate).  The whole curve against loss is compare_loss.py
    --out's own chart."""
    scored = [r for r in rows if r.unit.startswith("MOS") and r.ours_value is not None]
    if not scored:
        return []
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(scored))
    peer = [r.peer_value or 0.0 for r in scored]
    ours = [r.ours_value for r in scored]
    ax.bar(x - 0.2, peer, width=0.4, color=OTHER, label=scored[0].peer)
    ax.bar(x + 0.2, ours, width=0.4, color=OURS, label="streamcodec's concealment")
    for xi, p, o in zip(x, peer, ours):
        ax.text(xi - 0.2, p + 0.04, f"{p:.2f}", ha="center", fontsize=8)
        ax.text(xi + 0.2, o + 0.04, f"{o:.2f}", ha="center", fontsize=8)
    ax.set_xticks(x, [r.case for r in scored])
    ax.set_ylim(1, 4.7)
    ax.set_ylabel(f"speech quality, {scored[0].unit} (higher is better)")
    ax.set_title(scored[0].group)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    footnote(ax, f"{COMMAND}. {machine()}", below=28)
    return save(fig, out_dir, "quality-at-loss")


def write_all(rows_by_module: dict[str, list], modules: dict, out_dir: str,
              withheld: bool = True) -> list[str]:
    """Every chart of a run; returns the paths written."""
    paths: list[str] = []
    for name, rows in rows_by_module.items():
        paths += ratio_chart(name, rows, out_dir)
        paths += quality_chart(rows, out_dir)
        own = getattr(modules.get(name), "plots", None)
        if own is not None:
            paths += own(rows, out_dir)
    if withheld:
        paths += withheld_chart(out_dir)
    paths += server_chart([r for rows in rows_by_module.values() for r in rows], out_dir)
    return paths
