"""streamcodec.audioop against the real audioop: same bytes, same errors."""

from __future__ import annotations

import glob
import importlib.util
import os
import subprocess
import sys
import sysconfig
import types
import unittest

import numpy as np
import pytest

from streamcodec import _fast
from streamcodec import audioop as sa

FUNCS = ["lin2ulaw", "lin2alaw", "ulaw2lin", "alaw2lin"]


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("name", FUNCS)
def test_same_bytes_as_audioop(name, width, ref_audioop):
    rng = np.random.default_rng(width)
    if name.startswith("lin2"):
        fragment = rng.integers(0, 256, size=3000 * width, dtype=np.uint8).tobytes()
    else:
        fragment = bytes(range(256)) + rng.integers(0, 256, 1000, dtype=np.uint8).tobytes()
    assert getattr(sa, name)(fragment, width) == getattr(ref_audioop, name)(fragment, width)


def test_every_16bit_sample_as_audioop(all_int16, ref_audioop):
    data = all_int16.tobytes()
    assert sa.lin2ulaw(data, 2) == ref_audioop.lin2ulaw(data, 2)
    assert sa.lin2alaw(data, 2) == ref_audioop.lin2alaw(data, 2)


@pytest.mark.parametrize("name", FUNCS)
def test_same_errors_as_audioop(name, ref_audioop):
    ours, theirs = getattr(sa, name), getattr(ref_audioop, name)
    for args in [(b"\x00\x01", 5), (b"\x00\x01", 0)]:
        with pytest.raises(sa.error, match="Size should be 1, 2, 3 or 4"):
            ours(*args)
        with pytest.raises(ref_audioop.error, match="Size should be 1, 2, 3 or 4"):
            theirs(*args)
    for bad in ("ab", None, 12):
        with pytest.raises(TypeError, match="bytes-like object is required"):
            ours(bad, 2)
        with pytest.raises(TypeError):
            theirs(bad, 2)
    with pytest.raises(TypeError):
        ours(b"\x00\x00", "2")


@pytest.mark.parametrize("name", ["lin2ulaw", "lin2alaw"])
def test_partial_frames_rejected(name, ref_audioop):
    with pytest.raises(sa.error, match="not a whole number of frames"):
        getattr(sa, name)(b"\x00\x01\x02", 2)
    with pytest.raises(ref_audioop.error, match="not a whole number of frames"):
        getattr(ref_audioop, name)(b"\x00\x01\x02", 2)


def test_accepts_what_audioop_accepts(ref_audioop):
    pcm = np.array([1, -2, 300, -32768], dtype=np.int16)
    for data in (bytearray(pcm.tobytes()), memoryview(pcm.tobytes()), pcm):
        assert sa.lin2ulaw(data, 2) == ref_audioop.lin2ulaw(data, 2)
    assert sa.ulaw2lin(bytearray(b"\x00\xff"), 2) == ref_audioop.ulaw2lin(bytearray(b"\x00\xff"), 2)
    assert sa.lin2ulaw(b"", 2) == b"" and sa.ulaw2lin(b"", 4) == b""


# ------------------------------------------------- the rest of audioop's surface

def _find_cpython_test_audioop() -> str | None:
    """CPython's own test_audioop.py: the running interpreter's (3.10-3.12
    ship it in their test package), else one from another interpreter on this
    machine (3.13 removed it with the module); $STREAMCODEC_TEST_AUDIOOP wins."""
    if os.environ.get("STREAMCODEC_TEST_AUDIOOP"):
        return os.environ["STREAMCODEC_TEST_AUDIOOP"]
    here = os.path.join(sysconfig.get_paths()["stdlib"], "test", "test_audioop.py")
    if os.path.exists(here):
        return here
    base = os.path.dirname(os.path.dirname(os.path.dirname(sysconfig.get_paths()["stdlib"])))
    found = sorted(glob.glob(os.path.join(base, "*", "lib", "python3.1[0-2]", "test",
                                          "test_audioop.py")))
    return found[-1] if found else None


def _load_cpython_test_audioop() -> types.ModuleType | None:
    """Load CPython's test_audioop with ``import audioop`` answered by
    streamcodec.audioop: its test logic then runs against ours (the file
    stays CPython's, read from the interpreter; nothing of it is copied)."""
    path = _find_cpython_test_audioop()
    if path is None:
        return None
    spec = importlib.util.spec_from_file_location("cpython_test_audioop", path)
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("audioop")
    sys.modules["audioop"] = sa
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["audioop"]
        else:
            sys.modules["audioop"] = saved
    return module


CPYTHON_TESTS = _load_cpython_test_audioop()
CPYTHON_NAMES = sorted(
    name for name in dir(CPYTHON_TESTS.TestAudioop) if name.startswith("test")
) if CPYTHON_TESTS else []


@pytest.mark.skipif(CPYTHON_TESTS is None, reason="no CPython test_audioop.py on this machine")
@pytest.mark.parametrize("name", CPYTHON_NAMES or ["-"])
def test_cpython_test_audioop_passes_against_the_drop_in(name):
    assert CPYTHON_TESTS.audioop is sa  # its `audioop` is ours
    result = unittest.TestResult()
    CPYTHON_TESTS.TestAudioop(name).run(result)
    assert result.testsRun == 1
    problems = [text for _, text in result.failures + result.errors]
    assert not problems, "\n".join(problems)


def test_cpython_test_audioop_is_all_there():
    if CPYTHON_TESTS is None:
        pytest.skip("no CPython test_audioop.py on this machine")
    # every function of the module is exercised, ours and the forwarded ones
    assert len(CPYTHON_NAMES) >= 30
    for name in ("test_lin2ulaw", "test_ulaw2lin", "test_lin2alaw", "test_alaw2lin",
                 "test_ratecv", "test_rms", "test_mul", "test_tomono", "test_add", "test_bias"):
        assert name in CPYTHON_NAMES


def test_the_whole_module_surface(ref_audioop):
    public = {name for name in dir(ref_audioop) if not name.startswith("_")}
    assert public <= set(dir(sa)) and public <= set(sa.__all__)
    for name in sa.FORWARDED:
        assert getattr(sa, name) is getattr(ref_audioop, name)
    assert sa.error is ref_audioop.error
    # one except clause catches ours and the forwarded functions' errors
    for call in (lambda: sa.ulaw2lin(b"\x00", 5), lambda: sa.rms(b"\x00", 5)):
        with pytest.raises(ref_audioop.error):
            call()
    assert sa.ratecv(b"\x00\x01" * 8, 2, 1, 8000, 16000, None)[0] == \
        ref_audioop.ratecv(b"\x00\x01" * 8, 2, 1, 8000, 16000, None)[0]
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        sa.nonesuch


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-c", code], cwd="/",
                          capture_output=True, text=True, timeout=120)


def test_forwarding_imports_audioop_on_first_use_without_warnings():
    done = _run("import sys; from streamcodec import audioop as a\n"
                "assert 'audioop' not in sys.modules\n"
                "assert a.ulaw2lin(b'\\x00', 2) == b'\\x84\\x82'\n"
                "assert 'audioop' not in sys.modules\n"
                "import warnings\n"
                "a.rms(b'\\x00\\x10', 2); assert 'audioop' in sys.modules\n")
    assert done.returncode == 0, done.stderr


def test_installed_as_audioop_for_a_library_it_still_finds_the_real_one(ref_audioop):
    done = _run("import sys; from streamcodec import audioop as a\n"
                "sys.modules['audioop'] = a\n"
                "import audioop\n"
                "assert audioop is a and audioop.rms(b'\\x00\\x10', 2) == 4096\n"
                "assert a.error is not None and sys.modules['audioop'] is a\n")
    assert done.returncode == 0, done.stderr


def test_without_any_audioop_g711_works_and_the_rest_says_what_to_install():
    # a Python 3.13 without audioop-lts, simulated by refusing the import
    done = _run("import sys\n"
                "class Block:\n"
                "    def find_spec(self, name, path=None, target=None):\n"
                "        if name == 'audioop': raise ImportError('blocked')\n"
                "sys.meta_path.insert(0, Block())\n"
                "from streamcodec import audioop as a\n"
                "assert a.ulaw2lin(b'\\xff', 2) == b'\\x00\\x00'\n"
                "assert 'rms' not in a.__all__\n"
                "try:\n"
                "    a.ulaw2lin(b'\\xff', 7)\n"
                "except a.error as exc:\n"
                "    assert str(exc) == 'Size should be 1, 2, 3 or 4' and a.error.__module__ == 'streamcodec.audioop'\n"
                "try:\n"
                "    a.rms\n"
                "except AttributeError as exc:\n"
                "    assert 'audioop-lts' in str(exc), exc\n"
                "else:\n"
                "    raise SystemExit('no AttributeError')\n")
    assert done.returncode == 0, done.stderr


# ------------------------------------------------- the C fast path and the Python path

@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("name", ["ulaw2lin", "alaw2lin"])
def test_both_call_paths_decode_every_code_alike(name, width, all_codes):
    fast, python = getattr(_fast, name), getattr(sa, "_" + name)
    assert getattr(sa, name) is fast
    assert fast(all_codes, width) == python(memoryview(all_codes), width)
    assert fast(bytearray(all_codes), width) == python(all_codes, width)


@pytest.mark.parametrize("name", ["lin2ulaw", "lin2alaw"])
def test_both_call_paths_encode_every_16bit_sample_alike(name, all_int16):
    fast, python = getattr(_fast, name), getattr(sa, "_" + name)
    data = all_int16.tobytes()
    assert fast(data, 2) == python(memoryview(data), 2)
    rng = np.random.default_rng(7)
    for width in (1, 3, 4):
        frag = rng.integers(0, 256, 4000 * width, dtype=np.uint8).tobytes()
        assert fast(frag, width) == python(memoryview(frag), width)


def test_fast_path_takes_bytes_and_small_bytearrays_only():
    calls = []
    original = sa._ulaw2lin

    def spy(*args):
        calls.append(type(args[0]).__name__)
        return original(*args)

    _fast.register("ulaw2lin", spy)
    try:
        sa.ulaw2lin(b"\x00" * 160, 2)
        sa.ulaw2lin(bytearray(160), 2)
        assert calls == []                             # both in C
        sa.ulaw2lin(memoryview(b"\x00" * 160), 2)
        sa.ulaw2lin(bytearray(_fast.NOGIL_BYTES), 2)   # large: Python path (GIL released there)
        sa.ulaw2lin(b"\x00", True)                     # a bool width: audioop takes it, via Python
        assert calls == ["memoryview", "bytearray", "bytes"]
    finally:
        _fast.register("ulaw2lin", original)


def test_odd_address_16bit_input_equals_the_aligned_case(ref_audioop):
    pcm = np.arange(-32768, 32768, 61, dtype=np.int16).tobytes()
    buf = bytearray(1) + bytearray(pcm)
    odd = memoryview(buf)[1:]
    from streamcodec._buffers import address
    from streamcodec._core import ffi
    assert address(ffi.from_buffer(odd)) & 1          # really at an odd address
    for name in ("lin2ulaw", "lin2alaw"):
        assert getattr(sa, name)(odd, 2) == getattr(sa, name)(pcm, 2) \
            == getattr(ref_audioop, name)(pcm, 2)
    shifted = bytearray(b"\x00" + pcm)
    del shifted[:1]    # a bytearray whose data now starts one byte in
    assert sa.lin2ulaw(shifted, 2) == sa.lin2ulaw(pcm, 2)
