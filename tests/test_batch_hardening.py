"""Batch hardening (issue 16 §11) through the real CLI in a subprocess, on the bundled index.

Every bad input line is named at once and the good ones are answered; answers are written as
they are made to a temporary file next to the output and renamed over it at the end; a real
SIGTERM (or SIGINT) mid-run keeps the answers so far in `<out>.partial` and leaves the previous
output untouched; file names in CLI output cannot forge lines or send terminal escape codes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.batch import BatchInputError, check_rows, read_rows
from core.terminal import printable
from tests.conftest import PROJECT_ROOT, hjalp_env, write_corpus

CLI_TIMEOUT = 240
GOOD = "Vem förskriver en utomhusrollator i Norrbotten?"


def cli_env(bundled_index) -> dict[str, str]:
    settings, _ = bundled_index
    # Query embeddings only, but keep any cache write out of data/.
    return hjalp_env(embedding_cache_dir=settings.embedding_cache_dir)


def cli_args(bundled_index, *args: str) -> list[str]:
    settings, _ = bundled_index
    return [sys.executable, "-m", "assistant", "--index", str(settings.index_dir), *args]


def cli(bundled_index, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_args(bundled_index, *args), cwd=PROJECT_ROOT,
                          env=cli_env(bundled_index), capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)


# One line per kind of bad input, written as raw JSON text (a lone surrogate and NaN cannot be
# made with json.dumps of ordinary values), with the words its message must carry.
BAD_LINES = [
    ('{"id": "lista", "question": ["Vem förskriver?"]}', "'question' måste vara en text"),
    ('{"id": "objekt", "question": {"text": "Vem?"}}', "'question' måste vara en text"),
    ('{"id": "surrogat", "question": "Vem \\ud800 förskriver?"}', "ensamt surrogattecken"),
    ('{"id": "nan", "question": "Vem förskriver?", "region_filter": NaN}', "NaN"),
    ('{"id": "tal", "question": "Vem förskriver?", "region_filter": 7}',
     "'region_filter' måste vara en text"),
    ('{"id": ["q"], "question": "Vem förskriver?"}', "'id' måste vara en text"),
    ('{"id": "utan-fråga"}', "'id' och 'question' krävs"),
    ('{"id": "tom", "question": "   "}', "'question' är tom"),
    ('{"id": "g1", "question": "Igen?"}', "id 'g1' finns redan på rad 1"),
    ('{"id": "f1", "question": "Och?", "followup_of": "lista"}',
     "followup_of 'lista' står på en felaktig rad"),
    ("{trasig", "ogiltig JSON"),
    ("[1, 2]", "'id' och 'question' krävs"),
]


def mixed_file(path: Path) -> Path:
    """Line 1 and the last line are good; every line between is bad in its own way."""
    lines = [json.dumps({"id": "g1", "question": GOOD}, ensure_ascii=False),
             *(line for line, _ in BAD_LINES),
             json.dumps({"id": "g2", "question": "Och om den är för inomhusbruk?",
                         "followup_of": "g1"}, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_bad_line_is_named_with_its_number(tmp_path: Path) -> None:
    src = mixed_file(tmp_path / "in.jsonl")
    checked = check_rows(src)
    assert [row["id"] for row in checked.rows] == ["g1", "g2"]
    assert len(checked.problems) == len(BAD_LINES)
    for n, (problem, (_, words)) in enumerate(zip(checked.problems, BAD_LINES, strict=True), 2):
        assert problem.startswith(f"in.jsonl rad {n}: "), problem
        assert words in problem, problem
    with pytest.raises(BatchInputError) as info:
        read_rows(src)
    assert str(info.value).count("in.jsonl rad ") == len(BAD_LINES)


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a", "question": "Vem?"}\n{"id": "b", "question": "V\xe4m?"}\n')
    checked = check_rows(src)
    assert [row["id"] for row in checked.rows] == ["a"]
    assert checked.problems == ["in.jsonl rad 2: raden är inte UTF-8; spara filen som UTF-8."]


def test_the_cli_reports_all_bad_lines_and_answers_the_good_ones(bundled_index,
                                                                 tmp_path: Path) -> None:
    src = mixed_file(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    proc = cli(bundled_index, "batch", str(src), str(out))
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 2  # answered, but the input had errors: a script must notice
    assert f"in.jsonl: {len(BAD_LINES)} av {len(BAD_LINES) + 2} rader är felaktiga" in proc.stderr
    for n, (_, words) in enumerate(BAD_LINES, 2):
        line = next(x for x in proc.stderr.splitlines() if x.startswith(f"in.jsonl rad {n}: "))
        assert words in line
    assert f"{len(BAD_LINES)} felaktiga rader hoppades över" in proc.stderr
    assert "2 frågor besvarade" in proc.stdout
    results = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["g1", "g2"]
    assert not results[0]["refused"] and not results[1]["refused"]  # g2 in g1's conversation
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_a_file_with_no_good_line_leaves_the_previous_output(bundled_index,
                                                             tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a"}\n{"id": "b", "question": ["x"]}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("tidigare svar\n", encoding="utf-8")
    proc = cli(bundled_index, "batch", str(src), str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "in.jsonl rad 1:" in proc.stderr and "in.jsonl rad 2:" in proc.stderr
    assert "utfilen är orörd" in proc.stderr
    assert out.read_text(encoding="utf-8") == "tidigare svar\n"


def test_file_names_in_cli_output_cannot_forge_lines(bundled_index, tmp_path: Path) -> None:
    forged = "in\n4 frågor besvarade → ok\x1b[2J\u202e.jsonl"
    src = tmp_path / forged
    src.write_text(json.dumps({"id": "a", "question": GOOD}, ensure_ascii=False)
                   + '\n{"id": "b"}\n', encoding="utf-8")
    out = tmp_path / "ut\nFel: falsk rad\x1b[31m.jsonl"
    proc = cli(bundled_index, "batch", str(src), str(out))
    assert proc.returncode == 2, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        assert "\x1b" not in stream and "\u202e" not in stream
        assert not any(line.startswith(("4 frågor", "Fel: falsk")) for line in
                       stream.splitlines())
    assert printable(forged) + " rad 2:" in proc.stderr
    assert "in\\n4 frågor besvarade → ok\\x1b[2J\\u202e.jsonl" in printable(forged)
    assert f"1 frågor besvarade → {printable(out)}" in proc.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == "a"


def test_ingest_output_escapes_file_names(tmp_path: Path, bundled_cache_dir: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {
        "rutin.txt": "Rollator förskrivs av arbetsterapeut efter bedömning i hemmet."})
    (corpus / "tom\nHoppade över inget\x1b[2J.txt").write_bytes(b"")
    env = hjalp_env(corpus_dir=corpus, embedding_cache_dir=bundled_cache_dir,
                    upload_dir=tmp_path / "uploads")
    proc = subprocess.run([sys.executable, "-m", "assistant", "--index", str(tmp_path / "idx"),
                           "ingest"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=CLI_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr + proc.stdout
    skipped = [x for x in proc.stderr.splitlines() if x.startswith("Hoppade över")]
    assert len(skipped) == 1 and "tom\\nHoppade över inget\\x1b[2J.txt" in skipped[0]


def test_printable_keeps_ordinary_names_and_escapes_the_rest() -> None:
    assert printable("Riktlinje 2024 – förskrivning (ny) 😀.pdf") == \
        "Riktlinje 2024 – förskrivning (ny) 😀.pdf"
    assert printable("a\r\nb\tc\x00\x7f\u2028\u200b") == "a\\r\\nb\\tc\\x00\\x7f\\u2028\\u200b"
    assert printable(Path("/tmp/x\ny")) == "/tmp/x\\ny"


# --- interruption ------------------------------------------------------------------------
def dev_questions(n: int) -> list[dict[str, str]]:
    rows = [json.loads(x) for x in
            (PROJECT_ROOT / "evals" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip()]
    return [{"id": f"s{i}", "question": rows[i % len(rows)]["question"]} for i in range(n)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_keeps_a_partial_file_and_the_previous_output(
        bundled_index, tmp_path: Path, signum: int) -> None:
    rows = dev_questions(60)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    previous = '{"id": "gammal", "answer": "förra körningens svar"}\n'
    out.write_text(previous, encoding="utf-8")
    proc = subprocess.Popen(cli_args(bundled_index, "batch", str(src), str(out)),
                            cwd=PROJECT_ROOT, env=cli_env(bundled_index),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tmp = tmp_path / f".out.jsonl.{proc.pid}.tmp"
    deadline = time.monotonic() + CLI_TIMEOUT
    try:
        # Wait for the first answers to be on disk, then stop the run in the middle.
        while not (tmp.exists() and tmp.read_text(encoding="utf-8").count("\n") >= 2):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert out.read_text(encoding="utf-8") == previous  # never truncated while running
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr + stdout, stderr
    assert out.read_text(encoding="utf-8") == previous
    partial = tmp_path / "out.jsonl.partial"
    answered = [json.loads(x) for x in partial.read_text(encoding="utf-8").splitlines()]
    assert 2 <= len(answered) < len(rows)
    assert [r["id"] for r in answered] == [r["id"] for r in rows[: len(answered)]]
    assert all(isinstance(r["answer"], str) and r["answer"] for r in answered)
    assert f"Avbrutet efter {len(answered)} av {len(rows)} frågor" in stderr
    assert f"de {len(answered)} svaren finns i {partial}" in stderr
    assert "out.jsonl är orörd" in stderr
    assert not tmp.exists()
    assert "frågor besvarade →" not in stdout


def test_a_complete_run_replaces_the_output_and_leaves_no_temporary_file(
        bundled_index, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "question": GOOD}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("gammalt\n", encoding="utf-8")
    (tmp_path / "out.jsonl.partial").write_text("från ett avbrutet försök\n", encoding="utf-8")
    proc = cli(bundled_index, "batch", str(src), str(out))
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["a"]
    names = sorted(p.name for p in tmp_path.iterdir())
    # An earlier partial file is the user's to keep or delete; no temporary file is left.
    assert names == ["in.jsonl", "out.jsonl", "out.jsonl.partial"]
    assert os.stat(out).st_size > 0


# --- names near and over the file system's limit (255 bytes; ö takes 2) --------------------
def test_long_output_names_get_temporary_and_partial_names_that_fit(tmp_path: Path) -> None:
    from assistant.batch import partial_path, temporary_path
    from core.names import name_bytes

    short = tmp_path / "out.jsonl"
    assert temporary_path(short).name == f".out.jsonl.{os.getpid()}.tmp"
    assert partial_path(short).name == "out.jsonl.partial"
    for size in (247, 250, 255):
        out = tmp_path / ("ö" * ((size - 6) // 2) + "x" * ((size - 6) % 2) + ".jsonl")
        assert name_bytes(out.name) == size
        tmp, partial = temporary_path(out), partial_path(out)
        assert name_bytes(tmp.name) <= 255 and name_bytes(partial.name) <= 255
        assert tmp.name.startswith(".ööö") and tmp.name.endswith(f".{os.getpid()}.tmp")
        assert partial.name.startswith("ööö") and partial.name.endswith(".jsonl.partial")
        assert tmp.parent == partial.parent == tmp_path
    # Two long names that begin alike keep apart.
    a, b = (tmp_path / ("ö" * 123 + s + ".jsonl") for s in ("a", "b"))
    assert partial_path(a) != partial_path(b) and temporary_path(a) != temporary_path(b)


def test_the_cli_answers_into_a_long_output_name_and_refuses_one_that_cannot_exist(
        bundled_index, tmp_path: Path) -> None:
    """Before: an output of 250 bytes failed after the model loaded with "Fel: [Errno 36] File
    name too long: '…/.ööö….jsonl.<pid>.tmp'"; one of 300 bytes the same way, with nothing
    saying which name or what to do."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "question": GOOD}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    out = tmp_path / ("ö" * 122 + ".jsonl")  # 250 bytes
    proc = cli(bundled_index, "batch", str(src), str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.jsonl", out.name])

    impossible = tmp_path / ("ö" * 150 + ".jsonl")  # 306 bytes
    start = time.perf_counter()
    proc = cli(bundled_index, "batch", str(src), str(impossible))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Fel: utfilens namn ööö") and "är 306 byte långt" in proc.stderr
    assert "byt till ett kortare namn" in proc.stderr and "Utfilen är orörd." in proc.stderr
    assert time.perf_counter() - start < 30  # refused before the model loads
    proc = cli(bundled_index, "batch", str(impossible), str(tmp_path / "ut.jsonl"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Fel: namnet ööö") and "är 306 byte långt" in proc.stderr
