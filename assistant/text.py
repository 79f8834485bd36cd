"""Swedish text analysis for sparse retrieval and answer selection.

Lower-cases, drops stop words, stems with Snowball (Swedish) and splits compounds against the
corpus vocabulary, so that "utomhusrollator" meets "rollator för utomhusanvändning".

Example:
    >>> an = Analyzer(vocabulary={"rollator", "utomhus", "användning"})
    >>> sorted(an.terms("utomhusrollator"))
    ['rollat', 'utomhu', 'utomhusrollat']
    >>> sorted(set(an.terms("utomhusrollator")) & set(an.terms("rollator för utomhusanvändning")))
    ['rollat', 'utomhu']
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import snowballstemmer
import yaml

from core.text import ISO_CODE_PATTERN, lexicon

WORD = re.compile(r"[0-9a-zåäöéüæø]+(?:-[0-9a-zåäöéüæø]+)*")
# An ISO code in a question; "3000 kr" or "1200 kronor" is an amount, not class 30 or 12.
ISO_CODE = re.compile(rf"\b{ISO_CODE_PATTERN}\b(?!\s?(?:kr\b|kronor|sek\b|%|:-))")

STOPWORDS = frozenset("""
alla allt andra annan annat att av bara bli blir bör da dag de dem den denna deras dess dessa
det detta dig din ditt du där då efter ej eller en ens er ert ett finns fler för från får fått
ha hade han har hela henne hennes hon honom hur här i icke in inom inte jag ju kan kunde man
med mej men mer mig min mina mitt mot måste na nej ni nu när någon något några och om oss på
sa samma sedan sig sin sina sitt sjelf själv ska skall skulle som så sådan till under upp ut
utan va vad var vara vart vem vi vid vilka vilken vilket vill vår våra vårt än är även åt över
våras höstas somras vintras
ja also and are can could does for from has have how i if in is it may my of on or our she
should that the their them they this to was we what when where which who whom why will with
would you your about any be been do did get got me he his her its an as at by not no yes
enligt gäller gälla fall sätt behöver behöva eftersom därför dock också ofta tillväga resp
skillnad skillnaden skillnader difference differ
någonstans ingenstans överallt någonsin ibland fortfarande redan hittills numera ännu faktiskt
egentligen verkligen somewhere anywhere everywhere nowhere already still ever actually
""".split())

# Verb particles that make a noun with their verb ("följa upp" → uppföljning).
PARTICLES = frozenset("upp ut in av på över åter om fram bort".split())

# Words too common in this corpus to show that a passage answers the question.
GENERIC = frozenset("""
hjälpmedel hjälpmedl förskriv förskrivning förskrivningen förskrivare region regionen regioner
kommun kommunen kommuner landsting landstinget dokument dokumenten
""".split())


GLOSSARY_PATH = Path(__file__).with_name("data") / "glossary.yaml"


@lru_cache(maxsize=1)
def _glossary() -> dict:
    if not GLOSSARY_PATH.exists():
        return {}
    with GLOSSARY_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@lru_cache(maxsize=1)
def glossary_names() -> dict[str, str]:
    """English and everyday Swedish names → the corpus's own word for the thing
    (`data/glossary.yaml`, made from the corpus's product rows, fee items and key terms;
    the lexicon's synonyms too)."""
    names: dict[str, str] = {}
    data = _glossary()
    for entry in [*data.get("products", []), *data.get("terms", [])]:
        corpus = str(entry.get("corpus", "")).lower()
        for name in [*entry.get("en", []), *entry.get("sv", [])]:
            names.setdefault(str(name).lower(), corpus)
    for key, value in lexicon().get("synonyms", {}).items():
        names.setdefault(str(key).lower(), value if isinstance(value, str) else value[0])
    return names


@lru_cache(maxsize=1)
def glossary_iso() -> dict[str, tuple[str, ...]]:
    """The corpus's name of a listed product → its ISO codes (glossary.yaml `products`)."""
    return {str(e.get("corpus", "")).lower(): tuple(str(c) for c in e.get("iso") or ())
            for e in _glossary().get("products", [])}


@lru_cache(maxsize=1)
def glossary_words() -> frozenset[str]:
    return frozenset(w for name in glossary_names() for w in words(name))


@lru_cache(maxsize=1)
def _product_names_all() -> tuple[str, ...]:
    """Every name of every product entry (its corpus name and its other names), lower-cased."""
    return tuple(str(name).lower() for entry in _glossary().get("products", [])
                 for name in [entry.get("corpus", ""), *entry.get("en", []),
                              *entry.get("sv", [])])


@lru_cache(maxsize=1)
def product_words() -> frozenset[str]:
    """Words that name a thing the documents price or file (glossary.yaml `products`, made
    from the ISO rows and the fee items, with their other names): "apnéskena", "cpap"."""
    return frozenset(w for name in _product_names_all() for w in words(name)
                     if len(w) >= 4 and w not in STOPWORDS and w not in GENERIC)


@lru_cache(maxsize=1)
def product_names() -> frozenset[str]:
    """The one-word names of things the documents price or file ("duschstol", "apnéskena"):
    a word of a longer name ("flyttbara", "vårdcentral") names no thing by itself."""
    return frozenset(name for name in _product_names_all() if len(name.split()) == 1)


def english_fold(tokens: Iterable[str]) -> str:
    """A name with British and American spelling and the plural folded together
    ("orthopaedic devices" = "orthopedic device"), so one glossary entry serves all."""
    out = []
    same = english_synonyms()
    for token in tokens:
        # British "ae"/"oe" ("apnoea", "paediatric"), not the "oe" of "shoes" or "toe"
        token = re.sub(r"oe(?!s?$)", "e", token.replace("ae", "e"))
        token = re.sub(r"our$", "or", token)
        token = re.sub(r"(?<=\w\w\w)s$", "", token)
        out.append(same.get(token, token))
    return " ".join(out)


@lru_cache(maxsize=1)
def english_synonyms() -> dict[str, str]:
    """English words that name one thing (glossary.yaml `en_same`: "lift" = "hoist"), each
    folded to the first of its group."""
    return {w: group[0] for group in _glossary().get("en_same", []) for w in group[1:]}


@lru_cache(maxsize=1)
def folded_glossary() -> dict[str, str]:
    return {english_fold(name.split()): corpus for name, corpus in glossary_names().items()}


@lru_cache(maxsize=1)
def name_endings() -> dict[str, str]:
    """A glossary name's last two or more words, folded, for a name said without its first
    words ("apnea splint" for "sleep apnea splint"); an ending two things share is left out."""
    found: dict[str, set[str]] = {}
    for name, corpus in folded_glossary().items():
        tokens = name.split()
        for i in range(1, len(tokens) - 1):
            if tokens[i] not in STOPWORDS:  # "for pain" names nothing
                found.setdefault(" ".join(tokens[i:]), set()).add(corpus)
    return {ending: next(iter(c)) for ending, c in found.items()
            if len(c) == 1 and ending not in folded_glossary()}


def glossary_expansion(tokens: list[str], max_words: int = 4,
                       skip: Callable[[str], bool] | None = None) -> list[str]:
    """The corpus words for every glossary name among the tokens (n-grams up to 4 words);
    `skip` leaves out n-grams all of whose words it accepts."""
    return [corpus for _, corpus in glossary_matches(tokens, max_words, skip)]


def glossary_matches(tokens: list[str], max_words: int = 4,
                     skip: Callable[[str], bool] | None = None) -> list[tuple[int, str]]:
    """Each glossary name among the tokens as (index of its last token, corpus word)."""
    names = glossary_names()
    out: list[tuple[int, str]] = []
    for size in range(1, max_words + 1):
        for i in range(len(tokens) - size + 1):
            gram = tokens[i:i + size]
            if skip is not None and all(skip(w) for w in gram):
                continue
            folded = english_fold(gram)
            corpus = (names.get(" ".join(gram)) or folded_glossary().get(folded)
                      or (name_endings().get(folded) if size >= 2 else None))
            if corpus:
                out.append((i + size - 1, corpus))
    return out


_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    # A Snowball stemmer keeps state while it stems: shared between threads (Streamlit sessions)
    # it returned other words' stems, so each thread gets its own.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("swedish")
    return stemmer


def words(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated words also yield their parts ('hälso-' → 'hälso')."""
    out: list[str] = []
    for token in WORD.findall(text.lower()):
        if "-" in token:
            parts = [p for p in token.split("-") if p]
            out.append(token.replace("-", ""))
            out.extend(parts)
        else:
            out.append(token)
    return out


def stem(word: str) -> str:
    return word if word.isdigit() else _stemmer().stemWord(word)


class Analyzer:
    """Turns text into index terms: stems plus compound parts known to the corpus vocabulary."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self.vocabulary = {w for w in vocabulary if len(w) >= 4}
        self.stems = {stem(w) for w in self.vocabulary}
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Analyzer:
        vocab: set[str] = set()
        for text in texts:
            vocab.update(w for w in words(text) if not w.isdigit())
        return cls(vocab)

    def word_terms(self, word: str) -> tuple[str, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        terms = [stem(word)]
        if terms[0] != word and terms[0] in self.vocabulary:
            # A word whose stem is itself a word of the corpus is an inflection of that word
            # and gets its stem: Snowball stems "rollatorer" to rollator but "rollator" to
            # rollat, so plural and singular would never meet.
            terms[0] = stem(terms[0])
        if len(word) >= 8 and not word.isdigit():
            terms.extend(self._compound_parts(word))
        result = tuple(dict.fromkeys(terms))
        self._cache[word] = result
        return result

    def _compound_parts(self, word: str) -> list[str]:
        # Longest known head + tail split; Swedish links parts with an optional "s".
        for i in range(4, len(word) - 3):
            head, tail = word[:i], word[i:]
            if tail in self.vocabulary or stem(tail) in self.stems:
                head = head[:-1] if head.endswith("s") and len(head) > 4 else head
                return [stem(head), stem(tail)]
        return []

    def terms(self, text: str, keep_stopwords: bool = False) -> list[str]:
        out: list[str] = []
        tokens = words(text)
        for i, word in enumerate(tokens):
            if not keep_stopwords and word in STOPWORDS:
                continue
            out.extend(self.word_terms(word))
            out.extend(self._particle_noun(word, tokens[i + 1:i + 3]))
        return out

    def particle_nouns(self, text: str) -> list[str]:
        """The nouns of the text's particle verbs the corpus uses ("följa upp" → uppföljning)."""
        tokens = words(text)
        return [t for i, w in enumerate(tokens)
                for t in self._particle_noun(w, tokens[i + 1:i + 3])]

    def _particle_noun(self, verb: str, after: list[str]) -> list[str]:
        # A particle verb and its noun are one term: "följa upp" is an uppföljning, "prova
        # ut" an utprovning, "lämna in" an inlämning, when the corpus uses that noun.
        if len(verb) < 3 or verb in PARTICLES:
            return []
        base = stem(verb)
        for particle in after:
            if particle in PARTICLES:
                for ending in ("ning", "ing"):
                    noun = f"{particle}{base}{ending}"
                    if noun in self.vocabulary:
                        return [stem(noun)]
        return []


def find_phrase(lowered: str, phrase: str) -> re.Match[str] | None:
    """Where `phrase` stands as whole words in already lower-cased text ('lift' not in 'shift')."""
    return _whole_words(phrase).search(lowered)


@lru_cache(maxsize=4096)
def _whole_words(phrase: str) -> re.Pattern[str]:
    # Compiled once per phrase: the many phrases of the lexicon would otherwise push each other
    # out of `re`'s small cache and be compiled again for every question.
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


def spell_out(text: str) -> str:
    """The question with chat shorthand written out ("pat" → "patient", "vc" → "vårdcentralen",
    "kan ja" → "kan jag"), from the lexicon; the user's casing elsewhere is kept."""
    table = lexicon()
    words_ = table.get("shorthand", {})
    after = table.get("shorthand_after", {})
    if not words_ and not after:
        return text
    pattern = "|".join(sorted(map(re.escape, words_), key=len, reverse=True))
    text = re.sub(rf"(?<![\w:-])({pattern})(?![\w:-])", lambda m: words_[m.group(1).lower()],
                  text, flags=re.IGNORECASE) if pattern else text
    for word, rule in after.items():
        before = "|".join(map(re.escape, rule["after"]))
        text = re.sub(rf"(?<![\w-])({before}) {re.escape(word)}(?![\w-])",
                      lambda m, means=rule["means"]: f"{m.group(1)} {means}", text,
                      flags=re.IGNORECASE)
    return text


def expand_query(text: str) -> str:
    """Append the corpus words for synonyms and English terms found in the question (the
    lexicon's synonyms and the glossary's names)."""
    lowered = f" {text.lower()} "
    extra: list[str] = []
    for key, value in lexicon().get("synonyms", {}).items():
        if find_phrase(lowered, key):
            extra.extend(value if isinstance(value, list) else [value])
    if is_english(text):
        # English names of products and terms; Swedish text already uses the corpus's words.
        extra.extend(glossary_expansion(WORD.findall(text.lower())))
    return text if not extra else f"{text} {' '.join(dict.fromkeys(extra))}"


def is_english(text: str) -> bool:
    tokens = WORD.findall(text.lower())
    english = {"the", "is", "a", "for", "who", "what", "which", "of", "in", "to", "does",
               "can", "may", "my", "i", "how", "was", "were", "are", "before", "after"}
    swedish = {"och", "är", "för", "vem", "vad", "som", "att", "en", "ett", "jag", "får",
               "kan", "hur", "i", "om", "till", "med"}
    return sum(t in english for t in tokens) > sum(t in swedish for t in tokens)
