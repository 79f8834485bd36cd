"""Who may do what (issue 16 §2): the editor's password hash, the secrets file, and the pages
locked for a stranger and open to an editor.

The hash and the secrets are `assistant/editors.py` (pure); the pages go through
`streamlit.testing.v1.AppTest` with `AppTest.secrets` standing in for `.streamlit/secrets.toml`
and the editor signing in through the page's own form. The real browser test is
`tests/test_browser.py::test_a_stranger_cannot_change_the_library_or_read_feedback_and_an_editor_can`.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import EDITOR_PASSWORD, editor_secrets, run_page, sign_in
from streamlit.testing.v1 import AppTest

from assistant import __main__ as cli
from assistant.editors import (
    FIRST_RETRY_WAIT_S,
    MAX_RETRY_WAIT_S,
    PasswordHashError,
    SignInMethod,
    editor_access,
    hash_password,
    new_password_problem,
    oidc_editor,
    parse_hash,
    retry_wait,
    verify_password,
)
from assistant.feedback_store import FeedbackStore
from core.values import Answer

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "views" / "documents.py"
FEEDBACK = ROOT / "views" / "feedback.py"
TIMEOUT = 120  # the first run in a process loads the model
# Buttons that change the library; none may be drawn for a stranger.
CHANGING = {"Ladda upp och indexera", "Indexera om hela biblioteket", "Ta bort dokumentet",
            "Markera som granskat"}
OIDC = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "hjalp", "client_secret": "hemligt",
        "server_metadata_url": "https://login.example.invalid/.well-known/openid-configuration"}


# --------------------------------------------------------------------------- hash and verify

def test_a_hash_verifies_its_password_and_nothing_else() -> None:
    stored = hash_password("korrekt häst batteri")
    assert stored.startswith("scrypt$32768$8$3$")
    assert verify_password("korrekt häst batteri", stored)
    assert not verify_password("korrekt häst batteri ", stored)
    assert not verify_password("Korrekt häst batteri", stored)
    assert not verify_password("", stored)
    # A fresh salt each time: the same password never gives the same line twice.
    assert hash_password("korrekt häst batteri") != stored
    assert len(parse_hash(stored).salt) == 16


@pytest.mark.parametrize("stored", [
    "", "   ", "hemligt", "scrypt$32768$8$3$AAAA", "pbkdf2$32768$8$3$AAAAAAAAAAAAAAAA$AAAA",
    "scrypt$mycket$8$3$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "scrypt$32768$8$3$inte*base64$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "scrypt$1000$8$3$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    # 2^30 × r 8 would need 1 TiB: refused, not run.
    "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "scrypt$32768$8$3$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
])
def test_a_malformed_hash_is_a_swedish_error_not_a_wrong_password(stored: str) -> None:
    with pytest.raises(PasswordHashError) as caught:
        verify_password(EDITOR_PASSWORD, stored)
    message = str(caught.value)
    assert "felformad" in message and "python -m assistant editor-password" in message
    assert ".streamlit/secrets.toml" in message
    # Read from the secrets file, the same message locks editing instead of raising.
    access = editor_access({"editor": {"password_hash": stored}})
    assert access.method is SignInMethod.NONE and access.problem == message


def test_the_secrets_file_says_how_editors_sign_in() -> None:
    assert editor_access({}) == editor_access({"editor": {}})
    assert editor_access({}).method is SignInMethod.NONE and editor_access({}).problem is None
    stored = hash_password(EDITOR_PASSWORD)
    access = editor_access({"editor": {"password_hash": stored + "\n"}})
    assert access.method is SignInMethod.PASSWORD and access.password_hash == stored
    for broken in ({"editor": "hemligt"}, {"editor": {"password_hash": 12345}},
                   {"auth": "ja"}, {"auth": OIDC, "editor": {"emails": "anna@region.se"}},
                   {"auth": OIDC, "editor": {"provider": "google"}}):
        access = editor_access(broken)
        assert access.method is SignInMethod.NONE
        assert "Redaktörsinloggningen i .streamlit/secrets.toml är felaktig" in access.problem
    # [auth] wins over a password; one named provider is the one used.
    access = editor_access({"auth": OIDC, "editor": {"password_hash": stored,
                                                     "emails": ["Anna@Region.se"]}})
    assert access.method is SignInMethod.OIDC and access.provider is None
    assert access.emails == {"anna@region.se"}
    named = editor_access({"auth": {"redirect_uri": "x", "cookie_secret": "y",
                                    "microsoft": {"client_id": "z"}}})
    assert named.method is SignInMethod.OIDC and named.provider == "microsoft"


def test_who_signed_in_through_oidc_is_an_editor() -> None:
    everyone = editor_access({"auth": OIDC})
    listed = editor_access({"auth": OIDC, "editor": {"emails": ["anna@region.se"]}})
    anna = {"is_logged_in": True, "email": "Anna@Region.se"}
    assert not oidc_editor(everyone, {}) and not oidc_editor(everyone, {"is_logged_in": False})
    assert oidc_editor(everyone, {"is_logged_in": True})
    assert oidc_editor(listed, anna)
    assert not oidc_editor(listed, {"is_logged_in": True, "email": "bo@region.se"})
    assert not oidc_editor(listed, {"is_logged_in": True})
    assert not oidc_editor(listed, {**anna, "email_verified": False})
    assert not oidc_editor(listed, {**anna, "is_logged_in": "true"})


def test_wrong_passwords_make_the_next_try_wait_longer() -> None:
    assert [retry_wait(n) for n in range(6)] == [0, 0, 0, FIRST_RETRY_WAIT_S,
                                                 2 * FIRST_RETRY_WAIT_S, 4 * FIRST_RETRY_WAIT_S]
    assert retry_wait(100) == MAX_RETRY_WAIT_S


def test_a_new_password_must_be_typed_twice_and_be_long() -> None:
    assert "inte lika" in new_password_problem("ett långt lösenord", "ett långt lösenorD")
    assert "för kort" in new_password_problem("kort", "kort")
    assert "mellanslag" in new_password_problem(" ett långt lösenord", " ett långt lösenord")
    assert new_password_problem("ett långt lösenord", "ett långt lösenord") is None


def test_the_cli_prints_the_line_to_paste_and_never_the_password(monkeypatch, capsys) -> None:
    typed = iter(["ett långt lösenord", "ett långt lösenord"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    # A broken setting does not stop an administrator from making a password.
    monkeypatch.setenv("HJALP_TOP_K", "många")
    assert cli.main(["editor-password"]) == 0
    out, err = capsys.readouterr()
    assert "ett långt lösenord" not in out + err
    assert ".streamlit/secrets.toml" in err
    pasted = tomllib.loads(out)
    assert verify_password("ett långt lösenord", pasted["editor"]["password_hash"])
    assert editor_access(pasted).method is SignInMethod.PASSWORD

    typed = iter(["ett långt lösenord", "ett annat lösenord"])
    assert cli.main(["editor-password"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "inte lika" in err


def test_the_default_bind_is_loopback_and_the_secrets_file_is_never_committed() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert "server.address" not in (ROOT / "Makefile").read_text(encoding="utf-8")
    if shutil.which("git") and (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"],
                                 cwd=ROOT, check=False)
        assert ignored.returncode == 0, "add .streamlit/secrets.toml to .gitignore"


# --------------------------------------------------------------------------- the pages

def _buttons(test: AppTest) -> set[str]:
    return {b.label for b in test.button}


def _documents(secrets: dict | None, **user) -> AppTest:
    test = AppTest.from_file(str(DOCUMENTS), default_timeout=TIMEOUT)
    test.secrets.update(secrets or {})
    if user:
        test.user = user
    return run_page(test)


def _locked(test: AppTest) -> None:
    assert not test.file_uploader
    assert not _buttons(test) & CHANGING
    assert any("kräver att du loggar in som redaktör" in i.value for i in test.info)


@pytest.mark.slow
def test_with_nothing_configured_the_library_is_readable_and_locked(page_env) -> None:
    # A secrets file without [editor] or [auth] (it may hold other secrets).
    test = _documents({"annat": {"nyckel": "värde"}})
    assert any("Textavsnitt" in df.value.columns for df in test.dataframe)  # reading is open
    assert test.selectbox(key="reader_doc")
    _locked(test)
    assert "Logga in" not in _buttons(test) and not test.text_input
    said = " ".join(w.value for w in test.warning)
    assert "python -m assistant editor-password" in said and ".streamlit/secrets.toml" in said
    # How to turn editing on never advises deleting anything.
    assert not any(word in said for word in ("make clean", "rm ", "radera", "ta bort"))


@pytest.mark.slow
def test_a_stranger_is_locked_out_and_the_editor_signs_in_and_out(page_env) -> None:
    test = _documents(editor_secrets())
    _locked(test)
    assert test.text_input(key="editor_password").proto.type == 1  # a password field
    sign_in(test, "gissat lösenord")
    assert [e.value for e in test.error] == ["Fel lösenord."]
    _locked(test)

    sign_in(test)
    assert not test.error and test.file_uploader
    assert {"Ladda upp och indexera", "Indexera om hela biblioteket"} <= _buttons(test)
    assert "Logga ut" in _buttons(test)
    assert not any(t.key == "editor_password" for t in test.text_input)
    # The password is not kept anywhere in the session, nor in the URL.
    assert EDITOR_PASSWORD not in repr(test.session_state.to_dict())
    assert not test.query_params

    test.button(key="editor_sign_out").click()
    run_page(test)
    _locked(test)

    # A new session (a reload, another tab) starts signed out.
    _locked(_documents(editor_secrets()))


@pytest.mark.slow
def test_repeated_wrong_passwords_make_the_session_wait(page_env) -> None:
    test = _documents(editor_secrets())
    for _ in range(3):
        sign_in(test, "gissat lösenord")
        assert [e.value for e in test.error] == ["Fel lösenord."]
    sign_in(test)  # even the right one waits now
    assert any("För många felaktiga lösenord. Vänta" in e.value for e in test.error)
    _locked(test)


@pytest.mark.slow
def test_a_new_password_signs_out_the_sessions_of_the_old_one(page_env) -> None:
    test = sign_in(_documents(editor_secrets()))
    assert test.file_uploader
    test.secrets["editor"] = {"password_hash": hash_password("ett helt nytt lösenord")}
    run_page(test)
    _locked(test)


@pytest.mark.slow
def test_a_malformed_hash_in_the_secrets_file_is_said_in_swedish(page_env) -> None:
    test = _documents({"editor": {"password_hash": "scrypt$inte-en-hash"}})
    assert not test.exception
    _locked(test)
    assert not test.text_input  # no form that could never succeed
    said = " ".join(e.value for e in test.error)
    assert "felformad" in said and "python" in said and "editor-password" in said


def _feedback_db(tmp_path: Path, monkeypatch) -> FeedbackStore:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.record(Answer(question="Vem förskriver en rollator i Norrbotten?",
                        text="Arbetsterapeut eller fysioterapeut [1]."), "up",
                 comment="hemlig kommentar")
    monkeypatch.setenv("HJALP_FEEDBACK_DB", str(store.path))
    return store


def test_a_stranger_reads_no_feedback_and_the_editor_reads_and_exports_it(tmp_path,
                                                                           monkeypatch) -> None:
    _feedback_db(tmp_path, monkeypatch)
    for secrets in ({"annat": {"nyckel": "värde"}}, editor_secrets()):
        test = AppTest.from_file(str(FEEDBACK), default_timeout=30)
        test.secrets.update(secrets)
        run_page(test)
        assert test.title[0].value == "Återkoppling"
        assert not test.dataframe and not test.metric and not test.get("download_button")
        assert not any(t.key == "fb_text" for t in test.text_input)  # no filters either
        shown = " ".join(str(m.value) for m in (*test.markdown, *test.info, *test.warning))
        assert "hemlig kommentar" not in shown and "rollator" not in shown
        assert any("bara läsas och exporteras av en redaktör" in i.value for i in test.info)

    sign_in(test)
    assert [m.value for m in test.metric] == ["1", "1", "0"]
    assert test.dataframe[0].value["Kommentar"][0] == "hemlig kommentar"
    assert [b.label for b in test.get("download_button")] == ["Ladda ned JSONL", "Ladda ned CSV"]


def test_oidc_sign_in_is_streamlits_and_only_listed_accounts_are_editors(tmp_path,
                                                                         monkeypatch) -> None:
    _feedback_db(tmp_path, monkeypatch)
    secrets = {"auth": OIDC, "editor": {"emails": ["anna@region.se"]}}

    def page(**user) -> AppTest:
        test = AppTest.from_file(str(FEEDBACK), default_timeout=30)
        test.secrets.update(secrets)
        test.user = user
        return run_page(test)

    stranger = page(is_logged_in=False)
    assert not stranger.dataframe and "Logga in som redaktör" in _buttons(stranger)
    assert not stranger.text_input  # no password field beside OIDC
    stranger.button(key="editor_sign_in_oidc").click()
    run_page(stranger)
    assert not stranger.dataframe
    try:
        import authlib  # noqa: F401
    except ImportError:  # Authlib is an optional install: the page says what to install
        assert any("kräver paketet Authlib" in e.value for e in stranger.error)

    other = page(is_logged_in=True, email="bo@region.se")
    assert not other.dataframe
    assert any("inte redaktör" in w.value for w in other.warning)

    anna = page(is_logged_in=True, email="Anna@Region.se", email_verified=True)
    assert [m.value for m in anna.metric] == ["1", "1", "0"]
    assert any("anna@region" in c.value.lower() for c in anna.caption)
    anna.button(key="editor_sign_out").click()
    run_page(anna)  # st.logout() clears Streamlit's identity: signed out
    assert not anna.dataframe and "Logga in som redaktör" in _buttons(anna)
