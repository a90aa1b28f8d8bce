"""The documentation site builds with warnings as errors, and its API
reference documents every public module and every name each one exports.

A public module is one that defines ``__all__`` (found here by walking the
installed package, not from a list); docs/api_pages.py's ``API_MODULES`` is
the list the reference is written from, so a module added without its line
there fails ``test_every_public_module_has_a_reference_page``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import types

import pytest

import streamcodec
from conftest import REPO

DOCS = os.path.join(REPO, "docs")
pytestmark = pytest.mark.skipif(not os.path.isfile(os.path.join(DOCS, "conf.py")),
                                reason="no docs/ here (an sdist)")


def _api_pages():
    sys.path.insert(0, DOCS)
    try:
        import api_pages
    finally:
        sys.path.remove(DOCS)
    return api_pages


def public_modules() -> dict[str, types.ModuleType]:
    """Every module of the installed streamcodec that defines ``__all__``.
    A module whose optional dependency is missing (pipecat before Python
    3.11) cannot be imported and is left out."""
    found = {"streamcodec": streamcodec}
    for info in pkgutil.walk_packages(streamcodec.__path__, "streamcodec."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        if hasattr(module, "__all__"):
            found[info.name] = module
    return found


def test_every_public_module_has_a_reference_page():
    listed = {name for name, _ in _api_pages().API_MODULES}
    found = set(public_modules())
    assert found - listed == set(), (
        "public modules (they define __all__) missing from API_MODULES in docs/api_pages.py")
    for name in listed:                  # and each listed module is there to document
        if name not in found:
            try:
                importlib.import_module(name)
            except ImportError as exc:
                assert "pipecat" in str(exc), exc    # an optional dependency missing, only


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The site built from scratch into a temporary directory, warnings as
    errors (the command the README gives, with a fresh environment)."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    pytest.importorskip("furo")
    out = tmp_path_factory.mktemp("site")
    # Run from the temporary directory: "python -m" puts the working
    # directory first on sys.path, and the checkout's streamcodec/ has no
    # compiled core.
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
         "-d", str(out / "doctrees"), DOCS, str(out / "html")],
        cwd=out, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return out / "html"


def test_site_builds_with_warnings_as_errors(built_site):
    for page in ("index", "getting-started", "telnyx-server", "carriers/index", "pipecat",
                 "audioop", "resampling", "concealment", "deploy", "benchmarks", "platforms",
                 "architecture", "changelog", "api/index", "api/streamcodec"):
        assert (built_site / f"{page}.html").is_file(), page
    index = (built_site / "index.html").read_text(encoding="utf-8")
    assert "The compiled codec core for Python voice servers" in index
    api = (built_site / "api" / "streamcodec.html").read_text(encoding="utf-8")
    assert 'id="streamcodec.Decoder.decode"' in api      # a method defined in C, documented


def test_reference_documents_every_exported_name(built_site):
    from sphinx.util.inventory import InventoryFile

    with open(built_site / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", os.path.join)
    documented = {name for kind, entries in inventory.items() if kind.startswith("py:")
                  for name in entries}
    api_pages = _api_pages()
    missing = []
    for name, module in public_modules().items():
        elsewhere = api_pages.documented_elsewhere(name)
        assert name in documented, f"module {name} has no reference page"
        for export in getattr(module, "__all__", ()):
            where = elsewhere.get(export, name)
            if f"{where}.{export}" not in documented:
                missing.append(f"{name}.{export}")
    assert not missing, ("exported but not in the reference (a missing docstring, or a name "
                         "autodoc cannot see): " + ", ".join(missing))
    # And the check can fail: a name nobody exports is not there.
    assert "streamcodec.telnyx.session._Track" not in documented
