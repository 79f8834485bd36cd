"""Prompts for generative answers: Swedish text files, versioned, documents as delimited data.

A prompt version is two files in `prompts/`: `<version>.system.txt` (the rules) and
`<version>.user.txt` (a template with `{question}`, `{context}` and `{documents}`). Passages go
inside `<dokument nr="N" …>` … `</dokument>`; a delimiter inside a passage is defused so a
document can never close its own frame and speak as an instruction. Every text that is not a
corpus passage (question, earlier question) is masked for identifiers first.

Example:
    >>> from assistant.query import understand
    >>> from core.values import Chunk
    >>> chunk = Chunk(id="a", doc="x.txt", text="Rollatorer förskrivs av vårdcentralen.")
    >>> messages = build_messages(understand("Vem förskriver en rollator?"),
    ...                           [Passage(chunk, rank=1)])
    >>> [role for role, _ in messages]
    ['system', 'human']
    >>> print(messages[1][1].split("\\n\\n")[1])
    Dokumentutdrag:
    <dokument nr="1" källa="">
    Rollatorer förskrivs av vårdcentralen.
    </dokument>
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from assistant.privacy import mask_identifiers
from assistant.query import Query
from core.values import Passage

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
PROMPT_VERSION = "answer_v1"
MAX_CLAIMS = 3

# The model names passages first, then writes claims; inside a claim the quote comes before the
# text so the text is written with its evidence already on the page.
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "passages": {"type": "array", "items": {"type": "integer"}},
        "claims": {
            "type": "array",
            "maxItems": MAX_CLAIMS,
            "items": {
                "type": "object",
                "properties": {
                    "passages": {"type": "array", "items": {"type": "integer"}},
                    "quote": {"type": "string"},
                    "text": {"type": "string"},
                },
                "required": ["passages", "quote", "text"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["passages", "claims"],
    "additionalProperties": False,
}


def capped_schema(quote_chars: int = 200, text_chars: int = 240) -> dict[str, Any]:
    """ANSWER_SCHEMA with length caps on quote and text, for grammar-constrained local models.

    The 1.5B local model tends to copy whole passages into both fields; the caps keep a claim
    to about one sentence, and generation (~20 tokens/s) short. Not for OpenAI's strict mode,
    which does not accept every string keyword.
    """
    schema = copy.deepcopy(ANSWER_SCHEMA)
    fields = schema["properties"]["claims"]["items"]["properties"]
    fields["quote"]["maxLength"] = quote_chars
    fields["text"]["maxLength"] = text_chars
    return schema


@dataclass(frozen=True)
class Prompt:
    version: str
    system: str
    user: str


@lru_cache(maxsize=8)
def load_prompt(version: str = PROMPT_VERSION) -> Prompt:
    """Read a prompt version from its files; a missing version names the ones there are."""
    system, user = (PROMPT_DIR / f"{version}.system.txt", PROMPT_DIR / f"{version}.user.txt")
    if not system.is_file() or not user.is_file():
        known = sorted({p.name.split(".")[0] for p in PROMPT_DIR.glob("*.txt")})
        raise ValueError(f"Okänd promptversion / unknown prompt version {version!r}; "
                         f"finns / available: {', '.join(known)}")
    return Prompt(version, system.read_text(encoding="utf-8").strip(),
                  user.read_text(encoding="utf-8"))


_DELIMITER = re.compile(r"<\s*/?\s*dokument\b[^>]*>", re.IGNORECASE)


def defuse(text: str) -> str:
    """A passage may not contain our delimiters: `<dokument …>` becomes `‹dokument …›`."""
    return _DELIMITER.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def trim(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a sentence end or at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind(": "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + " …"


def format_documents(passages: Sequence[Passage], passage_chars: int) -> str:
    blocks = []
    for n, p in enumerate(passages, 1):
        c = p.chunk
        # The section is enough for the model to tell passages apart; titles cost prompt tokens.
        source = defuse(c.section.split(" > ")[-1] or c.title).replace('"', "'")[:80]
        blocks.append(f'<dokument nr="{n}" källa="{source}">\n'
                      f"{defuse(trim(c.text, passage_chars))}\n</dokument>")
    return "\n".join(blocks)


def build_messages(query: Query, passages: Sequence[Passage], passage_chars: int = 600,
                   version: str = PROMPT_VERSION) -> list[tuple[str, str]]:
    """(role, text) messages for a LangChain chat model: system rules, then the data."""
    prompt = load_prompt(version)
    question = mask_identifiers(query.question).text
    context = ""
    if query.context:
        context = f"(Följdfråga till: {mask_identifiers(query.context).text})\n"
    user = prompt.user.format(question=question, context=context,
                              documents=format_documents(passages, passage_chars))
    return [("system", prompt.system), ("human", user)]
