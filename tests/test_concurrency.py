"""Load: 20 chat sessions at once against one shared Assistant (what Streamlit does: one cached
Assistant, one thread per session), for a bounded number of rounds and time.

Each session holds its own history and asks a question and then a follow-up that only makes sense
with that history; sessions differ in region and carry their own case token ("Ärende S07").
Under load, every answer must be exactly what the same session gets when it runs alone, no
retrieval query may carry another session's token, and memory must stay bounded.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import pytest

from core.values import Answer, Turn

SESSIONS = 20
ROUNDS = 3
DEADLINE_S = 150.0
MAX_RSS_GROWTH_MB = 150.0

CONVERSATIONS = [
    ("Norrbotten", "Vem ska förskriva en rollator för utomhusbruk till en 80-årig kvinna i "
                   "ordinärt boende i Norrbotten?",
     "Och om hon i stället behöver en rollator för inomhusbruk?"),
    ("Norrbotten", "Min patient är 72 år, bor i egen lägenhet i Kiruna och har kommunal "
                   "hemsjukvård. Hon behöver armbågskryckor – vårdcentralen eller kommunen?",
     "Och om det i stället gäller en 12-åring med hemsjukvård?"),
    ("Kronoberg", "Vem står för en rollator till en 17-årig kille med CP i Kronobergs län – "
                  "regionen eller kommunen?",
     "Vad händer när han fyller 18?"),
    ("Dalarna", "Kan vi utse en undersköterska utan legitimation till förskrivare av "
                "hjälpmedel hos oss i Region Dalarna?",
     "Vem ansvarar för att förskrivaren har rätt kompetens?"),
    ("Stockholm", "Vad är kombikakoden och när behöver jag den som förskrivare i Stockholm?",
     "Hur ansöker jag om den?"),
]


@dataclass
class Session:
    n: int
    region: str
    first: str
    followup: str
    answers: list[tuple[Answer, Answer]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def token(self) -> str:
        return f"S{self.n:02d}"

    def converse(self, assistant) -> tuple[Answer, Answer]:
        question = f"Ärende {self.token}: {self.first}"
        t0 = time.perf_counter()
        a1 = assistant.ask(question)
        t1 = time.perf_counter()
        a2 = assistant.ask(self.followup, history=[Turn(question=question, answer=a1.text)])
        self.seconds += [t1 - t0, time.perf_counter() - t1]
        return a1, a2


def comparable(answer: Answer) -> tuple:
    return (answer.text, answer.refused, answer.region, answer.query,
            [(c.doc, c.quote) for c in answer.citations], answer.rule_check.status)


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.fixture(scope="module")
def assistant(bundled_index):
    from assistant.pipeline import Assistant

    settings, _ = bundled_index
    return Assistant.from_settings(settings, build_if_missing=False)


def test_stemming_is_thread_safe() -> None:
    import sys

    from conftest import CORPUS

    from assistant.text import stem

    text = (CORPUS / "kronoberg-primarvardsforum-2025-11-18.txt").read_text(encoding="utf-8")
    words = sorted({w.lower() for w in text.split() if w.isalpha() and len(w) > 5})[:2000]
    expected = {w: stem(w) for w in words}
    wrong: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def work(order: list[str]) -> None:
        try:
            wrong.extend((w, s) for w in order if (s := stem(w)) != expected[w])
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(words[::-1] if i % 2 else words,))
                   for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == [] and wrong == []


def test_twenty_sessions_at_once_get_their_own_answers(assistant) -> None:
    sessions = [Session(i, *CONVERSATIONS[i % len(CONVERSATIONS)]) for i in range(SESSIONS)]
    alone = {s.n: tuple(comparable(a) for a in s.converse(assistant)) for s in sessions}
    solo_seconds = [t for s in sessions for t in s.seconds]
    for s in sessions:
        s.seconds.clear()

    rss_before = rss_mb()
    barrier = threading.Barrier(SESSIONS)
    stop_at = time.monotonic() + DEADLINE_S

    def run(session: Session) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(ROUNDS):
                if time.monotonic() > stop_at:
                    return
                session.answers.append(session.converse(assistant))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions below
            session.error = exc

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(s,), name=f"session-{s.n}") for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_S + 60)
    wall = time.perf_counter() - started
    rss_after = rss_mb()

    assert not any(t.is_alive() for t in threads)
    assert [s.error for s in sessions if s.error] == []
    # Every question answered, within the bounded time.
    assert all(len(s.answers) == ROUNDS for s in sessions), [len(s.answers) for s in sessions]
    tokens = {s.token for s in sessions}
    for s in sessions:
        for a1, a2 in s.answers:
            assert (comparable(a1), comparable(a2)) == alone[s.n], f"session {s.token} differs"
            assert a2.region == s.region
            others = {t for t in tokens - {s.token} if t in a1.query + a2.query + a2.question}
            assert not others, f"session {s.token} saw {others}"
    assert rss_after - rss_before < MAX_RSS_GROWTH_MB

    latencies = sorted(t * 1000 for s in sessions for t in s.seconds)
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    solo_p50 = statistics.median(solo_seconds) * 1000
    print(f"\n{len(latencies)} asks by {SESSIONS} sessions in {wall:.1f} s: p50 {p50:.0f} ms, "
          f"p95 {p95:.0f} ms under load (alone: p50 {solo_p50:.0f} ms); RSS "
          f"{rss_before:.0f} → {rss_after:.0f} MB")
