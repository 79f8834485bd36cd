"""Metadata a document states about itself, for files that come without any.

A policy dropped into a folder without `manifest.json` or a sidecar still speaks for its region:
its text names the region again and again, and usually its date near the top. Fields read this
way are listed in `DocMeta.inferred`, so that the library can show them as guesses and the
answerer can keep them from outvoting declared metadata.

Example:
    >>> text = "Riktlinjer 2013-02-01\\nI Norrbotten gäller … Norrbottens kommuner … Luleå …"
    >>> meta = infer_meta(text, DocMeta(title="riktlinjer", inferred=("title",)))
    >>> meta.regions, meta.date, meta.inferred
    (('Norrbotten',), '2013-02-01', ('title', 'regions', 'publisher', 'date'))
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

from core.text import lexicon
from ingest.load import DocMeta

MIN_MENTIONS = 3  # a region named fewer times is mentioned, not spoken for
SHARE_OF_TOP = 0.5  # a second region counts when named at least half as often as the first
HEAD_CHARS = 3000  # where a document states its title and date

_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_YEAR = re.compile(r"\b(19[89]\d|20\d\d)\b")


def region_mentions(text: str) -> Counter[str]:
    """How often each known region is named (by its name or a place in it)."""
    lowered = text.lower()
    counts: Counter[str] = Counter()
    for region, names in lexicon().get("regions", {}).items():
        found = sum(len(re.findall(rf"(?<!\w){re.escape(name)}(?!\w)", lowered)) for name in names)
        if found:
            counts[region] = found
    return counts


def infer_meta(text: str, meta: DocMeta) -> DocMeta:
    """`meta` with title, regions, publisher and date filled in from the text where empty."""
    inferred = list(meta.inferred)
    changes: dict[str, object] = {}
    head = text[:HEAD_CHARS]
    first_line = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if "title" in inferred and first_line and len(first_line) <= 150:
        changes["title"] = first_line
    if not meta.regions:
        counts = region_mentions(text)
        top = counts.most_common(1)[0][1] if counts else 0
        regions = tuple(r for r, n in counts.most_common()
                        if n >= MIN_MENTIONS and n >= SHARE_OF_TOP * top)
        if regions:
            changes["regions"] = regions
            inferred.append("regions")
            if not meta.publisher and len(regions) == 1:
                changes["publisher"] = f"Region {regions[0]}"
                inferred.append("publisher")
    if not meta.date:
        found = _ISO_DATE.search(head)
        year = _YEAR.search(head)
        if found or year:
            changes["date"] = found.group(0) if found else year.group(1)
            inferred.append("date")
    if not changes:
        return meta
    return dataclasses.replace(meta, **changes, inferred=tuple(dict.fromkeys(inferred)))
