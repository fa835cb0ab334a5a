"""`python -m bench.eml`: parse time and peak memory of hostile .eml files against an ordinary
one of about the same size, in the same run (issue 13, point 4). It reports; it does not assert.

Each hostile file is at or near the upload limit (lib.models.MAX_EML_*). Target: refused or
read in well under a second, with peak memory a small multiple of the file's size.
"""

from __future__ import annotations

import base64
import time
import tracemalloc
from collections.abc import Callable

from lib import eml
from lib.models import MAX_EML_BYTES
from lib.rules import RuleViolation

HEAD = b"From: a@b.test\r\nSubject: Hi\r\nMessage-ID: <b@b.test>\r\n"
REPEAT = 3


def _multipart(parts: list[bytes]) -> bytes:
    body = b"".join(b"--b\r\n" + part + b"\r\n" for part in parts)
    return HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + body + b"--b--\r\n"


def _nested(depth: int) -> bytes:
    raw = HEAD
    for level in range(depth):
        raw += b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (level, level)
    return raw + b"\r\nhi\r\n"


def ordinary() -> bytes:
    """A 4 MB mail: a text part and 60 base64 attachments."""
    attachment = (b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                  b"Content-Disposition: attachment; filename=\"f.pdf\"\r\n\r\n"
                  + b"\r\n".join([base64.b64encode(b"%" * 57)] * 850))
    return _multipart([b"Content-Type: text/plain\r\n\r\nhello"] + [attachment] * 60)


HOSTILE: dict[str, Callable[[], bytes]] = {
    "header of 4 MB": lambda: HEAD + b"X: " + b"a" * 4_000_000 + b"\r\n\r\nhi",
    "200,000 header fields": lambda: HEAD + b"X: y\r\n" * 200_000 + b"\r\nhi",
    "long folded field": lambda: HEAD + b"X: y\r\n" + b" y\r\n" * 90_000 + b"\r\nhi",
    "5,000 parts": lambda: _multipart([b"\r\nx"] * 5_000),
    "nesting 1,000 deep": lambda: _nested(1_000),
    "2.4 M empty lines": lambda: HEAD + b"\r\n" + b"\r\n" * 2_400_000,
    "base64 body of 3.6 MB decoded": lambda: (
        HEAD + b"Content-Transfer-Encoding: base64\r\n\r\n" + b"QUFB" * 1_200_000),
    "malformed HTML of 990 kB": lambda: (
        HEAD + b"Content-Type: text/html\r\n\r\n" + b"<a" * 495_000),
    "comments nested 7,000 deep": lambda: b"From: " + b"(" * 7_000 + b"a@b\r\n\r\nx",
}


def _parse(raw: bytes) -> str:
    try:
        eml.parse_eml(raw)
    except RuleViolation as refusal:
        return f"refused: {refusal}"
    return "read"


def measure(raw: bytes) -> tuple[float, int, str]:
    """Median seconds (untraced runs), peak traced bytes (one more run), and the outcome."""
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        outcome = _parse(raw)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    _parse(raw)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return sorted(times)[len(times) // 2], peak, outcome


def main() -> None:
    normal = ordinary()
    assert len(normal) <= MAX_EML_BYTES
    base_time, base_peak, _ = measure(normal)
    print(f"{'case':32} {'size':>8} {'time':>9} {'vs ordinary':>11} {'peak MB':>8}  outcome")
    print(f"{'ordinary 4 MB mail':32} {len(normal) / 1e6:7.2f}M {base_time * 1e3:7.1f}ms"
          f" {'1.00x':>11} {base_peak / 1e6:8.1f}  read")
    for name, build in HOSTILE.items():
        raw = build()
        seconds, peak, outcome = measure(raw)
        print(f"{name:32} {len(raw) / 1e6:7.2f}M {seconds * 1e3:7.1f}ms"
              f" {seconds / base_time:10.2f}x {peak / 1e6:8.1f}  {outcome[:70]}")


if __name__ == "__main__":
    main()
