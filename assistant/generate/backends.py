"""Chat models by settings, through LangChain, bound to the answer's JSON schema.

`settings.llm_backend`:
- "openai": any OpenAI-compatible endpoint (`llm_base_url`, `llm_model`; the key is read from the
  environment variable named by `llm_api_key_env`);
- "ollama": `langchain_ollama.ChatOllama` (`llm_base_url`, `llm_model`), imported lazily;
- "local": the bundled GGUF model behind a local xllamacpp server on 127.0.0.1 (started or
  reused, see local_server), spoken to through ChatOpenAI.
Each returns a runnable that takes chat messages and streams JSON that follows `schema`.

Usage (needs a chat model, so not a doctest):

    model = make_chat_model(Settings.load().with_(llm_backend="local"), ANSWER_SCHEMA)
    "".join(chunk.content for chunk in model.stream([("human", "…")]))
    # '{"passages": [1], "claims": [{"passages": [1], "quote": "…", "text": "…"}]}'
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Iterator

from assistant.generate.local_server import (
    TOKEN,
    BackendUnavailable,
    check_local_model,
    ensure_local_server,
)
from assistant.generate.prompt import ANSWER_SCHEMA, capped_schema
from core.settings import LlmBackend, Settings


def _openai(settings: Settings, base_url: str | None, model: str, api_key: str,
            schema: dict[str, Any]) -> Any:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise BackendUnavailable("Paketet langchain-openai saknas: `pip install -e .[llm]` / "
                                 "langchain-openai is not installed.") from exc
    chat = ChatOpenAI(base_url=base_url or None, model=model, api_key=api_key,
                      temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens,
                      timeout=settings.llm_timeout_s, max_retries=1)
    return chat.bind(response_format={"type": "json_schema", "json_schema": {
        "name": "svar", "schema": schema, "strict": True}})


class LocalChat:
    """ChatOpenAI on the local server, which is (re)started if it is not answering."""

    def __init__(self, settings: Settings, schema: dict[str, Any]) -> None:
        self.settings = settings
        base_url = ensure_local_server(settings)
        # The server serves one model under any name; the key is this process's own token.
        if schema is ANSWER_SCHEMA:
            schema = capped_schema()
        self.chat = _openai(settings, base_url, settings.llm_model or "local", TOKEN, schema)

    def stream(self, messages: Any, **kwargs: Any) -> Iterator[Any]:
        ensure_local_server(self.settings)  # a cheap check while the server runs
        return self.chat.stream(messages, **kwargs)

    def invoke(self, messages: Any, **kwargs: Any) -> Any:
        ensure_local_server(self.settings)
        return self.chat.invoke(messages, **kwargs)


def backend_missing(settings: Settings) -> str | None:
    """Why generative answers cannot run here (Swedish and English), or None when the
    configured backend has what it needs; checked without starting or calling anything, so
    that the chat offers the mode only where it can work."""
    backend = settings.llm_backend
    try:
        if backend is LlmBackend.LOCAL:
            check_local_model(settings)
        elif backend is LlmBackend.OPENAI:
            if not os.environ.get(settings.llm_api_key_env, ""):
                return (f"Ingen API-nyckel i {settings.llm_api_key_env} / no API key in "
                        f"{settings.llm_api_key_env}.")
            if not settings.llm_model:
                return "Ange modellen i HJALP_LLM_MODEL / set HJALP_LLM_MODEL."
        else:  # ollama
            if importlib.util.find_spec("langchain_ollama") is None:
                return "Paketet langchain-ollama saknas / langchain-ollama is not installed."
            if not settings.llm_model:
                return "Ange modellen i HJALP_LLM_MODEL / set HJALP_LLM_MODEL."
    except BackendUnavailable as exc:
        return str(exc)
    return None


def make_chat_model(settings: Settings, schema: dict[str, Any]) -> Any:
    """The configured chat model; BackendUnavailable (Swedish/English) says what is missing."""
    backend = settings.llm_backend
    if backend is LlmBackend.OPENAI:
        key = os.environ.get(settings.llm_api_key_env, "")
        if not key:
            raise BackendUnavailable(
                f"Ingen API-nyckel: sätt miljövariabeln {settings.llm_api_key_env} / "
                f"no API key: set the environment variable {settings.llm_api_key_env}.")
        if not settings.llm_model:
            raise BackendUnavailable("Ange modellen i HJALP_LLM_MODEL / set HJALP_LLM_MODEL.")
        return _openai(settings, settings.llm_base_url, settings.llm_model, key, schema)
    if backend is LlmBackend.OLLAMA:
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise BackendUnavailable(
                "Paketet langchain-ollama saknas: `pip install langchain-ollama` / "
                "langchain-ollama is not installed.") from exc
        if not settings.llm_model:
            raise BackendUnavailable("Ange modellen i HJALP_LLM_MODEL / set HJALP_LLM_MODEL.")
        kwargs: dict[str, Any] = {"model": settings.llm_model, "format": schema,
                                  "temperature": settings.llm_temperature,
                                  "num_predict": settings.llm_max_tokens}
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
        return ChatOllama(**kwargs)
    return LocalChat(settings, schema)
