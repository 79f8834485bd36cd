"""The Streamlit chat, driven through `streamlit.testing.v1.AppTest` against the real Assistant.

The index is built once per module in a temporary folder (HJALP_INDEX_DIR), so the tests never
touch data/index and need no mocks: what a prescriber would see is what is asserted.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.values import Answer, Citation, RuleCheck

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TIMEOUT = 120  # the first run loads the model and builds the index

QUESTION = "Vem förskriver en rollator för utomhusbruk i Norrbotten?"
FOLLOW_UP = "Och om hon i stället behöver en rollator för inomhusbruk?"


def _import_app():
    # By path, so the tests do not depend on the project root being on sys.path.
    spec = importlib.util.spec_from_file_location("app", APP)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module  # AppTest.from_function scripts below `import app`
    spec.loader.exec_module(module)
    return module


app = _import_app()


@pytest.fixture(scope="module")
def index_env(tmp_path_factory):
    """A fresh index folder for this module; the Assistant builds the index there once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HJALP_INDEX_DIR", str(tmp_path_factory.mktemp("index")))
        yield


@pytest.fixture
def at(index_env) -> AppTest:
    """A new browser session (empty chat) on the shared, cached Assistant."""
    test = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    test.run()
    assert not test.exception, test.exception
    assert not test.error, [e.value for e in test.error]
    return test


def _ask(test: AppTest, question: str) -> AppTest:
    test.chat_input[0].set_value(question).run()
    assert not test.exception, test.exception
    return test


def _markdown_values(block) -> list[str]:
    return [m.value for m in block.markdown]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


# --------------------------------------------------------------------------- the running app

@pytest.mark.slow
def test_start_page_shows_title_regions_and_index_status(at):
    assert at.title[0].value == "Hjälpmedelsassistenten"
    region = at.selectbox(key="region")
    assert region.label == "Region"
    assert region.options[0] == "Alla"
    assert "Norrbotten" in region.options
    status = " ".join(_markdown_values(at.sidebar))
    match = re.search(r"Dokument: \*\*(\d+)\*\*", status)
    assert match and int(match.group(1)) >= 1, status
    assert re.search(r"Textavsnitt: \*\*(\d+)\*\*", status), status
    assert at.chat_input[0].placeholder == app.PLACEHOLDER
    assert len(at.chat_message) == 0


@pytest.mark.slow
def test_question_gets_answer_with_numbered_sources_and_badge(at):
    at.selectbox(key="region").set_value("Norrbotten").run()
    _ask(at, QUESTION)

    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    reply = at.chat_message[1]
    answer = at.session_state["messages"][-1]["answer"]
    assert not answer.refused, answer.text
    assert answer.region == "Norrbotten"

    expanders = reply.expander
    assert len(expanders) >= 1
    assert len(expanders) == len(answer.citations)
    cited = sorted(answer.citations, key=lambda c: c.n)
    for expander, citation in zip(expanders, cited, strict=True):
        label = _unescape(expander.label)
        assert label.startswith(f"[{citation.n}] "), label
        assert (citation.title or citation.doc) in label
        body = " ".join(_markdown_values(expander))
        assert ":orange-background[**" in body  # the quoted span is marked
        assert "Datum:" in " ".join(c.value for c in expander.caption)

    labels = [label for label, _, _ in app.RULE_BADGES.values()]
    badges = [v for v in _markdown_values(reply) if "-badge[" in v]
    assert len(badges) == 1 and any(label in badges[0] for label in labels), badges
    # Every [n] in the text has a source with that number below it.
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers <= {c.n for c in answer.citations}


@pytest.mark.slow
def test_follow_up_keeps_history_and_new_conversation_clears(at):
    _ask(at, QUESTION)
    _ask(at, FOLLOW_UP)

    names = [m.name for m in at.chat_message]
    assert names == ["user", "assistant", "user", "assistant"]
    users = [_unescape(" ".join(_markdown_values(m))) for m in at.chat_message if m.name == "user"]
    assert users == [QUESTION, FOLLOW_UP]
    # The follow-up was asked with the first turn as history.
    assert len(app.history_turns(at.session_state["messages"])) == 2

    at.button(key="new_conversation").click().run()
    assert not at.exception
    assert len(at.chat_message) == 0
    assert at.session_state["messages"] == []


def test_bad_setting_shows_swedish_error_not_traceback(monkeypatch):
    monkeypatch.setenv("HJALP_TOP_K", "många")
    test = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not test.exception
    assert len(test.error) == 1
    message = test.error[0].value
    assert "ogiltig inställning" in message and "make run" in message
    assert "Traceback" not in message
    assert len(test.chat_input) == 0  # nothing to ask without an Assistant


# --------------------------------------------------------------------------- rendering of values

def _citation(**changes) -> Citation:
    values = {
        "n": 1, "doc": "x.txt", "title": "Riktlinje", "section": "Bilaga 1",
        "location": "rad 3–4", "quote": "Rollator för utomhusbruk",
        "text": "Inledning *viktig*\nRollator för\nutomhusbruk.",
        "date": "2013-02-01", "publisher": "Region X",
    }
    return Citation(**{**values, **changes})


def _render(answer: Answer) -> AppTest:
    """Draw one Answer value with the app's own renderer (AppTest passes args in-process)."""

    def script(answer):
        import app

        app.render_answer(answer)

    test = AppTest.from_function(script, args=(answer,), default_timeout=30).run()
    assert not test.exception, test.exception
    return test


def test_refused_answer_is_plain_without_sources():
    test = _render(Answer(question="?", text="Det framgår inte av dokumenten.", refused=True))
    assert _markdown_values(test) == ["Det framgår inte av dokumenten."]
    assert len(test.expander) == 0


def test_rule_status_labels_and_warnings():
    answer = Answer(
        question="?", text="Svar [1].", citations=[_citation()],
        rule_check=RuleCheck(status="conflict", verdict="hembesök krävs", rule_id="nb-1"),
        warnings=["Källan är från 2013."],
    )
    test = _render(answer)
    assert any(":red-badge[" in v and "Reglerna går isär" in v for v in _markdown_values(test))
    assert [w.value for w in test.warning] == ["Källan är från 2013."]
    assert len(test.expander) == 1
    assert "hembesök krävs" in " ".join(c.value for c in test.caption)


def test_not_checkable_badge_is_grey():
    test = _render(Answer(question="?", text="Svar [1].", citations=[_citation()]))
    badges = [v for v in _markdown_values(test) if v.startswith(":gray-badge[")]
    assert len(badges) == 1 and "Ej kontrollerad" in badges[0]


# --------------------------------------------------------------------------- pure helpers

def test_escape_markdown_neutralises_document_syntax():
    text = "1. Avgift $5 *per* månad: se <bilaga>\n  # inte rubrik\n- punkt ~x~ a_b [1]"
    escaped = app.escape_markdown(text)
    assert escaped.split("  \n") == [
        "1\\. Avgift \\$5 \\*per\\* månad\\: se \\<bilaga\\>",
        "\\# inte rubrik",
        "\\- punkt \\~x\\~ a\\_b \\[1\\]",
    ]
    assert _unescape(escaped.replace("  \n", "\n")) == "\n".join(
        line.lstrip() for line in text.splitlines())


def test_highlight_marks_quote_across_lines_and_whitespace():
    body, found = app.highlight_quote(
        "Inledning *viktig*\nRollator för\n  utomhusbruk. Slut", "Rollator för utomhusbruk"
    )
    assert found
    assert body.split("  \n") == [
        "Inledning \\*viktig\\*",
        ":orange-background[**Rollator för**]",
        ":orange-background[**utomhusbruk**]. Slut",
    ]


def test_highlight_without_match_keeps_text():
    body, found = app.highlight_quote("Ingen träff här", "något annat")
    assert (body, found) == ("Ingen träff här", False)


def test_history_pairs_only_answered_turns():
    answered = Answer(question="a", text="svar a")
    messages = [
        {"role": "user", "content": "a"}, {"role": "assistant", "answer": answered},
        {"role": "user", "content": "b"}, {"role": "assistant", "error": "fel"},
    ]
    turns = app.history_turns(messages)
    assert [(t.question, t.answer) for t in turns] == [("a", "svar a")]


def test_load_error_messages_are_swedish_and_actionable():
    missing = ModuleNotFoundError("No module named 'chromadb'", name="chromadb")
    assert "chromadb" in app.load_error_message(missing)
    assert "make install" in app.load_error_message(missing)
    assert "make run" in app.load_error_message(RuntimeError("boom\nrad 2"))
    assert "rad 2" not in app.load_error_message(RuntimeError("boom\nrad 2"))
