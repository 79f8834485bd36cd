"""The editor's sign-in on the pages that change the library or show feedback.

A page calls `editor_gate(...)` around what only an editor may see or do; it draws the sign-in
(or why editing is off) in that place and returns True once this session is an editor, after
drawing who is signed in and a "Logga ut" button. What the secrets file says and how a password
is checked is `assistant.editors`; this module only draws and keeps the session's state.

The state lives in `st.session_state` (one browser tab's session; never in the URL or a
cookie): a reload or a new tab is a new session and signs in again. With OIDC, Streamlit's own
identity cookie says who is signed in (`st.user`), as `st.login` documents.

Usage (in a page; drawing needs a Streamlit run):

    if editor_gate("Ändra biblioteket", "Att ladda upp … kräver en redaktör."):
        render_upload(library)
"""

from __future__ import annotations

import logging
import time
from typing import Any

import streamlit as st

from assistant.editors import (
    HASH_COMMAND,
    SECRETS_FILE,
    EditorAccess,
    PasswordHashError,
    SignInMethod,
    editor_access,
    fingerprint,
    oidc_editor,
    retry_wait,
    verify_password,
)
from ui.common import escape_markdown

log = logging.getLogger("hjalp.app")

# Session keys no widget uses: a browser can set a widget's value, never these.
SIGNED_IN = "_editor_signed_in"  # the fingerprint of the hash this session signed in with
FAILURES = "_editor_failures"  # (wrong passwords in a row, time.monotonic() of the last)
PASSWORD_FORM = "editor_sign_in"

NOT_CONFIGURED = (
    "Ingen redaktörsinloggning är inställd, så det här är låst för alla. Så slår du på den: kör "
    f"`{HASH_COMMAND}` i projektmappen, välj ett lösenord och klistra in raderna den skriver "
    f"i `{SECRETS_FILE}` (skapa filen om den saknas, och checka inte in den); starta sedan om "
    "appen. Inloggning via organisationens konto (OIDC) ställs in i avsnittet `[auth]` i samma "
    "fil. Se README, avsnittet Redaktörer."
)


def editor_access_now() -> EditorAccess:
    """How editors sign in, from the secrets file as Streamlit reads it (never raises)."""
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        secrets = st.secrets.to_dict()
    except StreamlitSecretNotFoundError as exc:
        if getattr(exc, "error_id", None) == "no-secrets-found":
            return EditorAccess(SignInMethod.NONE)
        return _unreadable(exc)
    except Exception as exc:  # noqa: BLE001 - the page must show why, not a traceback
        return _unreadable(exc)
    return editor_access(secrets)


def _unreadable(exc: BaseException) -> EditorAccess:
    log.warning("The secrets file could not be read: %s", type(exc).__name__)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return EditorAccess(SignInMethod.NONE, problem=(
        f"Hemlighetsfilen ({SECRETS_FILE}) kunde inte läsas ({first[:200]}), så det som kräver "
        "en redaktör är låst. Rätta filen (den ska vara giltig TOML) och starta om appen."))


def is_editor(access: EditorAccess | None = None) -> bool:
    """Whether this session is an editor now (draws nothing)."""
    access = access or editor_access_now()
    if access.method is SignInMethod.OIDC:
        return oidc_editor(access, _user())
    if access.method is SignInMethod.PASSWORD:
        return st.session_state.get(SIGNED_IN) == fingerprint(access.password_hash)
    return False


def editor_gate(title: str | None, locked: str) -> bool:
    """Draw the sign-in where the editor's part of a page stands; True when this session is an
    editor (the caller then draws that part). `locked` says, in Swedish, what is locked."""
    access = editor_access_now()
    if is_editor(access):
        _signed_in(access)
        return True
    if access.method is SignInMethod.PASSWORD:
        # A session signed in with another (older) hash is signed out: the password changed.
        st.session_state.pop(SIGNED_IN, None)
    if title:
        st.subheader(title)
    st.info(locked, icon=":material/lock:")
    if access.problem is not None:
        st.error(escape_markdown(access.problem), icon=":material/error:")
    elif access.method is SignInMethod.NONE:
        st.warning(NOT_CONFIGURED, icon=":material/lock:")
    elif access.method is SignInMethod.OIDC:
        _oidc_sign_in(access)
    else:
        _password_sign_in(access)
    return False


# --------------------------------------------------------------------------- signed in

def _signed_in(access: EditorAccess) -> None:
    left, right = st.columns([4, 1], vertical_alignment="center")
    if access.method is SignInMethod.OIDC:
        who = _user().get("email") or _user().get("name") or ""
        left.caption("Du är inloggad som redaktör" +
                     (f": {escape_markdown(str(who))}." if who else "."))
    else:
        left.caption("Du är inloggad som redaktör (med lösenord) i den här fliken.")
    if right.button("Logga ut", key="editor_sign_out", icon=":material/logout:"):
        st.session_state.pop(SIGNED_IN, None)
        log.info("Editor signed out")
        if access.method is SignInMethod.OIDC:
            st.logout()  # removes Streamlit's identity cookie and starts a new session
        st.rerun()


# --------------------------------------------------------------------------- password

def _password_sign_in(access: EditorAccess) -> None:
    # clear_on_submit: the password does not stay in the widget's state after the try.
    with st.form(PASSWORD_FORM, clear_on_submit=True):
        password = st.text_input("Redaktörens lösenord", type="password",
                                 key="editor_password", autocomplete="current-password")
        submitted = st.form_submit_button("Logga in", icon=":material/login:")
    if not submitted:
        return
    failures, last = st.session_state.get(FAILURES, (0, 0.0))
    wait = last + retry_wait(failures) - time.monotonic()
    if wait > 0:
        # Not even checked: each try costs the guesser the wait, whatever they type.
        st.error(f"För många felaktiga lösenord. Vänta {max(1, round(wait))} sekunder och "
                 "försök igen.", icon=":material/timer:")
        return
    if not password:
        st.error("Skriv lösenordet.")
        return
    try:
        ok = verify_password(password, access.password_hash)
    except PasswordHashError as exc:  # checked when read; kept for a hash changed meanwhile
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    if not ok:
        st.session_state[FAILURES] = (failures + 1, time.monotonic())
        log.warning("Editor sign-in failed (%d in a row in this session)", failures + 1)
        st.error("Fel lösenord.", icon=":material/error:")
        return
    st.session_state.pop(FAILURES, None)
    st.session_state[SIGNED_IN] = fingerprint(access.password_hash)
    log.info("Editor signed in with the password")
    st.rerun()


# --------------------------------------------------------------------------- OIDC

def _user() -> dict[str, Any]:
    try:
        return st.user.to_dict()
    except Exception:  # noqa: BLE001 - no identity: nobody is signed in
        return {}


def _oidc_sign_in(access: EditorAccess) -> None:
    user = _user()
    if user.get("is_logged_in") is True:
        # Signed in at the provider, but not one of [editor] emails.
        who = escape_markdown(str(user.get("email") or user.get("name") or "okänd"))
        st.warning(f"Du är inloggad som {who}, men det kontot är inte redaktör. Be den som "
                   f"sköter appen att lägga till adressen i [editor] emails i {SECRETS_FILE}.",
                   icon=":material/person_off:")
        if st.button("Logga ut", key="editor_sign_out", icon=":material/logout:"):
            st.logout()
        return
    if not st.button("Logga in som redaktör", key="editor_sign_in_oidc", type="primary",
                     icon=":material/login:"):
        return
    from streamlit.errors import StreamlitAuthError, StreamlitMissingAuthlibError

    try:
        if access.provider:
            st.login(access.provider)
        else:
            st.login()
    except StreamlitMissingAuthlibError:
        st.error("Inloggning via OIDC kräver paketet Authlib: installera det med "
                 '`pip install "Authlib>=1.3.2"` och starta om appen.', icon=":material/error:")
    except StreamlitAuthError as exc:
        log.warning("OIDC sign-in is misconfigured: %s", exc)
        st.error(f"OIDC-inställningarna i [auth] i {SECRETS_FILE} är ofullständiga "
                 f"({escape_markdown(_first_line(exc))}). Rätta filen och starta om appen.",
                 icon=":material/error:")


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
