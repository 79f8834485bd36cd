"""Utbildning: course material for trainers — key rules, passages, a regional comparison, an
interactive quiz (choose or write an answer, check it, see the score), and the whole material as
Markdown or PDF.

UI only: the material is built by `assistant.training.build_course` from the rule base and the
retriever. A page of `app.py` (`streamlit run app.py`); importing the module draws nothing.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import TYPE_CHECKING

import streamlit as st

from ui.common import escape_markdown, load_assistant

if TYPE_CHECKING:
    from assistant.training import Course, QuizItem

log = logging.getLogger("hjalp.app")

NATIONAL_LABEL = "Nationellt"


def slug(course: Course) -> str:
    parts = [course.topic.key, *course.regions] or [course.topic.key]
    text = "-".join(parts).lower()
    for a, b in (("å", "a"), ("ä", "a"), ("ö", "o"), (" ", "-")):
        text = text.replace(a, b)
    return "utbildning-" + "".join(ch for ch in text if ch.isalnum() or ch == "-")


# --------------------------------------------------------------------------- sections

def render_rules(course: Course) -> None:
    from assistant.training import NATIONAL

    st.subheader("Nyckelregler")
    if not course.groups and not course.iso_rows:
        st.info("Regelbasen har inga regler i detta ämne för de valda regionerna.")
        return
    regions = list(dict.fromkeys([*(g.region for g in course.groups),
                                  *(r.region for r in course.iso_rows)]))
    labels = [NATIONAL_LABEL if r == NATIONAL else r for r in regions]
    # One tab per region keeps a long topic (Norrbotten's ISO list) to one screen at a time.
    for region, tab in zip(regions, st.tabs(labels), strict=True):
        with tab:
            for group in (g for g in course.groups if g.region == region):
                render_group(group)
            rows = [r for r in course.iso_rows if r.region == region]
            if rows:
                render_iso_rows(rows, course.iso_source)


def render_group(group) -> None:
    st.markdown(f"##### {escape_markdown(group.section)}")
    st.caption("Källa: " + escape_markdown(group.doc_title))
    if group.as_table:
        # A static table wraps long verdicts and quotes; course material is read, not sorted.
        st.table([{"Villkor": r.conditions or "–", "Svar": r.verdict,
                   "Giltighet": _validity(r), "Citat ur källan": r.quote}
                  for r in group.rules])
        return
    for r in group.rules:
        st.markdown("- " + escape_markdown(r.statement))
        st.caption(f"”{escape_markdown(r.quote)}” – {escape_markdown(r.section)}. "
                   f"Giltighet: {_validity(r)}.")


def render_iso_rows(rows, source: str) -> None:
    st.markdown(f"##### Översikt per ISO-kod ({len(rows)} rader)")
    st.caption(f"Källa: {escape_markdown(source)}. Principerna ovan (ålder, hemsjukvård, "
               "särskilt boende, specialistenheter) går före raderna.")
    st.dataframe([{"ISO": r.code, "Hjälpmedel": r.product, "Användning": r.use or "–",
                   "Kategori": r.category, "Ansvar": r.responsibility, "Giltighet": r.validity}
                  for r in rows], hide_index=True, key="iso_table")


def _validity(rule) -> str:
    return rule.validity if rule.valid_now else f"{rule.validity} (gäller inte längre)"


def render_comparison(course: Course) -> None:
    st.subheader("Jämförelse mellan regioner")
    if not course.comparison:
        st.caption("Ingen jämförelse: färre än två av de valda regionerna har egna regler i "
                   "ämnet (nationella regler gäller alla regioner).")
        return
    st.table([{"Situation": c.situation, "Region": c.region,
               "Svar enligt regel": c.verdict or "Ingen regel i dokumenten",
               "Källa": c.source or "–", "Giltighet": c.validity or "–"}
              for c in course.comparison])


def render_passages(course: Course) -> None:
    st.subheader("Relevanta textavsnitt")
    if not course.passages:
        st.caption("Inga textavsnitt hittades för de valda regionerna.")
    for n, p in enumerate(course.passages, 1):
        label = f"[{n}] {_short(p.title)}" + (f" – {p.heading}" if p.heading else "")
        with st.expander(escape_markdown(label)):
            st.caption(escape_markdown(" · ".join(x for x in (p.title, p.section, p.location)
                                                  if x)))
            st.markdown(escape_markdown(p.text))


def _short(title: str, limit: int = 60) -> str:
    return title if len(title) <= limit else title[:limit].rsplit(" ", 1)[0] + " …"


# --------------------------------------------------------------------------- quiz
# State per quiz (topic and variant) in st.session_state, so that reruns and switching topic
# and back keep the participant's answers: "<key>::answers" maps a question to the answer given,
# "<key>::checked" is the set of questions that have been checked ("Rätta").


def quiz_key(course: Course, seed: int) -> str:
    return f"quiz::{course.topic.key}::{seed}"


def _answers(key: str) -> dict[str, str | None]:
    return st.session_state.setdefault(f"{key}::answers", {})


def _checked(key: str) -> set[str]:
    return st.session_state.setdefault(f"{key}::checked", set())


def _widget_key(key: str, question: str) -> str:
    return f"{key}::q::{hashlib.sha1(question.encode('utf-8')).hexdigest()[:12]}"


def _remember(key: str, question: str) -> None:
    """A changed answer is kept and must be checked again."""
    _answers(key)[question] = st.session_state.get(_widget_key(key, question))
    _checked(key).discard(question)


def _check(key: str, questions: list[str]) -> None:
    _checked(key).update(questions)


def _restart(key: str, questions: list[str]) -> None:
    _answers(key).clear()
    _checked(key).clear()
    for question in questions:
        st.session_state.pop(_widget_key(key, question), None)


def render_quiz(course: Course, seed: int = 0) -> None:
    st.subheader("Quiz")
    if not course.quiz:
        st.caption("Inga quizfrågor kunde skapas ur reglerna för detta urval.")
        return
    st.caption("Välj eller skriv ett svar och tryck på Rätta – per fråga eller för alla på en "
               "gång.")
    quiz_form(course, quiz_key(course, seed))


@st.fragment
def quiz_form(course: Course, key: str) -> None:
    """The questions, the checking and the score; reruns only itself when answered."""
    questions = [q.question for q in course.quiz]
    for n, item in enumerate(course.quiz, 1):
        render_question(item, n, key)
    left, right = st.columns(2)
    left.button("Rätta alla", key=f"{key}::check_all", on_click=_check, args=(key, questions),
                type="primary", icon=":material/fact_check:")
    right.button("Börja om", key=f"{key}::restart", on_click=_restart, args=(key, questions),
                 icon=":material/restart_alt:")
    render_score(course, key)


def render_question(item: QuizItem, n: int, key: str) -> None:
    widget = _widget_key(key, item.question)
    answers = _answers(key)
    if widget not in st.session_state and answers.get(item.question) is not None:
        st.session_state[widget] = answers[item.question]  # back from another topic
    st.markdown(f"**{n}. {escape_markdown(item.question)}**")
    if item.is_open:
        st.text_input(f"Ditt svar på fråga {n}", key=widget, placeholder="Skriv ditt svar",
                      label_visibility="collapsed", on_change=_remember,
                      args=(key, item.question))
    else:
        st.radio(f"Ditt svar på fråga {n}", item.choices, index=None, key=widget,
                 horizontal=all(len(c) <= 12 for c in item.choices),
                 label_visibility="collapsed", on_change=_remember, args=(key, item.question))
    answers[item.question] = st.session_state.get(widget)
    if item.question in _checked(key):
        render_feedback(item, answers[item.question])
        return
    st.button("Rätta", key=f"{widget}::check", on_click=_check, args=(key, [item.question]))
    with st.expander(f"Visa svar på fråga {n}"):
        st.markdown(escape_markdown(item.conclusion))
        st.caption(_source(item))


def render_feedback(item: QuizItem, given: str | None) -> None:
    from assistant.training import check_answer

    right = escape_markdown(item.conclusion)
    if not given or not str(given).strip():
        st.warning(f"Inget svar. Rätt svar: {right}", icon=":material/help:")
    elif check_answer(item, given):
        st.success(f"Rätt! Svar: {right}", icon=":material/check_circle:")
    else:
        st.error(f"Fel – du svarade ”{escape_markdown(str(given))}”. Rätt svar: {right}",
                 icon=":material/cancel:")
    st.caption(_source(item))


def render_score(course: Course, key: str) -> None:
    from assistant.training import score

    checked = [q for q in course.quiz if q.question in _checked(key)]
    if not checked:
        return
    right = score(checked, _answers(key))
    if len(checked) == len(course.quiz):
        st.markdown(f"#### Resultat: {right} av {len(course.quiz)} rätt")
    else:
        st.caption(f"Hittills {right} av {len(checked)} rättade frågor rätt; "
                   f"{len(course.quiz) - len(checked)} kvar att rätta.")


def _source(item: QuizItem) -> str:
    return (f"Källa: {escape_markdown(item.source)}: ”{escape_markdown(item.quote)}” "
            f"(giltighet {item.validity})")


def render_export(course: Course) -> None:
    from assistant.training import PdfUnavailable, to_markdown, to_pdf

    st.subheader("Exportera")
    name = slug(course)
    st.download_button("Ladda ned som Markdown", to_markdown(course), file_name=f"{name}.md",
                       mime="text/markdown", key="download_md", icon=":material/download:")
    # Building the PDF takes up to a couple of seconds: only on request, kept per selection.
    pdf_key = f"pdf::{name}::{course.as_of}::{len(course.quiz)}"
    if st.button("Skapa PDF", key="make_pdf", help="Samma innehåll som Markdown-filen."):
        try:
            st.session_state[pdf_key] = to_pdf(course)
        except PdfUnavailable as exc:
            st.info(str(exc))
        except Exception as exc:  # the page must not show a traceback
            log.exception("PDF export failed")
            st.error(f"PDF:en kunde inte skapas ({type(exc).__name__}). Ladda ned Markdown i "
                     "stället.")
    if pdf_key in st.session_state:
        st.download_button("Ladda ned som PDF", st.session_state[pdf_key],
                           file_name=f"{name}.pdf", mime="application/pdf", key="download_pdf",
                           icon=":material/picture_as_pdf:")


# --------------------------------------------------------------------------- page

def main() -> None:
    from assistant.training import TOPICS, build_course, course_regions, topic_regions

    st.title("Utbildning")
    st.caption("Kursmaterial ur regelbasen och dokumenten: nyckelregler med källa och "
               "giltighet, relevanta textavsnitt, jämförelse mellan regioner och ett quiz att "
               "rätta.")
    assistant = load_assistant()
    if assistant is None:
        st.stop()
    rules = assistant.rulebase  # the one the checker uses: the material says what it enforces
    topic = st.selectbox("Ämne", list(TOPICS), format_func=lambda k: TOPICS[k].label,
                         key="training_topic")
    options = course_regions(rules, assistant.regions())
    covered = topic_regions(rules, topic)
    regions = st.multiselect(
        "Regioner", options, default=[r for r in covered if r in options],
        key=f"training_regions_{topic}", placeholder="Alla regioner",
        help="Regioner att ta med. Tomt = alla. Nationella regler gäller alla regioner.")
    col1, col2, col3 = st.columns(3)
    as_of = col1.date_input("Giltighet per", value=date.today(), format="YYYY-MM-DD",
                            key="training_as_of",
                            help="Regler som inte gäller detta datum markeras.")
    size = col2.number_input("Antal quizfrågor", min_value=1, max_value=15, value=5, step=1,
                             key="training_quiz_size")
    seed = col3.number_input("Quizvariant", min_value=0, max_value=9999, value=0, step=1,
                             key="training_seed",
                             help="Samma variant ger samma frågor; byt för nya frågor.")
    try:
        course = build_course(rules, topic, regions, retriever=assistant.retriever,
                              as_of=as_of or date.today(), quiz_size=int(size), seed=int(seed))
    except Exception as exc:  # the page must not show a traceback
        log.exception("Could not build course material")
        st.error(f"Kursmaterialet kunde inte skapas ({type(exc).__name__}). Välj ett annat "
                 "ämne eller andra regioner, eller ladda om sidan.")
        st.stop()
    st.header(course.title)
    st.markdown(escape_markdown(course.topic.intro))
    if course.warnings:
        with st.expander(f"Observera ({len(course.warnings)})", expanded=False,
                         icon=":material/warning:"):
            for warning in course.warnings:
                st.markdown("- " + escape_markdown(warning))
    render_rules(course)
    render_comparison(course)
    render_passages(course)
    render_quiz(course, int(seed))
    render_export(course)


if __name__ == "__main__":  # st.navigation runs a page as __main__; an import draws nothing
    main()
