"""Who may change the library and read feedback: editors, and how their sign-in is checked.

Reading the chat needs nothing; uploading, reviewing, deleting, re-indexing and the feedback rows
need an editor. How an editor signs in is read from Streamlit's secrets file
(`.streamlit/secrets.toml`, never committed):

- an `[auth]` section: Streamlit's own OIDC sign-in (`st.login`); optionally `[editor] emails`
  names who of the provider's users are editors, and `[editor] provider` which provider to use;
- otherwise `[editor] password_hash`: one shared editor password, stored only as a salted scrypt
  hash made by `python -m assistant editor-password`;
- neither: editing is off, and the pages say how to turn it on.

Pure functions, no Streamlit (the sign-in form is `ui/editor_auth.py`), so the CLI and the
tests use the same code as the app.

Example:
    >>> stored = hash_password("ett långt lösenord")
    >>> verify_password("ett långt lösenord", stored), verify_password("fel", stored)
    (True, False)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SECRETS_FILE = ".streamlit/secrets.toml"
HASH_COMMAND = "python -m assistant editor-password"
SCHEME = "scrypt"
# OWASP's scrypt setting with 32 MiB (N=2^15, r=8, p=3): a fraction of a second per check, so
# guessing is slow while one sign-in stays quick. The parameters travel in the hash, so they
# can be raised later without breaking hashes already pasted into secrets files.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 3
SALT_BYTES = 16
KEY_BYTES = 32
# A hash whose parameters ask for more than this is refused instead of run: a typo in the
# secrets file must not make every sign-in take minutes or exhaust the server's memory.
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
MIN_PASSWORD_CHARS = 12
# Wrong passwords in one session: the first few are free (typos), then each next try waits twice
# as long as the one before, up to MAX_RETRY_WAIT_S.
FREE_ATTEMPTS = 3
FIRST_RETRY_WAIT_S = 5.0
MAX_RETRY_WAIT_S = 300.0


class SignInMethod(StrEnum):
    """How editors sign in, as the secrets file says."""

    OIDC = "oidc"  # Streamlit's st.login, configured in [auth]
    PASSWORD = "password"  # [editor] password_hash
    NONE = "none"  # nothing configured (or configured wrongly): editing is off


class PasswordHashError(ValueError):
    """A stored hash that cannot be read; the message is Swedish and says how to fix it."""


@dataclass(frozen=True)
class ScryptHash:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


@dataclass(frozen=True)
class EditorAccess:
    """What the secrets file says about editors. `problem` (Swedish) set means editing is off
    because the configuration is wrong, and the page shows it."""

    method: SignInMethod
    password_hash: str = ""
    provider: str | None = None
    emails: frozenset[str] = frozenset()
    problem: str | None = None


# --------------------------------------------------------------------------- hashing

def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$<salt>$<key>` (base64) for `password`, with a fresh random salt."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return "$".join((SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     _b64(salt), _b64(key)))


def parse_hash(stored: str) -> ScryptHash:
    """The parts of a stored hash; PasswordHashError saying what is wrong otherwise."""
    if not isinstance(stored, str) or not stored.strip():
        raise PasswordHashError(_malformed("den är tom"))
    parts = stored.strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise PasswordHashError(_malformed(
            f"den ska ha formen {SCHEME}$N$r$p$salt$nyckel"))
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = base64.b64decode(parts[4], validate=True), \
            base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise PasswordHashError(_malformed("talen eller base64-delarna går inte att läsa")) \
            from None
    if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16 \
            or 128 * r * n > MAX_SCRYPT_MEMORY:
        raise PasswordHashError(_malformed(f"orimliga scrypt-parametrar N={n}, r={r}, p={p}"))
    if len(salt) < 8 or len(key) < 16:
        raise PasswordHashError(_malformed("salt eller nyckel är för kort"))
    return ScryptHash(n=n, r=r, p=p, salt=salt, key=key)


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (compared in constant time). A malformed `stored`
    raises PasswordHashError rather than reading as a wrong password: the editor must learn
    that the secrets file is wrong, not that they mistyped."""
    parsed = parse_hash(stored)
    key = _scrypt(password, parsed.salt, parsed.n, parsed.r, parsed.p, len(parsed.key))
    return hmac.compare_digest(key, parsed.key)


def fingerprint(stored: str) -> str:
    """A short stand-in for the stored hash that a session keeps: when the secrets file gets
    another hash (a new password), sessions signed in with the old one are signed out."""
    return hashlib.sha256(stored.strip().encode("utf-8")).hexdigest()[:32]


def new_password_problem(password: str, again: str) -> str | None:
    """Why a new editor password cannot be used (Swedish), or None."""
    if password != again:
        return "Lösenorden är inte lika; försök igen."
    if len(password) < MIN_PASSWORD_CHARS:
        return (f"Lösenordet är för kort ({len(password)} tecken); använd minst "
                f"{MIN_PASSWORD_CHARS}, gärna en fras av flera ord.")
    if password.strip() != password:
        return "Lösenordet börjar eller slutar med mellanslag; ta bort dem."
    return None


def secrets_lines(stored: str) -> str:
    """The TOML to paste into the secrets file."""
    return f'[editor]\npassword_hash = "{stored}"\n'


def retry_wait(failures: int) -> float:
    """Seconds a session waits before its next password try, after `failures` wrong ones."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_RETRY_WAIT_S, FIRST_RETRY_WAIT_S * 2 ** (failures - FREE_ATTEMPTS))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # maxmem: OpenSSL's default (32 MiB) is just below what N=2^15, r=8 needs.
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=2 * 128 * r * n + 1024 * 1024)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _malformed(why: str) -> str:
    return (f"Lösenordshashen i [editor] password_hash i {SECRETS_FILE} är felformad ({why}). "
            f"Skapa en ny med `{HASH_COMMAND}` och klistra in raderna i filen i stället för de "
            "gamla; starta sedan om appen.")


# --------------------------------------------------------------------------- configuration

def editor_access(secrets: Mapping[str, Any]) -> EditorAccess:
    """How editors sign in, from the secrets file's contents (`st.secrets.to_dict()`)."""
    editor = secrets.get("editor", {})
    if not isinstance(editor, Mapping):
        return _broken("[editor] ska vara ett avsnitt (en tabell) med password_hash")
    auth = secrets.get("auth")
    if auth is not None:
        return _oidc_access(auth, editor)
    stored = editor.get("password_hash")
    if stored is None:
        return EditorAccess(SignInMethod.NONE)
    if not isinstance(stored, str):
        return _broken("password_hash ska vara en text inom citattecken")
    try:
        parse_hash(stored)
    except PasswordHashError as exc:
        return EditorAccess(SignInMethod.NONE, problem=str(exc))
    return EditorAccess(SignInMethod.PASSWORD, password_hash=stored.strip())


def _oidc_access(auth: Any, editor: Mapping[str, Any]) -> EditorAccess:
    if not isinstance(auth, Mapping):
        return _broken("[auth] ska vara ett avsnitt (en tabell) med OIDC-inställningarna")
    emails = editor.get("emails", [])
    if isinstance(emails, str) or not isinstance(emails, list | tuple) \
            or not all(isinstance(e, str) and "@" in e for e in emails):
        return _broken('[editor] emails ska vara en lista med e-postadresser, t.ex. '
                       'emails = ["anna@region.se"]')
    # Named providers are the sub-tables of [auth] ([auth.microsoft]); the default provider's
    # settings stand in [auth] itself.
    named = sorted(k for k, v in auth.items() if isinstance(v, Mapping))
    provider = editor.get("provider")
    if provider is not None and (not isinstance(provider, str) or provider not in named):
        return _broken(f"[editor] provider = {provider!r} finns inte som [auth.{provider}]")
    if provider is None and "client_id" not in auth and len(named) == 1:
        provider = named[0]
    return EditorAccess(SignInMethod.OIDC, provider=provider,
                        emails=frozenset(e.strip().lower() for e in emails))


def _broken(why: str) -> EditorAccess:
    return EditorAccess(SignInMethod.NONE, problem=(
        f"Redaktörsinloggningen i {SECRETS_FILE} är felaktig: {why}. Rätta filen och starta "
        "om appen."))


def oidc_editor(access: EditorAccess, user: Mapping[str, Any]) -> bool:
    """Whether a user signed in through OIDC (`st.user`) is an editor: signed in, and, when
    `[editor] emails` names editors, one of them with an e-mail the provider has not marked
    unverified (an unverified address could be anyone's)."""
    if user.get("is_logged_in") is not True:
        return False
    if not access.emails:
        return True
    email = user.get("email")
    if not isinstance(email, str) or user.get("email_verified") is False:
        return False
    return email.strip().lower() in access.emails
