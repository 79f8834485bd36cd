"""Make a ×N corpus by varying the real documents: other region names, shifted dates (in the
text and in the manifest), shuffled sections.

The variants are distractors "from other regions": every variant names an invented region
(never one of the 21 real regions, so a question about a real region still scopes to that
region's real documents, and an unanswerable "what does Region Halland say" stays
unanswerable). The original documents are copied unchanged, so the dev questions' gold
documents are still there to be found; a question without a region now has to beat
near-duplicates of its passage, which is what makes retrieval at scale hard. Deterministic:
variant k of a document is the same in every run, so embeddings cached for ×5 serve ×10.

Example:
    >>> vary_text("Region Norrbotten beslutade 2013.", {"Norrbotten": "Ekmarken"}, 2, seed=1)
    'Region Ekmarken beslutade 2011.'
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

_PREFIXES = ("Ek", "Björk", "Gran", "Sjö", "Ås", "Dal", "Myr", "Lind", "Hav", "Fjäll", "Mo",
             "Al", "Sand", "Rön", "Ler", "Tall", "Vide")
_SUFFIXES = ("marken", "bygden", "vidden", "slätten", "landet", "skogen", "kusten", "dalen",
             "åsen")
_QUALIFIERS = ("", "Norra ", "Södra ", "Västra ", "Östra ")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_PARAGRAPHS_PER_SECTION = 6


def invented_regions() -> list[str]:
    """765 region names that are not Swedish regions (e.g. "Norra Ekmarken")."""
    return [f"{q}{p}{s}" for q in _QUALIFIERS for p in _PREFIXES for s in _SUFFIXES]


def vary_text(text: str, renames: dict[str, str], year_shift: int, seed: int,
              shuffle: bool = False) -> str:
    """Rename regions (longest name first, so "Västra Götaland" goes before "Götaland"),
    shift four-digit years back by `year_shift`, and optionally shuffle the sections after the
    first (groups of paragraphs) with a seeded generator."""
    for old in sorted(renames, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(old)}", renames[old], text)
    text = _YEAR.sub(lambda m: str(int(m.group(1)) - year_shift), text)
    if shuffle:
        paragraphs = re.split(r"\n\s*\n", text)
        sections = [paragraphs[i:i + _PARAGRAPHS_PER_SECTION]
                    for i in range(0, len(paragraphs), _PARAGRAPHS_PER_SECTION)]
        head, rest = sections[:1], sections[1:]
        random.Random(seed).shuffle(rest)
        text = "\n\n".join(p for section in head + rest for p in section)
    return text


def make_scaled_corpus(source: Path, target: Path, factor: int) -> dict[str, Any]:
    """Copy `source` (with manifest.json) into `target` plus factor-1 variants of every
    document; returns {"documents", "variants", "factor"}. factor=1 is a plain copy."""
    if factor < 1:
        raise ValueError("factor must be at least 1")
    target.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    entries = list(manifest.get("documents", []))
    names = invented_regions()
    needed = (factor - 1) * max((len(e.get("regions") or []) for e in entries), default=1)
    if needed > len(names):
        raise ValueError(f"factor {factor} needs {needed} invented region names; "
                         f"only {len(names)} exist")
    out_entries = []
    for entry in entries:
        src = source / entry["file"]
        if not src.is_file():
            continue
        shutil.copy2(src, target / entry["file"])
        out_entries.append(entry)
    variants = 0
    for k in range(1, factor):
        for d, entry in enumerate(list(out_entries[:len(entries)])):
            regions = list(entry.get("regions") or [])
            # Distinct names per (variant, document region), stable across factors.
            renames = {r: names[((k - 1) * 7 + i) % len(names)] for i, r in enumerate(regions)}
            text = (source / entry["file"]).read_text(encoding="utf-8")
            varied = vary_text(text, renames, year_shift=k % 9 + 1, seed=k * 101 + d,
                               shuffle=True)
            stem, dot, suffix = entry["file"].rpartition(".")
            name = f"{stem}--v{k:03d}.{suffix}" if dot else f"{entry['file']}--v{k:03d}"
            (target / name).write_text(varied, encoding="utf-8")
            out_entries.append({**entry, "file": name,
                                "title": vary_text(entry.get("title") or name, renames,
                                                   k % 9 + 1, 0),
                                "publisher": vary_text(entry.get("publisher") or "", renames,
                                                       k % 9 + 1, 0),
                                # Its years were shifted, so it is an older edition.
                                "date": vary_text(entry["date"], {}, k % 9 + 1, 0)
                                if entry.get("date") else entry.get("date"),
                                "regions": [renames[r] for r in regions]})
            variants += 1
    (target / "manifest.json").write_text(
        json.dumps({**manifest, "documents": out_entries}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    return {"factor": factor, "documents": len(out_entries), "variants": variants}
