"""The installed package's type hints work for users: ``mypy --strict`` passes
over examples/typed_usage.py, and a wrongly typed use is caught (so the
package is really read through py.typed, not taken as Any)."""

from __future__ import annotations

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
