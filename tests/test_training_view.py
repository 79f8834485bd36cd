"""The Utbildning page's quiz through `streamlit.testing.v1.AppTest`: choose or write answers,
check one question or all, see right/wrong with the answer and its source and the score; the
choices survive reruns and a trip to another topic. Real Assistant on a copy of the session
index, questions compared with the library's own quiz for the same selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_page
from streamlit.testing.v1 import AppTest

from assistant.rules.engine import RuleBase
from assistant.training import build_course
from ui.common import escape_markdown

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "views" / "training.py"
TIMEOUT = 120  # the first run in a process loads the model


def _click(test: AppTest, label: str, n: int = 0) -> AppTest:
    [button for button in test.button if button.label == label][n].click()
    return run_page(test)


def _answer_widgets(test: AppTest) -> dict[int, object]:
    """Question number → its radio or text field."""
    widgets = [*test.radio, *test.text_input]
    return {int(w.label.rsplit(" ", 1)[1]): w for w in widgets
            if w.label.startswith("Ditt svar på fråga")}


@pytest.mark.slow
def test_quiz_is_answered_checked_and_scored(page_env):
    test = run_page(AppTest.from_file(str(TRAINING), default_timeout=TIMEOUT))
    regions = test.multiselect(key="training_regions_gränsdragning").value
    quiz = build_course(RuleBase.load(), "gränsdragning", regions, seed=0).quiz
    assert len(quiz) == 5
    widgets = _answer_widgets(test)
    assert sorted(widgets) == [1, 2, 3, 4, 5]
    # Nothing is chosen beforehand; closed questions are alternatives, open ones a text field.
    for n, item in enumerate(quiz, 1):
        widget = widgets[n]
        assert widget.value in (None, "")
        assert (widget.type == "text_input") == item.is_open
        if not item.is_open:
            assert tuple(widget.options) == item.choices
    assert [b.label for b in test.button].count("Rätta") == 5

    # Question 1 right, question 2 wrong (or unanswered if open), the rest left open.
    first, second = quiz[0], quiz[1]
    widgets[1].set_value(first.answer)
    wrong = next((c for c in second.choices if c != second.answer), "fel svar")
    widgets[2].set_value(wrong)
    run_page(test)
    assert _answer_widgets(test)[1].value == first.answer  # kept over the rerun

    _click(test, "Rätta")  # the first question's button
    assert [s.value for s in test.success] == [f"Rätt! Svar: {escape_markdown(first.conclusion)}"]
    assert not test.error
    assert any(c.value.startswith("Källa: ") and first.quote[:20] in c.value
               for c in test.caption)
    assert [b.label for b in test.button].count("Rätta") == 4
    assert any("1 av 1 rättade frågor rätt; 4 kvar" in c.value for c in test.caption)

    _click(test, "Rätta alla")
    assert len(test.success) == 1
    assert [e.value for e in test.error] == [
        f"Fel – du svarade ”{escape_markdown(wrong)}”. Rätt svar: "
        f"{escape_markdown(second.conclusion)}"]
    assert len(test.warning) == 3 and all(w.value.startswith("Inget svar. Rätt svar: ")
                                          for w in test.warning)
    assert any(m.value == "#### Resultat: 1 av 5 rätt" for m in test.markdown)

    # Changing an answer after checking asks for checking it again.
    _answer_widgets(test)[2].set_value(second.answer)
    run_page(test)
    assert not test.error and [b.label for b in test.button].count("Rätta") == 1
    _click(test, "Rätta")
    assert any(m.value == "#### Resultat: 2 av 5 rätt" for m in test.markdown)

    # Another topic and back: the answers and checks of this quiz are still there.
    test.selectbox(key="training_topic").set_value("delegering")
    run_page(test)
    assert not any(m.value.startswith("#### Resultat") for m in test.markdown)
    test.selectbox(key="training_topic").set_value("gränsdragning")
    run_page(test)
    assert _answer_widgets(test)[1].value == first.answer
    assert any(m.value == "#### Resultat: 2 av 5 rätt" for m in test.markdown)

    # A new variant is a new quiz; "Börja om" clears this one.
    test.number_input(key="training_seed").set_value(1)
    run_page(test)
    assert all(w.value in (None, "") for w in _answer_widgets(test).values())
    test.number_input(key="training_seed").set_value(0)
    run_page(test)
    assert _answer_widgets(test)[1].value == first.answer
    _click(test, "Börja om")
    assert all(w.value in (None, "") for w in _answer_widgets(test).values())
    assert not test.success and not test.error
    assert [b.label for b in test.button].count("Rätta") == 5


@pytest.mark.slow
def test_notices_are_merged_on_the_page(page_env):
    test = run_page(AppTest.from_file(str(TRAINING), default_timeout=TIMEOUT))
    notices = next(e for e in test.expander if e.label.startswith("Observera"))
    assert notices.label == "Observera (2)"  # eight notices in the rule base's wording
    lines = [m.value for m in notices.markdown]
    assert sum("nulägesbeskrivning" in line for line in lines) == 1
    assert sum("Policyn är från 2013" in line for line in lines) == 1
