"""The media-stream protocol core every carrier shares.

Events (start, media, dtmf, mark, stop, error), reordering, gap detection
and concealment, playback framing and pacing, marks and heard-so-far
accounting, clear and counters, written once; each carrier package
(:mod:`streamcodec.telnyx`, :mod:`streamcodec.twilio`, ...) is a thin
dialect over it.
"""
