"""The Streamlit app, driven through `streamlit.testing.v1.AppTest` against the real Assistant.

The module gets a copy of the session's bundled index (HJALP_INDEX_DIR), the copied embedding
cache, and its own feedback database and upload folder, so the tests never touch data/ and need
no mocks: what a prescriber would see is what is asserted.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import editor_secrets, isolated_app_env, sign_in
from streamlit.testing.v1 import AppTest

from assistant.export import conversation_markdown
from assistant.feedback_store import JSONL_KEYS, FeedbackStore, to_jsonl
from core.settings import Settings
from core.values import Answer, Citation, RuleCheck
from ui.answer_view import RULE_BADGES, document_query
from ui.common import escape_markdown, highlight_quote, history_turns, load_error_message
from views.chat import PLACEHOLDER, export_turns

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TIMEOUT = 120  # the first run loads the model

QUESTION = "Vem förskriver en rollator för utomhusbruk i Norrbotten?"
FOLLOW_UP = "Och om hon i stället behöver en rollator för inomhusbruk?"
HPV = "Får en specialistsjuksköterska ordinera HPV-vaccin till en 20-åring?"




@pytest.fixture(scope="module")
def app_env(tmp_path_factory, bundled_index, bundled_cache_dir):
    """Environment of the app under test: a copy of the session index, tmp feedback/uploads."""
    settings, _ = bundled_index
    env = isolated_app_env(tmp_path_factory.mktemp("app"), settings.index_dir, bundled_cache_dir)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, str(value))
        yield env


@pytest.fixture
def at(app_env) -> AppTest:
    """A new browser session (empty chat) on the shared, cached Assistant."""
    test = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    test.run()
    assert not test.exception, test.exception
    assert not test.error, [e.value for e in test.error]
    return test


def _ask(test: AppTest, question: str) -> AppTest:
    test.chat_input[0].set_value(question).run()
    assert not test.exception, test.exception
    assert not test.error, [e.value for e in test.error]
    return test


def _markdown_values(block) -> list[str]:
    return [m.value for m in block.markdown]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _last_answer(test: AppTest) -> Answer:
    return test.session_state["messages"][-1]["answer"]


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
    assert at.chat_input[0].placeholder == PLACEHOLDER
    assert len(at.chat_message) == 0
    as_of = at.date_input(key="as_of")
    assert as_of.label == "Gäller per datum" and as_of.value == date.today()
    export = at.get("download_button")[0]
    assert export.label == "Exportera som Markdown" and export.proto.disabled  # nothing yet
    # Every widget has a visible, Swedish label.
    for widget in [*at.selectbox, *at.date_input, *at.button]:
        assert widget.label.strip(), widget


@pytest.mark.slow
def test_question_gets_answer_with_numbered_sources_and_badge(at):
    at.selectbox(key="region").set_value("Norrbotten").run()
    _ask(at, QUESTION)

    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    reply = at.chat_message[1]
    answer = at.session_state["messages"][-1]["answer"]
    assert not answer.refused, answer.text
    assert answer.region == "Norrbotten"

    expanders = [e for e in reply.expander if e.label != "Så kontrollerades svaret"]
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

    # The streamed draft was replaced by the final answer: its text is shown exactly once,
    # the conclusion first and in bold.
    shown = [v for v in _markdown_values(reply) if v.startswith("**") and v != "**Källor**"]
    assert len(shown) == 1 and _unescape(shown[0]).startswith(f"**{answer.conclusion[:30]}")
    labels = [label for label, _, _ in RULE_BADGES.values()]
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
    assert len(history_turns(at.session_state["messages"])) == 2

    at.button(key="new_conversation").click().run()
    assert not at.exception
    assert len(at.chat_message) == 0
    assert at.session_state["messages"] == []


@pytest.mark.slow
def test_region_filter_scopes_retrieval_and_says_when_region_lacks_it(at):
    at.selectbox(key="region").set_value("Norrbotten").run()
    _ask(at, "Vem förskriver en rollator för utomhusbruk?")
    answer = _last_answer(at)
    assert answer.region == "Norrbotten" and not answer.refused
    assert answer.passages and all("Norrbotten" in p.chunk.regions for p in answer.passages)
    footer = " ".join(c.value for c in at.chat_message[1].caption)
    assert "Avgränsat till region" in footer and "Norrbotten" in footer

    at.selectbox(key="region").set_value("Dalarna").run()
    _ask(at, "Vem förskriver en rollator för utomhusbruk?")
    answer = _last_answer(at)
    assert answer.region == "Dalarna"
    assert all("Dalarna" in p.chunk.regions for p in answer.passages)
    if answer.refused:  # Dalarna's guidance says nothing about it: the reply must say so
        warnings = [_unescape(w.value) for w in at.chat_message[3].warning]
        assert any("Dalarna" in w for w in warnings), warnings


@pytest.mark.slow
def test_as_of_date_is_passed_to_the_rule_checker(at):
    at.date_input(key="as_of").set_value(date(2025, 6, 1)).run()
    _ask(at, HPV)
    before = _last_answer(at).rule_check
    at.date_input(key="as_of").set_value(date(2026, 1, 15)).run()
    _ask(at, HPV)
    after = _last_answer(at).rule_check

    # The nurses' HPV rules changed on 2025-11-01: the verdict follows the chosen date.
    assert before.rule_id and after.rule_id and before.rule_id != after.rule_id
    assert before.citation["valid"].endswith("2025-10-31")
    assert after.citation["valid"].startswith("2025-11-01")
    assert [m["settings"]["as_of"] for m in at.session_state["messages"][1::2]] == [
        "2025-06-01", "2026-01-15"]
    # What was checked, against which rule and how long it is valid, is shown under the badge.
    details = _unescape(" ".join(c.value for c in at.chat_message[3].caption))
    assert after.rule_id in details and "gäller 2025-11-01" in details


@pytest.mark.slow
def test_feedback_is_stored_with_comment_and_listed_on_review_page(at, app_env):
    _ask(at, QUESTION + " Patienten har personnummer 19121212-1212.")
    # The question is masked before it is shown or kept.
    shown = _unescape(" ".join(_markdown_values(at.chat_message[0])))
    assert "19121212-1212" not in shown and "[personnummer]" in shown
    notices = [_unescape(w.value) for w in at.chat_message[1].warning]
    assert any("personnummer" in n for n in notices), notices  # and the user is told why

    at.feedback[0].set_value(0).run()  # thumbs down
    assert not at.exception
    store = FeedbackStore(Path(app_env["HJALP_FEEDBACK_DB"]))
    entries = store.entries()
    assert len(entries) == 1
    entry = entries[0]
    answer = _last_answer(at)
    assert entry.rating == "down" and entry.answer == answer.text
    assert [c["n"] for c in entry.citations] == [c.n for c in answer.citations]
    assert "[personnummer]" in entry.question and "19121212" not in entry.question
    assert entry.settings["retrieval_mode"] == "hybrid"
    assert entry.settings["as_of"] == date.today().isoformat()
    assert entry.rule_status == answer.rule_check.status

    at.text_input(key=f"comment_{at.session_state['messages'][-1]['id']}").input(
        "Svaret borde nämna hembesöket, ring 070-123 45 67")
    next(b for b in at.button if b.label == "Skicka kommentar").click().run()
    assert not at.exception
    entry = store.get(entry.id)
    assert entry.comment == "Svaret borde nämna hembesöket, ring [telefonnummer]"
    assert entry.rating == "down" and len(store.entries()) == 1
    at.feedback[0].set_value(1).run()  # changing the thumb updates the same row
    assert [e.rating for e in store.entries()] == ["up"]

    # Reading feedback needs an editor: the secrets file holds the password's hash and the
    # editor signs in on the page.
    at.secrets.update(editor_secrets())
    at.switch_page("views/feedback.py").run()
    assert not at.exception, at.exception
    assert not at.dataframe and not at.get("download_button")  # nothing before signing in
    sign_in(at)
    assert at.title[0].value == "Återkoppling"
    table = at.dataframe[0].value
    assert list(table["Nr"]) == [entry.id]
    assert table["Kommentar"][0] == entry.comment and table["Betyg"][0] == "Tumme upp"
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Ladda ned JSONL", "Ladda ned CSV"]
    at.selectbox(key="fb_rating").set_value("down").run()
    assert len(at.dataframe) == 0 and at.info  # filtered away, and said so
    line = json.loads(to_jsonl(store.entries()))
    assert list(line) == list(JSONL_KEYS) and line["rating"] == "up"


@pytest.mark.slow
def test_export_holds_the_conversation_with_sources(at):
    _ask(at, QUESTION)
    assert not at.get("download_button")[0].proto.disabled  # usable right after the answer
    _ask(at, FOLLOW_UP)
    messages = at.session_state["messages"]
    markdown = conversation_markdown(export_turns(messages))
    first, second = messages[1]["answer"], messages[3]["answer"]
    assert f"> {QUESTION}" in markdown and f"> {FOLLOW_UP}" in markdown
    assert first.text in markdown and second.text in markdown
    for citation in [*first.citations, *second.citations]:
        assert f"{citation.n}. **{citation.title}** ({citation.doc})" in markdown
    assert RULE_BADGES[first.rule_check.status][0] in markdown


def test_generative_mode_is_not_offered_without_a_model(at):
    # The test environment points the local backend at a model file that does not exist.
    assert not [s for s in at.selectbox if s.key == "answer_mode"]
    said = " ".join(_unescape(c.value) for c in at.sidebar.caption)
    assert "Generativt läge finns inte här" in said and "make model" in said
    _ask(at, QUESTION)
    answer = _last_answer(at)
    assert not answer.refused and answer.citations
    assert at.session_state["messages"][-1]["settings"]["answer_mode"] == "extractive"


def test_feedback_page_alone_says_when_empty_or_unreadable(tmp_path, monkeypatch):
    page = str(ROOT / "views" / "feedback.py")
    monkeypatch.setenv("HJALP_FEEDBACK_DB", str(tmp_path / "none.sqlite"))
    test = sign_in(AppTest.from_file(page, default_timeout=30))
    assert not test.exception and not test.error
    assert [m.value for m in test.metric] == ["0", "0", "0"]
    assert "Ingen återkoppling" in test.info[0].value
    assert all(b.proto.disabled for b in test.get("download_button"))
    assert not (tmp_path / "none.sqlite").exists()  # looking does not create a database

    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database at all" * 100)
    monkeypatch.setenv("HJALP_FEEDBACK_DB", str(broken))
    test = sign_in(AppTest.from_file(page, default_timeout=30))
    assert not test.exception
    assert "kunde inte läsas" in test.error[0].value and "broken.sqlite" in test.error[0].value
    assert broken.read_bytes() == b"not a database at all" * 100  # nothing overwritten


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
        from ui.answer_view import render_answer

        render_answer(answer)

    test = AppTest.from_function(script, args=(answer,), default_timeout=30).run()
    assert not test.exception, test.exception
    return test


def test_refused_answer_is_plain_without_sources():
    test = _render(Answer(question="?", text="Det framgår inte av dokumenten.", refused=True))
    assert _markdown_values(test) == ["Det framgår inte av dokumenten."]
    assert len(test.expander) == 0


def test_a_refusal_shows_the_source_of_what_the_documents_do_say():
    answer = Answer(question="?", refused=True, citations=[_citation()],
                    text="Det framgår inte av dokumenten. Det som står närmast frågan: Svar. [1]")
    test = _render(answer)
    assert len(test.expander) == 1  # [1] leads to its source
    assert not any("badge[" in v for v in _markdown_values(test))  # nothing was decided


def test_rule_status_labels_and_warnings():
    answer = Answer(
        question="?", text="Svar [1].", citations=[_citation()],
        rule_check=RuleCheck(status="conflict", verdict="hembesök krävs", rule_id="nb-1"),
        warnings=["Källan är från 2013."],
    )
    test = _render(answer)
    assert any(":red-badge[" in v and "Motstridiga regler – se båda" in v
               for v in _markdown_values(test))
    assert [w.value for w in test.warning] == ["Källan är från 2013."]
    # The reason is beside the badge; the rule id only inside "Så kontrollerades svaret".
    visible = " ".join(c.value for c in test.caption[:2])  # scope, then the badge's reason
    assert "hembesök krävs" in visible and "nb-1" not in visible
    assert [e.label for e in test.expander][0] == "Så kontrollerades svaret"


def test_corrected_badge_says_what_and_why_with_rule_source_and_validity():
    rule = RuleCheck(
        status="corrected", rule_id="nb.iso.120606", verdict="kommunen ansvarar",
        reason="Svaret angav inte regelns slutsats; den har lagts till.",
        trace=("nb.iso.120606 avgör: kommunen ansvarar",
               "undantaget nb.barn är okänt: saknar ålder"),
        citation={"doc": "x.txt", "section": "Bilaga 1", "quote": "Kommunen ansvarar",
                  "valid": "2013-02-01 – tills vidare"},
        warnings=("Undantag kan gälla: ange ålder.", "Policyn är från 2013."))
    answer = Answer(question="?", text="Kommunen ansvarar [1].", citations=[_citation()],
                    rule_check=rule, warnings=["Källan är gammal.", *rule.warnings],
                    region="Norrbotten", as_of="2026-12-01")
    test = _render(answer)
    assert any(":orange-badge[" in v and "Rättat enligt regeln" in v
               for v in _markdown_values(test))
    captions = [_unescape(c.value) for c in test.caption]
    assert captions[0] == "Region Norrbotten · gäller per 2026-12-01"
    assert captions[1] == ("Regeln säger: kommunen ansvarar. Svaret angav inte regelns "
                           "slutsats; den har lagts till.")
    # The source warning on its own; the rule checker's notes folded into one line.
    assert [_unescape(w.value) for w in test.warning] == ["Källan är gammal."]
    assert "Observera: Undantag kan gälla: ange ålder. · Policyn är från 2013." in captions
    # The rule id, its source and the trace are one click away, not in the way.
    checked = test.expander[0]
    assert checked.label == "Så kontrollerades svaret"
    inside = _unescape(" ".join(c.value for c in checked.caption))
    assert "Regel: nb.iso.120606" in inside
    assert "Regelns källa: x.txt – Bilaga 1: ”Kommunen ansvarar” (gäller 2013-02-01" in inside
    # The trace one step a line.
    assert ("Spår: nb.iso.120606 avgör: kommunen ansvarar  \n→ undantaget nb.barn är okänt"
            in inside)
    assert not any("nb.iso.120606" in c for c in captions[:2])


def test_the_conclusion_is_bold_and_markers_link_to_their_source():
    answer = Answer(question="?", text="Kommunen ansvarar [1]. Mer text [1].",
                    conclusion="Kommunen ansvarar [1].", citations=[_citation()])

    def script(answer):
        from ui.answer_view import render_answer

        render_answer(answer, key="m1")

    test = AppTest.from_function(script, args=(answer,), default_timeout=30).run()
    assert not test.exception, test.exception
    text = _markdown_values(test)[0]
    assert text.startswith("**Kommunen ansvarar [\\[1\\]](#kalla-m1-1).**")
    assert "Mer text [\\[1\\]](#kalla-m1-1)" in text


def test_a_source_found_in_several_documents_says_so_and_which_copy_is_cited():
    one = _render(Answer(question="?", text="Svar [1].", citations=[_citation()]))
    assert not any("Samma avsnitt" in c.value for c in one.caption)
    three = _render(Answer(question="?", text="Svar [1].", citations=[_citation(copies=3)]))
    notes = [c.value for c in three.expander[0].caption if "Samma avsnitt" in c.value]
    assert notes == ["Samma avsnitt finns i 3 dokument. Här citeras det från den region du "
                     "frågar om, annars från det nyaste dokumentet."]


def test_not_checkable_badge_is_grey():
    test = _render(Answer(question="?", text="Svar [1].", citations=[_citation()]))
    badges = [v for v in _markdown_values(test) if v.startswith(":gray-badge[")]
    assert len(badges) == 1 and "Ingen regel för detta – läs källan" in badges[0]
    assert "Svaret har inte kontrollerats mot en regel." in " ".join(c.value for c in test.caption)


# --------------------------------------------------------------------------- pure helpers

def test_escape_markdown_neutralises_document_syntax():
    text = "1. Avgift $5 *per* månad: se <bilaga>\n  # inte rubrik\n- punkt ~x~ a_b [1]"
    escaped = escape_markdown(text)
    assert escaped.split("  \n") == [
        "1\\. Avgift \\$5 \\*per\\* månad\\: se \\<bilaga\\>",
        "\\# inte rubrik",
        "\\- punkt \\~x\\~ a\\_b \\[1\\]",
    ]
    assert _unescape(escaped.replace("  \n", "\n")) == "\n".join(
        line.lstrip() for line in text.splitlines())


def test_highlight_marks_quote_across_lines_and_whitespace():
    body, found = highlight_quote(
        "Inledning *viktig*\nRollator för\n  utomhusbruk. Slut", "Rollator för utomhusbruk"
    )
    assert found
    assert body.split("  \n") == [
        "Inledning \\*viktig\\*",
        ":orange-background[**Rollator för**]",
        ":orange-background[**utomhusbruk**]. Slut",
    ]


def test_highlight_without_match_keeps_text():
    body, found = highlight_quote("Ingen träff här", "något annat")
    assert (body, found) == ("Ingen träff här", False)


def test_history_pairs_only_answered_turns():
    answered = Answer(question="a", text="svar a")
    messages = [
        {"role": "user", "content": "a"}, {"role": "assistant", "answer": answered},
        {"role": "user", "content": "b"}, {"role": "assistant", "error": "fel"},
    ]
    turns = history_turns(messages)
    assert [(t.question, t.answer) for t in turns] == [("a", "svar a")]


def test_load_error_messages_are_swedish_and_actionable():
    missing = ModuleNotFoundError("No module named 'chromadb'", name="chromadb")
    assert "chromadb" in load_error_message(missing)
    assert "make install" in load_error_message(missing)
    assert "make run" in load_error_message(RuntimeError("boom\nrad 2"))
    assert "rad 2" not in load_error_message(RuntimeError("boom\nrad 2"))


def test_document_link_points_at_the_cited_chunk():
    cited = _citation(line_start=3, chunk_id="c42")
    assert document_query(cited) == {"doc": "x.txt", "chunk": "c42", "line": "3"}
    pdf = _citation(page=2, line_start=None, text="annan text")
    assert document_query(pdf) == {"doc": "x.txt", "page": "2"}


class _BrokenAssistant:
    """Plumbing only: an Assistant whose index has gone away."""

    settings = Settings.load(env={})

    def ask_stream(self, question, history=(), region=None, retrieval_mode="hybrid", as_of=None, *,
                   answer_mode=None, given=None):
        raise RuntimeError("Chroma-samlingen saknas")


def test_failed_answer_is_a_swedish_message_and_no_identifier_is_logged(caplog):
    def script(assistant):
        import streamlit as st

        from views.chat import ask

        st.session_state.setdefault("messages", [])
        ask(assistant, "Patient 19121212-1212 behöver rollator", None)

    with caplog.at_level("DEBUG"):
        test = AppTest.from_function(script, args=(_BrokenAssistant(),), default_timeout=30).run()
    assert not test.exception, test.exception
    assert len(test.error) == 1
    message = test.error[0].value
    assert "Frågan kunde inte besvaras" in message and "Chroma-samlingen saknas" in message
    assert "Traceback" not in message
    assert test.session_state["messages"][0]["content"] == "Patient [personnummer] behöver rollator"
    assert test.session_state["messages"][1]["error"] == message
    assert caplog.records and all("19121212" not in r.getMessage() for r in caplog.records)
    assert "19121212" not in caplog.text


def test_store_outage_message_does_not_advise_wiping_the_index() -> None:
    from core.store import StoreUnavailable
    from ui.common import ask_error_message, load_error_message

    outage = StoreUnavailable("Chroma-servern på 127.0.0.1:8000 svarar inte.")
    for shown in (load_error_message(outage), ask_error_message(outage)):
        assert "127.0.0.1:8000" in shown and "make clean" not in shown


def test_a_missing_fact_is_asked_back_and_a_choice_re_asks_with_it(at):
    """The responsible party first, one question back for the fact that changes it, and the
    choice answered with that fact's outcome (issue: a question back instead of caveats)."""
    _ask(at, "Vem förskriver en duschstol i Norrbotten?")
    first = _last_answer(at)
    assert "kommun" in first.conclusion.lower()
    back = first.rule_check.question
    assert back is not None and back.fact == "age"
    pills = at.chat_message[1].button_group
    assert pills and pills[0].label == "Hur gammal är patienten?"
    child = next(i for i, o in enumerate(back.options) if o.outcome == "regionen")
    pills[0].set_value(child).run()
    assert not at.exception, at.exception
    messages = at.session_state["messages"]
    assert messages[-2]["content"].startswith("Hur gammal är patienten? under 18 år")
    second = messages[-1]["answer"]
    assert second.rule_check.given == {"age": back.options[child].value}
    assert "landsting" in second.conclusion.lower() or "region" in second.conclusion.lower()
    assert second.rule_check.rule_id == back.options[child].rule_id



def test_a_reload_keeps_the_conversation_and_earlier_ones_are_listed(at, app_env):
    _ask(at, QUESTION)
    conversation = at.query_params["c"]
    assert conversation and at.session_state["conversation"] == conversation
    # A reload is a new session with the same URL.
    again = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    again.query_params["c"] = conversation
    again.run()
    assert not again.exception, again.exception
    assert [m.name for m in again.chat_message] == ["user", "assistant"]
    restored = again.session_state["messages"][-1]["answer"]
    assert restored.text == _last_answer(at).text and restored.citations
    # "Ny konversation" starts afresh; the earlier one is a button in the sidebar.
    again.sidebar.button(key="new_conversation").click().run()
    assert again.chat_message == [] or len(again.chat_message) == 0
    assert "c" not in again.query_params
    earlier = [b for b in again.sidebar.button if b.key == f"conversation_{conversation}"]
    assert earlier and earlier[0].label.startswith(QUESTION[:40])
    earlier[0].click().run()
    assert len(again.chat_message) == 2


def test_an_unknown_conversation_link_starts_a_new_one(app_env):
    test = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    test.query_params["c"] = "0" * 32
    test.run()
    assert not test.exception, test.exception
    assert len(test.chat_message) == 0 and "c" not in test.query_params
