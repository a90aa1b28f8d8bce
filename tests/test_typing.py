"""The installed package's type hints work for users: ``mypy --strict`` passes
over examples/typed_usage.py, and a wrongly typed use is caught (so the
package is really read through py.typed, not taken as Any); the whole
installed package passes mypy with its default settings, and _fast.pyi
matches the compiled _fast (stubtest)."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO

EXAMPLE = f"{REPO}/examples/typed_usage.py"


def mypy(*args: str, cwd: str) -> subprocess.CompletedProcess[str]:
    # run from outside the checkout so the installed package is what mypy reads
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_typed_example_passes_mypy_strict(tmp_path):
    done = mypy(EXAMPLE, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout


def test_example_runs(tmp_path):
    done = subprocess.run([sys.executable, EXAMPLE], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "heard 640 bytes" in done.stdout


def test_mypy_sees_the_package_types(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import streamcodec as sc\n"
                     "pcm: int = sc.Decoder('PCMU').decode(b'\\xff')\n"
                     "sc.Resampler('8000', 16000)\n")
    done = mypy(str(wrong), cwd=str(tmp_path))
    assert done.returncode == 1, done.stdout
    assert 'Incompatible types in assignment (expression has type "bytes"' in done.stdout
    assert 'Argument 1 to "Resampler" has incompatible type "str"' in done.stdout


#: mypy's settings for the whole installed package (its defaults, not
#: --strict).  The compiled _core has no stub (_fast has _fast.pyi, which is
#: read); the optional dependencies are taken as Any where they are not
#: installed or have no types (pipecat needs Python 3.11, audioop-lts 3.13).
PACKAGE_MYPY_INI = """\
[mypy]
[mypy-streamcodec._core]
ignore_missing_imports = True
[mypy-audioop.*,cryptography.*,lameenc.*,loguru.*,matplotlib.*,pesq.*,picows.*]
ignore_missing_imports = True
[mypy-pipecat.*,pydantic.*,starlette.*,tqdm.*,uvicorn.*,uvloop.*,websockets.*]
ignore_missing_imports = True
"""


def package_mypy(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    ini = tmp_path / "mypy.ini"
    ini.write_text(PACKAGE_MYPY_INI)
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--config-file",
                           str(ini), *args], capture_output=True, text=True, cwd=tmp_path,
                          timeout=600)


def test_the_package_passes_mypy(tmp_path):
    done = package_mypy(tmp_path, "-p", "streamcodec")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_package_mypy_settings_still_see_the_types(tmp_path):
    # the same settings catch an Optional used as a str, and read the codec
    # core's types through the carrier code and the C extension's through
    # _fast.pyi (not Any)
    wrong = tmp_path / "wrong.py"
    wrong.write_text("from streamcodec import _fast\n"
                     "from streamcodec.stream._fields import text\n"
                     "from streamcodec.twilio import MediaStream\n"
                     "name: str = text({}, 'k', 'k')\n"
                     "count: str = MediaStream().rejected\n"
                     "payload: str = _fast.transcode(b'\\xff', 'PCMU', 'PCMA')\n")
    done = package_mypy(tmp_path, str(wrong))
    assert done.returncode == 1, done.stdout
    assert re.search(r'has type "(str \| None|Optional\[str\])", variable has type "str"',
                     done.stdout), done.stdout
    assert 'expression has type "int", variable has type "str"' in done.stdout
    assert 'expression has type "bytes", variable has type "str"' in done.stdout


def test_fast_stub_matches_the_extension(tmp_path):
    # stubtest imports the compiled streamcodec._fast and holds _fast.pyi to
    # it: every name, argument and member the stub gives exists as given.
    # The C types are PEP 800 disjoint bases; mypy's older than that check
    # leave the allowlist unused.
    allow = tmp_path / "allowlist.txt"
    allow.write_text("".join(f"streamcodec._fast.{c}Base\n"
                             for c in ("Decoder", "Encoder", "Resampler", "Stream")))
    ini = tmp_path / "mypy.ini"
    ini.write_text(PACKAGE_MYPY_INI)
    done = subprocess.run([sys.executable, "-m", "mypy.stubtest", "streamcodec._fast",
                           "--mypy-config-file", str(ini), "--allowlist", str(allow),
                           "--ignore-unused-allowlist"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
