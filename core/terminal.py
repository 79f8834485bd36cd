"""Text from files and file names made safe to print on a terminal.

A file name may hold a newline, a carriage return, ANSI escape codes or a right-to-left
override; printed as is, it could forge lines of CLI output ("Hoppade över …", "4 frågor
besvarade") or recolour and move the cursor. Every such character is shown as its escape
instead, so the name stays recognisable and takes exactly one line.

Example:
    >>> printable("rapport\\n4 frågor besvarade\\x1b[2J.pdf")
    'rapport\\\\n4 frågor besvarade\\\\x1b[2J.pdf'
    >>> printable("Riktlinje för förskrivning.pdf")
    'Riktlinje för förskrivning.pdf'
"""

from __future__ import annotations

import unicodedata

# Control and format characters (incl. bidi overrides and zero-width ones), surrogates,
# private use, line and paragraph separators, unassigned code points.
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _escape(ch: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def printable(text: object) -> str:
    """`text` as one terminal-safe line: unsafe characters as escapes, the rest unchanged."""
    value = str(text)
    if value.isprintable():  # the common case, and fast
        return value
    return "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE else ch for ch in value)
