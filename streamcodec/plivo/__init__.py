"""The Plivo audio streams dialect.

JSON text, base64 mu-law 8 kHz or L16 8/16 kHz; playAudio, checkpoint, clearAudio.
"""
