"""A plain-Python model of ITU-T G.711 Appendix I packet-loss concealment,
written from the Recommendation's description (not from any reference code),
frame by frame as the Recommendation presents it: whole 10 ms frames in, the
output delayed by 3.75 ms.  The tests compare streamcodec's C with it.

``k`` scales every length for rate = k * 8000 Hz, as streamcodec does (see
csrc/g711_plc.h): lengths in samples times k, the coarse pitch search every
2k samples with a fine search of +-(2k-1), the minimum power per summed
sample as at 8 kHz.

Arithmetic follows the description's: doubles, overlap-add weights stepped
by repeated addition, truncation toward zero when a value becomes a sample.
"""

from __future__ import annotations

import math


def _clip(t: float) -> float:
    return 32767.0 if t > 32767.0 else (-32768.0 if t < -32768.0 else t)


class AppendixI:
    """One stream's concealment: ``good(frame)`` / ``lost()`` per 10 ms frame,
    each returning the (delayed) output frame as a list of ints."""

    def __init__(self, k: int = 1):
        self.k = k
        self.frame = 80 * k
        self.pmin, self.pmax = 40 * k, 120 * k
        self.delay = self.pmax // 4
        self.hlen = 3 * self.pmax + self.delay
        self.corr_len = 160 * k
        self.ndec = 2 * k
        self.end_step = 32 * k
        self.history = [0] * self.hlen
        self.erased = 0          # consecutive lost frames so far
        self.pitch = self.overlap = self.offset = self.blen = 0
        self.pbuf: list[float] = []
        self.lastq: list[float] = []
        #: the pitch found at the start of the last loss (for the tests)
        self.last_pitch: int | None = None

    # -- pieces of the algorithm --------------------------------------------
    def find_pitch(self, buf: list[float]) -> int:
        """Lag (pmin..pmax) whose stretch best matches the last 20 ms."""
        n, end = self.corr_len, len(buf)
        target = buf[end - n:]
        base = end - n - self.pmax      # start of the stretch at the longest lag

        def normalised(lag_index: int, step: int, floor: float) -> float:
            seg = buf[base + lag_index: base + lag_index + n + 1]
            energy = 0.0
            corr = 0.0
            for i in range(0, n, step):
                energy += seg[i] * seg[i]
                corr += seg[i] * target[i]
            return corr / math.sqrt(max(energy, floor))

        span = self.pmax - self.pmin
        best, best_at = None, 0
        for j in range(0, span + 1, self.ndec):          # coarse
            c = normalised(j, self.ndec, 250.0)
            if best is None or c >= best:
                best, best_at = c, j
        lo, hi = max(0, best_at - (self.ndec - 1)), min(span, best_at + self.ndec - 1)
        best, at = None, lo
        for j in range(lo, hi + 1):                      # fine
            c = normalised(j, 1, 250.0 * self.k)
            if best is None or c > best:
                best, at = c, j
        return self.pmax - at

    @staticmethod
    def crossfade(left: list[float], right: list[float]) -> list[float]:
        """Triangular overlap-add: left fades out, right fades in."""
        n = len(left)
        step = 1.0 / n
        wl, wr = 1.0 - step, step
        out = []
        for a, b in zip(left, right):
            out.append(_clip(wl * a + wr * b))
            wl -= step
            wr += step
        return out

    def periods(self, count: int) -> list[int]:
        """The next `count` samples of the repeated pitch periods."""
        start = self.hlen - self.blen
        out = []
        for _ in range(count):
            out.append(int(self.pbuf[start + self.offset]))
            self.offset = (self.offset + 1) % self.blen
        return out

    def widen(self) -> None:
        """Repeat one period further back; smooth the seam with the saved
        last quarter period."""
        q = self.overlap
        lo = self.hlen - self.blen - q
        self.pbuf[self.hlen - q:] = self.crossfade(self.lastq, self.pbuf[lo:lo + q])

    def delay_line(self, frame: list[int]) -> list[int]:
        self.history = self.history[len(frame):] + list(frame)
        start = self.hlen - len(frame) - self.delay
        return self.history[start:start + len(frame)]

    def level(self) -> float:
        return 1.0 - (self.erased - 1) * 0.2

    # -- the two calls ------------------------------------------------------
    def lost(self) -> list[int]:
        q_max = self.frame
        if self.erased == 0:
            self.pbuf = [float(v) for v in self.history]
            self.pitch = self.find_pitch(self.pbuf)
            self.last_pitch = self.pitch
            self.overlap = q = self.pitch // 4
            self.lastq = self.pbuf[self.hlen - q:]
            self.offset = 0
            self.blen = self.pitch
            self.widen()
            self.history[self.hlen - q:] = [int(v) for v in self.pbuf[self.hlen - q:]]
            out = self.periods(q_max)
        elif self.erased <= 5:
            if self.erased <= 2:
                keep = self.offset
                tail = [float(v) for v in self.periods(self.overlap)]
                self.offset = keep
                while self.offset > self.pitch:
                    self.offset -= self.pitch
                self.blen += self.pitch
                self.widen()
                out = self.periods(q_max)
                head = self.crossfade(tail, [float(v) for v in out[:self.overlap]])
                out[:self.overlap] = [int(v) for v in head]
            else:
                out = self.periods(q_max)
            g = self.level()
            for i in range(q_max):
                out[i] = int(out[i] * g)
                g -= 0.2 / self.frame
        else:
            out = [0] * q_max
        self.erased += 1
        return self.delay_line(out)

    def good(self, frame: list[int]) -> list[int]:
        frame = list(frame)
        if self.erased:
            n = min(self.overlap + (self.erased - 1) * self.end_step, self.frame)
            synth = self.periods(n)
            gain = max(self.level(), 0.0)
            step = 1.0 / n
            wl, wr = (1.0 - step) * gain, step
            for i in range(n):
                frame[i] = int(_clip(wl * synth[i] + wr * frame[i]))
                wl -= step * gain
                wr += step
            self.erased = 0
        return self.delay_line(frame)


def conceal_stream(signal: list[int], lost: list[bool], k: int = 1) -> list[int]:
    """Run whole 10 ms frames of `signal` through the model; frames where
    `lost` is true are concealed.  Output is delayed by 3.75 ms."""
    m = AppendixI(k)
    out: list[int] = []
    for f, is_lost in enumerate(lost):
        frame = signal[f * m.frame:(f + 1) * m.frame]
        out += m.lost() if is_lost else m.good(frame)
    return out
