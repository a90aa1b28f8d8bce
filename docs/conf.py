"""Sphinx configuration of streamcodec's documentation site.

Build it (from the repository root, with the ``docs`` extra installed)::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

Warnings are errors: a missing docstring, a broken cross-reference or a code
block that does not parse fails the build (and ``tests/test_docs.py``).
autodoc imports the *installed* streamcodec (the source tree has no compiled
core), so install the checkout first (``bash scripts/setup.sh``).
"""

from __future__ import annotations

import inspect
import os
import re
import sys

# The guides' own helpers (nothing of streamcodec's: that is imported installed).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from api_pages import API_MODULES, write_api_pages  # noqa: E402

import streamcodec  # noqa: E402

project = "streamcodec"
author = "streamcodec maintainers"
copyright = "streamcodec maintainers"
release = streamcodec.__version__ if hasattr(streamcodec, "__version__") else ""
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "api_pages.py"]
templates_path: list[str] = []

# --- Markdown (myst-parser) -------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3          # [text](page.md#a-heading) links to headings

# --- API reference (autodoc + napoleon, numpy-style docstrings) --------------
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = True
napoleon_use_ivar = True          # "Attributes" sections as fields: no duplicate entries
autodoc_typehints = "description"          # hints rendered with each parameter
autodoc_typehints_description_target = "documented_params"
autodoc_member_order = "bysource"
# Members inherited from streamcodec's C base classes (``Decoder.decode``,
# ``MediaStream.feed``: methods of ``streamcodec/_fast.c``) are documented with
# their class; those of Python's own classes are not.
autodoc_default_options = {
    "members": True,
    "undoc-members": True,
    "show-inheritance": True,
    "inherited-members": "object,BaseException,Exception,ValueError,TypeError,RuntimeError,"
                         "KeyError,LookupError,tuple,dict,list,str,int,float,bytes,ABC,Generic,"
                         "BaseModel",
}
autodoc_preserve_defaults = True
add_module_names = False
python_use_unqualified_type_names = True

# napoleon reads a property docstring's first line "X: text" as a Google-style
# "type: description"; streamcodec's docstrings are numpy-style, where such a
# line is prose ("AMR-WB: the CMR field ...").  Only a bare type name counts.
from sphinx.ext.napoleon import docstring as _napoleon  # noqa: E402

_split_inline_attribute = _napoleon.GoogleDocstring._consume_inline_attribute


def _consume_inline_attribute(self):
    first = self._lines.get(0)
    head = first.partition(":")[0].strip() if isinstance(first, str) else ""
    if re.fullmatch(r"[A-Za-z_][\w.]*(\[[\w., |\[\]]*\])?", head):
        return _split_inline_attribute(self)
    return "", self.__class__(self._dedent(self._consume_to_end()), self._config).lines()


_napoleon.GoogleDocstring._consume_inline_attribute = _consume_inline_attribute

# Every reference to streamcodec's own names must resolve ("nitpicky"); names
# of other projects cannot be checked without their inventories (the build is
# offline), so those are let through by module.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|npt|abc|json|datetime|collections|typing_extensions|asyncio|concurrent|ssl|socket|os|"
               r"pathlib|logging|argparse|dataclasses|enum|types|pipecat|loguru|websockets|picows|"
               r"starlette|uvicorn|fastapi|cryptography|lameenc|soxr|cffi|_cffi_backend)"
               r"(\..*)?"),
    (r"py:.*", r"(ArrayLike|NDArray|PathLike|StrPath|Buffer|BufferLike|ReadableBuffer)"),
    # Private names (a public class's private base, shown by show-inheritance).
    (r"py:.*", r"(.*\.)?_.*"),
    # numpy-style type fields are prose ("numpy int16 array", "mapping",
    # "async callable"); a class of streamcodec's own is one CapWords name.
    (r"py:class", r".*\s.*"),
    (r"py:class", r"[a-z][a-z-]*"),
    (r"py:class", r"Hz|kHz|ms|RFC|Ed25519PublicKey"),
]

# --- HTML (furo) --------------------------------------------------------------
html_theme = "furo"
html_title = "streamcodec"
html_static_path = ["_static"]
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False


# --- One object, several names ------------------------------------------------
# A docstring may name an object by any path it is importable under
# (``streamcodec.telnyx.session.MediaStream.feed``, or ``parse`` inside
# ``streamcodec.telnyx.messages``); the reference documents it once, under the
# name users import (``streamcodec.telnyx.MediaStream.feed``).  A reference
# that finds nothing under its own path is resolved to the documented name of
# the same object; one that names no object at all still fails the build.

def _lookup(path: str) -> object:
    """The object at a dotted path (modules imported as needed), or a sentinel."""
    import importlib
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return _MISSING
        return obj
    return _MISSING


_MISSING = object()
_documented_by_id: dict[int, str] = {}


def _resolve_alias(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    if not _documented_by_id:
        for fullname, entry in domain.objects.items():
            if not entry.aliased:
                obj = _lookup(fullname)
                if obj is not _MISSING:
                    _documented_by_id.setdefault(id(obj), fullname)
    target = node["reftarget"].lstrip("~.")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates += [f"{module}.{target}"] + ([f"{module}.{cls}.{target}"] if cls else [])
        # inside a class documented under a package: the module it is defined in
        owner = _lookup(f"{module}.{cls}") if cls else _lookup(module)
        home = getattr(owner, "__module__", None) or getattr(owner, "__name__", None)
        if home:
            candidates.append(f"{home}.{target}")
            if cls:
                candidates.append(f"{home}.{owner.__qualname__}.{target}")
        # an inherited docstring: the modules of the class's bases
        for base in getattr(owner, "__mro__", ())[1:]:
            candidates.append(f"{base.__module__}.{target}")
    for candidate in candidates:
        obj = _lookup(candidate)
        if obj is _MISSING:
            continue
        fullname = None
        if not isinstance(obj, (int, float, str, bytes, tuple, bool, type(None))):
            fullname = _documented_by_id.get(id(obj))
        if fullname is None:
            # an attribute (a dataclass field's default, a constant) of a
            # documented class: by the class's documented name
            parent, _, attr = candidate.rpartition(".")
            owner = _documented_by_id.get(id(_lookup(parent))) if parent else None
            if owner and f"{owner}.{attr}" in domain.objects:
                fullname = f"{owner}.{attr}"
        if fullname:
            from sphinx.util.nodes import make_refnode
            entry = domain.objects[fullname]
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                                contnode, fullname)
    return None


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Members a class inherits from another project's classes (pipecat's
    serializer base, pydantic's models) are theirs to document."""
    if what not in ("class", "exception"):
        return None
    target = obj.fget if isinstance(obj, property) else obj
    if not inspect.isroutine(target):
        return None
    home = getattr(target, "__module__", None) or getattr(
        getattr(target, "__objclass__", None), "__module__", None)
    if isinstance(home, str) and home.split(".")[0] != "streamcodec":
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
    app.connect("env-updated", lambda app, env: _documented_by_id.clear())
    app.connect("missing-reference", _resolve_alias)


# The per-module API pages (api/<module>.md) are written from API_MODULES.
write_api_pages(os.path.join(os.path.dirname(os.path.abspath(__file__)), "api"))
