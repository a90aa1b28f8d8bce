"""The peer libraries the comparisons run against, imported once; a peer
that is not installed is None and its rows say so."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop  # the standard library's up to 3.12, audioop-lts after
    except ImportError:
        audioop = None

try:
    import soxr
except ImportError:
    soxr = None
