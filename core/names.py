"""File names that fit the file system: a name is at most NAME_MAX *bytes*, not characters.

ext4, XFS, Btrfs, tmpfs and APFS allow 255 bytes per name. In UTF-8 "å", "ä" and "ö" take two
bytes and an emoji four, so 120 Swedish letters already come near the limit, and a name made
from another ("<fil>.meta.json", ".<ut>.<pid>.tmp", "<ut>.partial") can pass it although the
first name was fine: the OS then refuses with ENAMETOOLONG ("File name too long").

Names the program derives are shortened with `fit_name` (the suffix kept, a short hash of the
whole name added, so that two long names that begin alike stay apart); names a user chose are
reported with `too_long_message`, which says what to do.

Example:
    >>> fit_name("rapport.jsonl")
    'rapport.jsonl'
    >>> name = fit_name("ö" * 200 + ".jsonl.partial")
    >>> len(name.encode()), name[-24:]
    (255, 'ö~cdfb4175.jsonl.partial')
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import unicodedata
from pathlib import Path

NAME_MAX = 255  # bytes in one path component, where the file system does not say otherwise
# The suffixes kept when a name is shortened: at most two short alphanumeric ones (".pdf",
# ".jsonl.partial"), so that "Riktlinje v. 2.3 för x.pdf" keeps ".pdf" only.
_SUFFIXES = re.compile(r"(?:\.[A-Za-z0-9]{1,10}){1,2}$")
HASH_CHARS = 8


def name_bytes(name: str) -> int:
    """How many bytes `name` takes on disk (the OS encoding; a lone surrogate from an
    undecodable name counts as the one byte it stands for)."""
    return len(os.fsencode(name))


def name_max(folder: Path | str) -> int:
    """The longest name (bytes) the file system at `folder` allows; NAME_MAX when it does not
    say or the folder does not exist yet."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # AttributeError: no pathconf (Windows)
        return NAME_MAX


def fits(name: str, limit: int = NAME_MAX) -> bool:
    return name_bytes(name) <= limit


def _continues(ch: str) -> bool:
    """Whether `ch` belongs to the character before it: a combining mark, a variation
    selector, a zero-width joiner or an emoji modifier."""
    return (unicodedata.category(ch) in ("Mn", "Me") or ch in "\u200d\ufe0e\ufe0f"
            or "\U0001f3fb" <= ch <= "\U0001f3ff")


def _cut(text: str, room: int, chars: int | None = None) -> str:
    """The longest start of `text` that takes at most `room` bytes (and `chars` characters)
    and ends between two characters as a reader sees them: an "o" + combining diaeresis or an
    emoji sequence is kept whole or left out, never split into an "o" or half a family."""
    end = used = 0
    limit = len(text) if chars is None else min(len(text), max(chars, 0))
    while end < limit and used + name_bytes(text[end]) <= room:
        used += name_bytes(text[end])
        end += 1
    while 0 < end < len(text) and (_continues(text[end]) or text[end - 1] == "\u200d"):
        end -= 1
    return text[:end].rstrip(" .")


def fit_name(name: str, limit: int = NAME_MAX, max_chars: int | None = None) -> str:
    """`name` itself when it fits in `limit` bytes (and `max_chars` characters); otherwise its
    beginning, "~", eight hex digits of the whole name's SHA-256 and its suffix (".pdf",
    ".jsonl.partial"), in as many bytes as fit. Deterministic: the same long name always gives
    the same short one, and two long names that begin alike get different ones.
    """
    if fits(name, limit) and (max_chars is None or len(name) <= max_chars):
        return name
    match = _SUFFIXES.search(name)
    stem, suffix = (name[:match.start()], match.group()) if match and match.start() else (
        name, "")
    tag = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:HASH_CHARS]
    room = limit - name_bytes(tag + suffix)
    if room < 1:  # a suffix that alone is too long is not worth keeping
        suffix, room = "", limit - name_bytes(tag)
    chars = None if max_chars is None else max_chars - len(tag + suffix)
    return _cut(stem, room, chars) + tag + suffix


def too_long_component(path: Path | str, limit: int = NAME_MAX) -> str | None:
    """The first part of `path` (a folder's or the file's name) over `limit` bytes, or None."""
    return next((part for part in Path(path).parts if not fits(part, limit)), None)


def too_long_message(path: Path | str, what: str = "namnet", show: bool = True) -> str:
    """What to say when the OS refuses a name as too long (Swedish, says what to do).

    `what` names the thing ("utfilens namn"); with `show` the name follows, shortened, because
    printing 300 bytes of it helps nobody (a message that starts with the file's name already,
    as a skipped file's does, passes show=False).
    """
    from core.terminal import printable

    part = too_long_component(path) or Path(path).name
    shown = printable(part if len(part) <= 60 else part[:40] + "…" + part[-12:])
    return (f"{what}{' ' + shown if show else ''} är {name_bytes(part)} byte långt, men "
            f"filsystemet tillåter högst {NAME_MAX} byte per namn (å, ä och ö tar 2 byte, en "
            "emoji 4); byt till ett kortare namn och försök igen.")


def is_too_long(exc: BaseException) -> bool:
    """Whether `exc` is the OS refusing a name as too long."""
    return isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG
