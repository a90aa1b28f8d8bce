"""The README and the documentation pages say what the code does: every
``python`` code block in them runs, and their statements about the codec
objects hold.

Each page's ``python`` blocks run in order in one namespace (a later block
may use what an earlier one made), in a temporary working directory.  A
block that cannot run here (it needs a network, an account, a call's own
data) has this line just above its opening fence, saying why::

    <!-- not-run: needs a Telnyx API key -->
"""

from __future__ import annotations

import glob
import os
import re

import numpy as np
import pytest

import streamcodec as sc
from conftest import REPO

NOT_RUN = re.compile(r"<!--\s*not-run:\s*(\S.*?)\s*-->")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")


def pages() -> list[str]:
    """README.md and every Markdown page of the site, relative to the checkout
    (not the API pages, which are written from the docstrings at build time)."""
    found = ["README.md"]
    docs = os.path.join(REPO, "docs")
    for path in sorted(glob.glob(os.path.join(docs, "**", "*.md"), recursive=True)):
        rel = os.path.relpath(path, REPO)
        if not rel.startswith((os.path.join("docs", "_build"), os.path.join("docs", "api"))):
            found.append(rel)
    return found


def read(page: str) -> str:
    with open(os.path.join(REPO, page), encoding="utf-8") as f:
        return f.read()


def code_blocks(text: str) -> list[tuple[int, str, str, str | None]]:
    """(first line number, language, code, why it is not run or None) of each
    fenced block."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        indent, fence, language = opened.groups()
        previous = next((line for line in reversed(lines[:i]) if line.strip()), "")
        skipped = NOT_RUN.search(previous)
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        blocks.append((i - len(body) + 1 - 1, language, "\n".join(body),
                       skipped.group(1) if skipped else None))
        i += 1
    return blocks


def test_the_block_reader_sees_fences_and_not_run_marks():
    text = "x\n<!-- not-run: needs the network -->\n```python\nraise SystemExit\n```\n\n" \
           "```python\ny = 1\n```\n```sh\nls\n```\n"
    assert [(lang, code, why) for _, lang, code, why in code_blocks(text)] == [
        ("python", "raise SystemExit", "needs the network"), ("python", "y = 1", None),
        ("sh", "ls", None)]


@pytest.mark.parametrize("page", [page for page in pages()
                                  if any(b[1] == "python" for b in code_blocks(read(page)))])
def test_python_blocks_run(page, tmp_path, monkeypatch):
    runnable = [b for b in code_blocks(read(page)) if b[1] == "python" and b[3] is None]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for line, _, code, _ in runnable:
        try:
            exec(compile(code, f"{page}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"the python block at {page} line {line} fails: "
                                 f"{type(exc).__name__}: {exc}") from exc


def test_most_python_blocks_run():
    """The not-run mark is for the few blocks that cannot run, not a way out."""
    blocks = [b for page in pages() for b in code_blocks(read(page)) if b[1] == "python"]
    skipped = [b for b in blocks if b[3] is not None]
    assert len(blocks) >= 15 and len(skipped) <= len(blocks) // 4, (len(blocks), len(skipped))


def test_every_conceal_example_labelled_20_ms_is_20_ms_at_its_decoder_rate():
    checked = 0
    for page in pages():
        decoders = {}             # variable -> the Decoder(...) arguments last assigned
        for line in read(page).splitlines():
            for var, args in re.findall(r"(\w+) = sc\.Decoder\(([^)]*)\)", line):
                decoders[var] = args
            used = re.search(r"(\w+)\.conceal\((\d+)\)\s+#.*\b20 ms\b", line)
            if used:
                args = decoders[used.group(1)]
                decoder = eval(f"sc.Decoder({args})", {"sc": sc})
                pcm = decoder.conceal(int(used.group(2)))
                assert len(pcm) // 2 == decoder.rate // 50, (page, line, args)
                checked += 1
    assert checked >= 2


def test_partial_frames_are_as_the_guide_says():
    text = " ".join(read(os.path.join("docs", "getting-started.md")).split())
    assert "G.711 and L16 encode any whole number of samples at their own rate" in text
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
