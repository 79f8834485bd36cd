"""Chatt: the prescribers' chat page (the app's default page) — sidebar settings, history,
streamed answers, feedback and export. A page of `app.py` (`streamlit run app.py`).

The conversation lives in `st.session_state["messages"]`: user entries `{"role": "user",
"content": masked question}` and assistant entries `{"role": "assistant", "id", "answer" |
"error", "settings", "feedback_id"}`. Questions are masked before they are kept, shown again,
logged or exported. How one answer is drawn is `ui/answer_view.py`.

Importing the module draws nothing (tests use its helpers); run as a page it draws the chat.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from itertools import chain
from typing import TYPE_CHECKING, Any, Iterator

import streamlit as st

from assistant.export import ExportTurn, conversation_markdown
from assistant.privacy import mask_identifiers
from ui.answer_view import REASK, REFUSAL, render_answer
from ui.common import (
    TITLE,
    _escape_inline,
    ask_error_message,
    escape_markdown,
    format_timestamp,
    history_turns,
    load_assistant,
)

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from core.settings import Settings

log = logging.getLogger("hjalp.app")

INTRO = (
    "Ställ frågor om regler för förskrivning av hjälpmedel. Svaren bygger enbart på "
    "regionernas styrdokument och varje påstående har en numrerad källa."
)
PLACEHOLDER = "Ställ en fråga om förskrivning av hjälpmedel …"
SEARCHING = "Söker i dokumenten …"
GENERATING = "Söker i dokumenten och formulerar svaret med språkmodellen …"
ALL_REGIONS = "Alla"
EXAMPLES = (
    "Utomhusrollator i Luleå – vårdcentralen eller kommunen?",
    "Norrbotten: vem ansvarar för att förskriva duschstolar?",
    "Får en privat arbetsterapeut med vårdavtal förskriva i Stockholm?",
)
# Answer modes: Settings.answer_mode value → Swedish label.
ANSWER_MODES: dict[str, str] = {
    "extractive": "Extraktivt (snabbt, ordagrant)",
    "generative": "Generativt (språkmodell)",
}
THUMBS = {1: "up", 0: "down"}  # st.feedback("thumbs") returns 1 for up, 0 for down
FEEDBACK_SAVED = "Tack! Återkopplingen är sparad."
EXAMPLE = "example"  # session key of an example question clicked, asked on this run
CONVERSATION = "conversation"  # session key: the id of the conversation shown (None: unsaved)
CONVERSATION_PARAM = "c"  # the URL parameter that names it, so a reload brings it back
SAVED = "saved_messages"  # session key: how many messages the store holds of it


# --------------------------------------------------------------------------- sidebar

def render_mode_select(container: Any, settings: Settings | None) -> str:
    """The answer mode; generative only where its backend can run (else a line saying why)."""
    from assistant.generate.backends import backend_missing

    missing = backend_missing(settings) if settings is not None else None
    with container:
        if settings is None or missing:
            st.session_state.pop("answer_mode", None)
            # The backend's reasons are "svenska / English": the chat shows the Swedish.
            why = (missing or "inställningarna kunde inte läsas.").split(" / ")[0]
            st.caption("Svarsläge: extraktivt (meningar ur dokumenten, ordagrant). Generativt "
                       f"läge finns inte här: {why}")
            return "extractive"
        return st.selectbox(
            "Svarsläge", list(ANSWER_MODES), key="answer_mode", format_func=ANSWER_MODES.get,
            help="Extraktivt: meningar ur dokumenten, ordagrant. Generativt: en språkmodell "
                 "formulerar svaret; varje påstående kontrolleras mot källorna.",
        )


def render_sidebar(assistant: Assistant, settings_box: Any) -> tuple[str | None, date, Any]:
    """Region, as-of date, conversation buttons and index status; returns the region, the
    as-of date and the slot for the export button (filled after the chat has run)."""
    with st.sidebar:
        try:
            regions = list(assistant.regions())
        except Exception:  # the chat still works without the region list
            log.exception("Could not list regions")
            regions = []
        with settings_box.container():
            region = st.selectbox(
                "Region", [ALL_REGIONS, *regions], key="region",
                help="Begränsa svaren till en regions dokument. ”Alla” söker i alla dokument.",
            )
            as_of = st.date_input(
                "Gäller per datum", value=date.today(), key="as_of", format="YYYY-MM-DD",
                help="Datum för regler som ändras över tid, t.ex. vaccinationer.",
            )
        st.subheader("Konversation")
        st.button(
            "Ny konversation", key="new_conversation", on_click=clear_conversation,
            icon=":material/add_comment:", width="stretch",
            help="Töm chatten och börja om utan tidigare frågor.",
        )
        export_box = st.container()
        render_saved_conversations(assistant.settings)
        render_index_status(assistant)
    return (None if region == ALL_REGIONS else region), as_of, export_box


def render_export_button(region: str | None, as_of: date) -> None:
    messages = st.session_state.get("messages", [])
    markdown = conversation_markdown(export_turns(messages), region=region, as_of=as_of,
                                     exported_at=datetime.now())
    st.download_button(
        "Exportera som Markdown", data=markdown.encode("utf-8"),
        file_name=f"konversation-{date.today().isoformat()}.md", mime="text/markdown",
        key="export_markdown", icon=":material/download:", width="stretch",
        disabled=not messages, on_click="ignore",
        help="Hela konversationen med källor och regelkontroll som en Markdown-fil.",
    )


def render_index_status(assistant: Assistant) -> None:
    st.subheader("Index")
    try:
        status = assistant.status()
    except Exception:  # status is informative only
        log.exception("Could not read the index status")
        st.caption("Indexets status kunde inte läsas.")
        return
    st.markdown(
        f"Dokument: **{status.documents}**  \n"
        f"Textavsnitt: **{status.chunks}**  \n"
        f"Senast indexerat: **{format_timestamp(status.last_ingest)}**"
    )


def clear_conversation() -> None:
    # A callback runs before the rerun, so the cleared history is what the next run draws.
    st.session_state["messages"] = []
    st.session_state[CONVERSATION] = None
    st.session_state[SAVED] = 0
    st.query_params.pop(CONVERSATION_PARAM, None)


# --------------------------------------------------------------------------- saved conversations

def restore_conversation(settings: Settings) -> None:
    """The conversation the URL names (`?c=<id>`, after a reload or from a link), loaded into
    the session when it is not the one already shown."""
    from assistant.conversations import ConversationStore, valid_id

    wanted = st.query_params.get(CONVERSATION_PARAM)
    shown = st.session_state.get(CONVERSATION)
    if not wanted:
        if shown:  # the URL lost its id (a link without it): keep showing this conversation
            st.query_params[CONVERSATION_PARAM] = shown
        return
    if wanted == shown:
        return
    turns = None
    if valid_id(wanted):
        try:
            turns = ConversationStore.from_settings(settings).load(wanted)
        except Exception:  # a broken store must not cost the chat
            log.exception("Could not load a saved conversation")
    if turns is None:
        st.query_params.pop(CONVERSATION_PARAM, None)
        st.session_state[CONVERSATION] = None
        st.toast("Konversationen finns inte längre; en ny har börjat.", icon=":material/info:")
        return
    st.session_state["messages"] = turns
    st.session_state[CONVERSATION] = wanted
    st.session_state[SAVED] = len(turns)


def save_conversation(settings: Settings) -> None:
    """Keep the conversation (masked) under its id, giving it one on its first answer."""
    from assistant.conversations import ConversationStore, new_id

    messages = st.session_state.get("messages", [])
    if not messages:
        return
    conversation = st.session_state.get(CONVERSATION) or new_id()
    try:
        ConversationStore.from_settings(settings).save(conversation, messages)
    except Exception:
        log.exception("Could not save the conversation")
        st.toast("Konversationen kunde inte sparas; den finns kvar tills du laddar om sidan.",
                 icon=":material/error:")
        return
    st.session_state[CONVERSATION] = conversation
    st.session_state[SAVED] = len(messages)
    st.query_params[CONVERSATION_PARAM] = conversation


def render_saved_conversations(settings: Settings) -> None:
    """Earlier conversations, newest first; one click opens one."""
    from assistant.conversations import ConversationStore

    try:
        saved = ConversationStore.from_settings(settings).recent(8)
    except Exception:
        log.exception("Could not list saved conversations")
        st.caption("Tidigare konversationer kunde inte läsas.")
        return
    if not saved:
        return
    st.caption("Tidigare konversationer")
    current = st.session_state.get(CONVERSATION)
    for summary in saved:
        st.button(summary.title or "(utan titel)", key=f"conversation_{summary.id}",
                  icon=":material/history:", type="tertiary", width="stretch",
                  disabled=summary.id == current, on_click=_open_conversation,
                  args=(summary.id,))


def _open_conversation(conversation: str) -> None:
    st.query_params[CONVERSATION_PARAM] = conversation


def export_turns(messages: list[dict[str, Any]]) -> list[ExportTurn]:
    """Session messages → question/answer pairs for the Markdown export."""
    turns: list[ExportTurn] = []
    question: str | None = None
    for message in messages:
        if message["role"] == "user":
            question = message["content"]
        elif question is not None:
            turns.append(ExportTurn(question, message.get("answer"), message.get("error")))
            question = None
    return turns


# --------------------------------------------------------------------------- history + feedback

def render_history(messages: list[dict[str, Any]], settings: Settings) -> None:
    for message in messages:
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(escape_markdown(message["content"]))
            elif message.get("answer") is not None:
                render_answer(message["answer"], key=message["id"])
                render_feedback(message, settings)
            else:
                st.error(message.get("error", REFUSAL), icon=":material/error:")


def render_feedback(message: dict[str, Any], settings: Settings) -> None:
    """Thumbs (stored at once) and, once rated, an optional comment."""
    key = f"feedback_{message['id']}"
    st.feedback("thumbs", key=key, on_change=_store_rating, args=(message, settings, key))
    if message.get("feedback_id") is None:
        return
    with st.form(f"comment_form_{message['id']}", clear_on_submit=True, border=False):
        comment = st.text_input(
            "Kommentar till svaret (valfritt)", key=f"comment_{message['id']}",
            placeholder="Vad var bra eller fel? Skriv inga personuppgifter.",
            max_chars=2000)
        sent = st.form_submit_button("Skicka kommentar", icon=":material/send:")
    if sent and comment.strip():
        _store_comment(message, settings, comment)
    if message.get("comment_saved"):
        st.caption(FEEDBACK_SAVED + " Kommentaren är sparad.")
    else:
        st.caption(FEEDBACK_SAVED)


def _store_rating(message: dict[str, Any], settings: Settings, key: str) -> None:
    from assistant.feedback_store import FeedbackStore

    rating = THUMBS.get(st.session_state.get(key))
    if rating is None:  # a thumb taken back: keep the stored row, nothing new to say
        return
    store = FeedbackStore.from_settings(settings)
    try:
        if message.get("feedback_id") is None:
            entry = store.record(message["answer"], rating, settings=message.get("settings"))
            message["feedback_id"] = entry.id
        else:
            store.update(message["feedback_id"], rating=rating)
    except Exception:
        log.exception("Could not store feedback")
        st.toast("Återkopplingen kunde inte sparas. Försök igen.", icon=":material/error:")


def _store_comment(message: dict[str, Any], settings: Settings, comment: str) -> None:
    from assistant.feedback_store import FeedbackStore

    try:
        FeedbackStore.from_settings(settings).update(message["feedback_id"], comment=comment)
        message["comment_saved"] = True
    except Exception:
        log.exception("Could not store a feedback comment")
        st.error("Kommentaren kunde inte sparas. Försök igen.", icon=":material/error:")


# --------------------------------------------------------------------------- asking

def ask(assistant: Assistant, question: str, region: str | None,
        as_of: date | None = None, answer_mode: str | None = None, *,
        given: dict[str, Any] | None = None, shown: str | None = None) -> None:
    """Show the question, stream the reply with the earlier turns as context, keep both.
    `given`: facts chosen in a question back; `shown`: what the user's turn then reads
    ("Hur gammal är patienten? under 18 år") instead of the question asked again."""
    from assistant.feedback_store import answer_settings

    messages: list[dict[str, Any]] = st.session_state["messages"]
    history = history_turns(messages)
    # Kept, redrawn and exported masked; the Assistant gets the typed text because it masks
    # before anything else and adds the notice telling the user so.
    masked = mask_identifiers(question).text
    shown = mask_identifiers(shown).text if shown else masked
    messages.append({"role": "user", "content": shown})
    with st.chat_message("user"):
        st.markdown(escape_markdown(shown))
    reply: dict[str, Any] = {
        "role": "assistant", "id": uuid.uuid4().hex, "feedback_id": None,
        "question": masked, "given": dict(given or {}),
        "settings": answer_settings(assistant.settings, region, as_of,
                                    answer_mode=answer_mode),
    }
    with st.chat_message("assistant"):
        slot = st.empty()
        try:
            with slot.container():
                with st.spinner(GENERATING if answer_mode == "generative" else SEARCHING):
                    stream = assistant.ask_stream(question, history=history, region=region,
                                                  as_of=as_of, answer_mode=answer_mode,
                                                  given=given or None)
                    pieces = iter(stream)
                    # Retrieval runs until the first piece: keep the spinner until then.
                    first = next(pieces, "")
                st.write_stream(_escaped(chain([first], pieces)))
            answer = stream.answer
            if answer is None:
                raise RuntimeError("inget svar")
        except Exception as exc:  # show a message, keep the chat usable
            log.exception("The assistant failed to answer a question of %d characters",
                          len(question))
            error = ask_error_message(exc)
            slot.error(error, icon=":material/error:")
            messages.append({**reply, "error": error})
            return
        reply["answer"] = answer
        # Kept before it is drawn: a click while the answer is drawn stops this run, and the
        # answer must survive that (the next run draws it from the history).
        messages.append(reply)
        # The streamed text is a draft: the final answer (verified, maybe corrected) replaces it.
        with slot.container():
            render_answer(answer, key=reply["id"])
        render_feedback(reply, assistant.settings)


def reask(assistant: Assistant, choice: dict[str, Any], region: str | None, as_of: date | None,
          answer_mode: str | None) -> None:
    """Answer the question of the message the choice was made under again, with the chosen
    fact added to those chosen before."""
    messages: list[dict[str, Any]] = st.session_state["messages"]
    earlier = next((m for m in messages if m.get("id") == choice["message"]), None)
    if earlier is None or not earlier.get("question"):
        return  # the conversation was cleared meanwhile
    given = {**earlier.get("given", {}), choice["fact"]: choice["value"]}
    ask(assistant, earlier["question"], region, as_of, answer_mode, given=given,
        shown=choice["shown"])


def render_examples() -> None:
    """Example questions as buttons: one click asks it."""
    st.caption("Till exempel:")
    for i, example in enumerate(EXAMPLES):
        st.button(example, key=f"example_{i}", icon=":material/chat_bubble:", type="tertiary",
                  on_click=_pick_example, args=(example,))


def _pick_example(example: str) -> None:
    st.session_state[EXAMPLE] = example


def _escaped(pieces: Iterator[str]) -> Iterator[str]:
    for piece in pieces:
        yield _escape_inline(piece)


# --------------------------------------------------------------------------- the page

def chat_page() -> None:
    st.title(TITLE)
    st.markdown(INTRO)
    st.session_state.setdefault("messages", [])

    with st.sidebar:
        st.header("Inställningar")
        settings_box = st.container()
        mode_box = st.container()
    assistant = load_assistant()
    if assistant is None:
        st.stop()
    restore_conversation(assistant.settings)
    mode = render_mode_select(mode_box, assistant.settings)
    region, as_of, export_box = render_sidebar(assistant, settings_box)

    messages = st.session_state["messages"]
    if not messages:
        render_examples()
    render_history(messages, assistant.settings)
    question = st.chat_input(PLACEHOLDER, max_chars=assistant.settings.max_question_chars)
    choice = st.session_state.pop(REASK, None)
    example = st.session_state.pop(EXAMPLE, None)
    if question and question.strip():
        ask(assistant, question.strip(), region, as_of, mode)
    elif choice is not None:
        reask(assistant, choice, region, as_of, mode)
    elif example is not None:
        ask(assistant, example, region, as_of, mode)
    # Also catches up on a turn whose run a click stopped before it was saved.
    if len(st.session_state["messages"]) > st.session_state.get(SAVED, 0):
        save_conversation(assistant.settings)
    # Last, so that the export holds the answer given in this run too.
    with export_box:
        render_export_button(region, as_of)


if __name__ == "__main__":  # st.navigation runs a page as __main__; an import draws nothing
    chat_page()
