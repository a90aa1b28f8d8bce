"""A build without libopus, libopencore-amrwb and libvo-amrwbenc: the
package still builds and imports, codecs() marks OPUS and AMR-WB
unavailable, constructing them names the Debian packages to install, the C
core refuses them with SC_EUNAVAILABLE, and the pure RFC 4867 packing still
works.  The extension is really compiled here, from the same csrc/ and the
same build script, on its system-library path with the library probe
answering "absent"."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import streamcodec

ROOT = pathlib.Path(__file__).resolve().parents[1]

PROBE = r"""
import json
import streamcodec as sc
from streamcodec import amrwb
from streamcodec._core import ffi, lib

out = {"file": sc.__file__, "available": {k: v.available for k, v in sc.codecs().items()}}
for codec in ("OPUS", "AMR-WB"):
    for cls in (sc.Decoder, sc.Encoder):
        try:
            cls(codec)
            out[f"{cls.__name__} {codec}"] = "constructed"
        except sc.CodecUnavailableError as exc:
            out[f"{cls.__name__} {codec}"] = str(exc)
for name, codec, rate in (("OPUS", lib.SC_CODEC_OPUS, 48000), ("AMR-WB", lib.SC_CODEC_AMRWB, 16000)):
    params = ffi.new("sc_params *")
    lib.sc_params_default(params)
    params.rate = rate
    out[f"c decoder {name}"] = lib.sc_decoder_new(codec, params, ffi.new("sc_decoder **"))
    out[f"c encoder {name}"] = lib.sc_encoder_new(codec, params, ffi.new("sc_encoder **"))
out["pack"] = amrwb.pack([bytes([15 << 3 | 4])]).hex()
out["pcmu"] = sc.Decoder("PCMU").decode(b"\xff\x00").hex()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def bare_package(tmp_path_factory) -> pathlib.Path:
    """streamcodec's installed Python files around an extension compiled
    with every optional codec library reported missing."""
    tmp = tmp_path_factory.mktemp("bare")
    spec = importlib.util.spec_from_file_location("bare_build", ROOT / "streamcodec" / "_build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.codec_prefix = lambda: None  # the system-library path, even if static libs exist
    build._library_present = lambda header, library: False
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        ffi = build.make_builder()
        library = pathlib.Path(ffi.compile(tmpdir=".")).resolve()
    finally:
        os.chdir(cwd)
    package = tmp / "site" / "streamcodec"
    package.mkdir(parents=True)
    installed = pathlib.Path(streamcodec.__file__).parent
    # the Python files, and _fast, which links no library (it calls _core's functions)
    for source in [*installed.glob("*.py"), *installed.glob("_fast.*.so")]:
        shutil.copy(source, package / source.name)
    shutil.copy(library, package / library.name)
    return package.parent


def test_build_without_codec_libraries(bare_package):
    env = dict(os.environ, PYTHONPATH=str(bare_package))
    run = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=bare_package,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["file"].startswith(str(bare_package))  # the bare build, not the installed one
    assert out["available"]["OPUS"] is False
    assert out["available"]["AMR-WB"] is False
    assert out["available"]["PCMU"] is True
    for cls in ("Decoder", "Encoder"):
        assert "libopus-dev" in out[f"{cls} OPUS"]
        assert "libopencore-amrwb-dev" in out[f"{cls} AMR-WB"]
        assert "libvo-amrwbenc-dev" in out[f"{cls} AMR-WB"]
    for key in ("c decoder OPUS", "c encoder OPUS", "c decoder AMR-WB", "c encoder AMR-WB"):
        assert out[key] == streamcodec._core.lib.SC_EUNAVAILABLE, key
    # RFC 4867 packing needs no library: CMR 15, TOC F=0 FT=15 Q=1, padding
    assert out["pack"] == "f7c0"
    # and the codecs that need no library work: mu-law 0xff -> 0, 0x00 -> -32124
    assert out["pcmu"] == "0000" + (-32124).to_bytes(2, sys.byteorder, signed=True).hex()


def test_installed_build_has_the_libraries():
    """CI builds with all three libraries: the installed package must not
    quietly be a bare build."""
    info = streamcodec.codecs()
    assert info["OPUS"].available and info["AMR-WB"].available
