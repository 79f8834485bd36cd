"""End to end in a real headless Chromium against a real `streamlit run app.py`.

The server gets a copy of the session's bundled index and its own feedback database and upload
folder (HJALP_* variables), so data/ is never touched. Playwright drives the system Chromium
(`apt-get install chromium`; Playwright's own browser download is not used).

Screenshots of every page go to $HJALP_SCREENSHOT_DIR (docs/screenshots/ when refreshing the
documentation: `HJALP_SCREENSHOT_DIR=docs/screenshots .venv/bin/python -m pytest -q -s
tests/test_browser.py`), else to a temporary folder. Timings (cold start to first answer, warm
answer) are printed; run with -s to see them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import EDITOR_PASSWORD, editor_hash, free_port, isolated_app_env

from views.chat import EXAMPLES

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Vem förskriver en rollator för utomhusbruk i Norrbotten?"
FOLLOW_UP = "Och om hon i stället behöver en rollator för inomhusbruk?"
HPV = "Får en specialistsjuksköterska ordinera HPV-vaccin till en 20-åring?"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]
START_TIMEOUT_S = 90
CHECKED = "Så kontrollerades svaret"  # the rule check's expander, not a source
ANSWER_TIMEOUT_MS = 90_000
# Tall: Streamlit scrolls inside its main block, so a full-page screenshot is the viewport.
VIEWPORT = {"width": 1280, "height": 1800}

if not CHROMIUM.is_file():
    pytest.skip("/usr/bin/chromium is missing: install it with "
                "`apt-get install -y chromium chromium-driver`", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install playwright)")

pytestmark = pytest.mark.slow


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer /_stcore/health in {START_TIMEOUT_S} s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory, bundled_index, bundled_cache_dir):
    """(url, env, started): a running `streamlit run app.py` on a free port."""
    settings, _ = bundled_index
    folder = tmp_path_factory.mktemp("browser")
    env = {
        **os.environ,
        **isolated_app_env(folder, settings.index_dir, bundled_cache_dir),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "OMP_NUM_THREADS": "1",
    }
    # The editor's password as a deployment has it: only its hash, in a secrets file.
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[editor]\npassword_hash = "{editor_hash()}"\n', encoding="utf-8")
    port = free_port()
    log = folder / "streamlit.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
             "--secrets.files", str(secrets)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url, env, started
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("HJALP_SCREENSHOT_DIR")
    target = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _ask(page, question: str, answers_before: int) -> float:
    """Type a question, wait until its answer shows a source; returns the seconds it took."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    started = time.monotonic()
    box.press("Enter")
    answers = page.get_by_test_id("stChatMessage").filter(
        has=page.get_by_test_id("stExpander"))
    sync_api.expect(answers).to_have_count(answers_before + 1, timeout=ANSWER_TIMEOUT_MS)
    return time.monotonic() - started


def _open(browser, url: str, **context_args):
    """(context, page): a new tab at the chat, its input ready."""
    context = browser.new_context(**{"viewport": VIEWPORT, "locale": "sv-SE", **context_args})
    page = context.new_page()
    page.goto(url)
    sync_api.expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    return context, page


def _sign_in(page, password: str = EDITOR_PASSWORD) -> None:
    """Type the editor password into the page's sign-in form and send it."""
    field = page.get_by_label("Redaktörens lösenord")
    sync_api.expect(field).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    field.fill(password)
    page.get_by_role("button", name="Logga in").click()


def _settle(page) -> None:
    # Streamlit shows a running indicator while a script runs; screenshots wait for it to go.
    page.wait_for_load_state("networkidle")
    sync_api.expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    page.wait_for_timeout(800)  # tables (canvas) and icons paint after the script is done


def test_ask_see_sources_open_one_give_feedback_and_export(server, browser, shots, tmp_path):
    url, _env, started = server
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE",
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    sync_api.expect(page.get_by_role("heading", name="Hjälpmedelsassistenten")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)

    first = _ask(page, QUESTION, 0)
    cold = time.monotonic() - started
    reply = page.get_by_test_id("stChatMessage").nth(1)
    sync_api.expect(reply).to_contain_text("[1]")
    sync_api.expect(reply).to_contain_text("Källor")

    # Open the first source: the passage is shown with the quoted span highlighted.
    source = reply.get_by_test_id("stExpander").filter(has_not_text=CHECKED).first
    summary = source.locator("summary")
    sync_api.expect(summary).to_contain_text("[1]")
    summary.click()
    sync_api.expect(source.get_by_text("Utgivare:")).to_be_visible()
    sync_api.expect(source.locator("strong").first).to_be_visible()
    _settle(page)
    page.screenshot(path=str(shots / "chatt.png"), full_page=True)

    warm = _ask(page, FOLLOW_UP, 1)
    _settle(page)  # the answer's run is over before the next click
    print(f"\nbrowser: cold start (server start → first answer) {cold:.1f} s, first answer "
          f"{first:.1f} s, warm follow-up {warm:.1f} s")
    assert cold <= 60, f"cold start {cold:.1f} s"  # target 20 s; CI machines may be slower

    # Thumbs up on the first answer is stored and counted on the review page.
    page.get_by_test_id("stChatMessage").nth(1).get_by_test_id("stFeedback") \
        .locator("button").first.click()
    sync_api.expect(page.get_by_text("Tack! Återkopplingen är sparad.").first).to_be_visible()
    _settle(page)  # the export is rebuilt by that rerun: a download during it is cancelled

    # The conversation downloads as Markdown with its sources.
    with page.expect_download() as download_info:
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("button", name="Exportera som Markdown").click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert QUESTION in exported, exported
    assert FOLLOW_UP in exported, exported
    assert "**Källor:**" in exported and "norrbotten" in exported

    page.get_by_test_id("stSidebarNav").get_by_text("Återkoppling").click()
    sync_api.expect(page.get_by_role("heading", name="Återkoppling")).to_be_visible()
    _sign_in(page)  # the rows are an editor's to read
    omdomen = page.get_by_test_id("stMetric").filter(has_text="Omdömen")
    sync_api.expect(omdomen).to_contain_text("1")
    _settle(page)
    page.screenshot(path=str(shots / "aterkoppling.png"), full_page=True)
    context.close()


def test_source_opens_document_page_and_every_page_renders(server, browser, shots):
    url, _env, _started = server
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE")
    page = context.new_page()
    page.goto(url)
    _ask(page, QUESTION, 0)
    _settle(page)  # the streamed draft is replaced by the final answer: click that one
    reply = page.get_by_test_id("stChatMessage").nth(1)
    source = reply.get_by_test_id("stExpander").filter(has_not_text=CHECKED).first
    source.locator("summary").click()
    link = source.get_by_text("Öppna hela dokumentet vid avsnittet")
    if (ROOT / "views" / "documents.py").is_file():
        link.first.click()
        try:
            page.wait_for_url("**/documents?**doc=*", timeout=15_000)
        except sync_api.TimeoutError:
            # Under load a click can land while the page is still being redrawn: once more.
            _settle(page)
            link.first.click()
            page.wait_for_url("**/documents?**doc=*")
        assert "doc=norrbotten" in page.url
        _settle(page)
        page.screenshot(path=str(shots / "dokument-avsnitt.png"), full_page=True)
    else:
        assert link.count() == 0  # no Documents page, no dead link

    # A corrected answer: the orange badge says what was corrected and why.
    page.get_by_test_id("stSidebarNav").get_by_text("Chatt", exact=True).click()
    sync_api.expect(page.get_by_test_id("stChatMessage")).to_have_count(2)  # history kept
    # A new topic in a new conversation (a follow-up would keep Norrbotten as its region).
    page.get_by_test_id("stSidebar").get_by_role("button", name="Ny konversation").click()
    sync_api.expect(page.get_by_test_id("stChatMessage")).to_have_count(0)
    _settle(page)
    _ask(page, HPV, 0)
    corrected = page.get_by_test_id("stChatMessage").nth(1)
    sync_api.expect(corrected).to_contain_text("Rättat enligt regeln")
    sync_api.expect(corrected).to_contain_text("Svaret angav inte regelns slutsats")
    _settle(page)
    page.screenshot(path=str(shots / "chatt-korrigerad.png"), full_page=True)

    nav = page.get_by_test_id("stSidebarNav")
    titles = ["Chatt", "Dokument", "Utbildning", "Återkoppling"]
    present = [t for t in titles if nav.get_by_text(t, exact=True).count()]
    assert present[0] == "Chatt" and "Återkoppling" in present
    for title in present:
        nav.get_by_text(title, exact=True).click()
        _settle(page)
        sync_api.expect(page.get_by_test_id("stException")).to_have_count(0)
        name = title.lower().replace("å", "a").replace("ä", "a").replace("ö", "o")
        page.screenshot(path=str(shots / f"sida-{name}.png"), full_page=True)
    context.close()


DUSCHSTOL = EXAMPLES[1]  # a boundary question whose rule asks the age back
# Streamlit's English chrome that must not be seen or heard (screen readers) on any page.
ENGLISH = ("Deploy", "Browse files", "Drag and drop", "per file", "Send message", "Help for ",
           "Rerun", "Clear cache", "Record a screencast", "Choose date", "Chat message from",
           "Thumbs up", "Feedback rating", "Link to heading", "Show password", "Press Enter")


def _english_left(page) -> list[str]:
    text = page.locator("body").inner_text()
    labels = page.evaluate("""() => [...document.querySelectorAll('[aria-label],[title]')]
        .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('title') || ''))
        .join(' | ')""")
    return [w for w in ENGLISH if w in text or w in labels]


def test_question_back_a_choice_changes_the_answer_and_no_english_chrome(server, browser, shots):
    url, _env, _started = server
    context, page = _open(browser, url)
    _settle(page)
    assert _english_left(page) == []
    # The chat input has the keyboard on load.
    assert page.evaluate("document.activeElement.getAttribute('data-testid')") == \
        "stChatInputTextArea"

    # A clickable example asks its question.
    page.get_by_role("button", name=DUSCHSTOL).click()
    answers = page.get_by_test_id("stChatMessage").filter(has=page.get_by_test_id("stExpander"))
    sync_api.expect(answers).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    _settle(page)
    reply = page.get_by_test_id("stChatMessage").nth(1)
    # The responsible party in the first line (bold), the badge's reason readable as text.
    first_line = reply.locator("strong").first
    sync_api.expect(first_line).to_contain_text("kommunens ansvar")
    sync_api.expect(reply).to_contain_text("Regeln säger:")
    sync_api.expect(reply).to_contain_text("Region Norrbotten · gäller per")
    # One question back, with the outcome of each choice.
    sync_api.expect(reply).to_contain_text("Hur gammal är patienten?")
    child = reply.get_by_role("radio", name="under 18 år → regionen")
    sync_api.expect(child).to_be_visible()
    page.screenshot(path=str(shots / "chatt-fraga-tillbaka.png"), full_page=True)

    child.click()
    sync_api.expect(answers).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    _settle(page)
    messages = page.get_by_test_id("stChatMessage")
    sync_api.expect(messages.nth(2)).to_contain_text("Hur gammal är patienten? under 18 år")
    sync_api.expect(messages.nth(3).locator("strong").first).to_contain_text("Landstingets")
    sync_api.expect(messages.nth(3)).to_contain_text("Rättat enligt regeln")
    page.screenshot(path=str(shots / "chatt-valt-svar.png"), full_page=True)
    assert _english_left(page) == []
    context.close()


@pytest.mark.parametrize("width,height,scheme", [(390, 844, "light"), (390, 844, "dark"),
                                                 (1280, 1800, "dark")])
def test_every_page_at_phone_width_and_in_dark_mode(server, browser, shots, width, height,
                                                     scheme):
    url, _env, _started = server
    context, page = _open(browser, url, viewport={"width": width, "height": height},
                          color_scheme=scheme)
    _ask(page, DUSCHSTOL, 0)
    _settle(page)
    size = "mobil" if width < 600 else "dator"
    page.screenshot(path=str(shots / f"chatt-{size}-{scheme}.png"), full_page=True)
    assert _english_left(page) == []
    for path, name in (("documents", "dokument"), ("training", "utbildning"),
                       ("feedback", "aterkoppling")):
        page.goto(f"{url}/{path}")
        _settle(page)
        sync_api.expect(page.get_by_test_id("stException")).to_have_count(0)
        assert _english_left(page) == [], path
        page.screenshot(path=str(shots / f"sida-{name}-{size}-{scheme}.png"), full_page=True)
    context.close()


def test_a_reload_keeps_the_conversation(server, browser, shots):
    url, _env, _started = server
    context, page = _open(browser, url)
    _ask(page, QUESTION, 0)
    _settle(page)
    page.wait_for_url("**/?c=*")
    page.reload()
    sync_api.expect(page.get_by_test_id("stChatMessage")).to_have_count(2,
                                                                        timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.get_by_test_id("stChatMessage").nth(0)).to_contain_text(QUESTION)
    sidebar = page.get_by_test_id("stSidebar")
    sync_api.expect(sidebar).to_contain_text("Tidigare konversationer")
    _settle(page)
    page.screenshot(path=str(shots / "chatt-efter-omladdning.png"), full_page=True)
    context.close()


def test_an_upload_shows_a_progress_bar_and_its_cancel_leaves_nothing(server, browser, shots,
                                                                      tmp_path):
    """Issue 16 §7 in the browser: the upload runs as a job, its bar counts the chunks (the
    page's timed fragment redraws it without a click), and "Avbryt inläsningen" stops it."""
    url, env, _started = server
    token = uuid.uuid4().hex[:8]  # in no embedding cache: 60 chunks take ~15 s to embed
    text = "\n\n".join(
        f"Avsnitt {i} ({token}): hjälpmedlet provas ut av förskrivaren i hemmet och följs upp "
        f"efter {i + 2} veckor. Förskrivaren dokumenterar bedömningen i journalen och ger "
        "brukaren information om skötsel och återlämning. " * 3 for i in range(60))
    upload = tmp_path / "lang.txt"
    upload.write_text(text + "\n", encoding="utf-8")
    context, page = _open(browser, url)
    page.get_by_test_id("stSidebarNav").get_by_text("Dokument", exact=True).click()
    sync_api.expect(page.get_by_role("heading", name="Dokument").first).to_be_visible()
    _settle(page)
    _sign_in(page)
    sync_api.expect(page.get_by_role("button", name="Logga ut")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
    sync_api.expect(page.get_by_test_id("stFileUploader")).to_contain_text("lang.txt")
    page.get_by_role("button", name="Ladda upp och indexera").click()

    bar = page.get_by_test_id("stProgress")
    counting = bar.filter(has_text=re.compile(r"Läser in lang\.txt … [1-9]\d* av 60 textavsnitt"))
    sync_api.expect(counting).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    first = counting.inner_text()
    # Redrawn on its own (the fragment's timer): the count moves without any click.
    sync_api.expect(bar).not_to_have_text(first, timeout=30_000)
    page.screenshot(path=str(shots / "dokument-inlasning.png"), full_page=True)

    page.get_by_role("button", name="Avbryt inläsningen").click()
    sync_api.expect(page.get_by_text("Inläsningen avbröts; indexet är oförändrat.")).to_be_visible(
        timeout=60_000)
    sync_api.expect(bar).to_have_count(0)
    uploads = Path(env["HJALP_UPLOAD_DIR"])
    assert not any(uploads.glob("lang.txt*"))
    _settle(page)
    sync_api.expect(page.get_by_test_id("stException")).to_have_count(0)


SECRET_COMMENT = "Hemlig kommentar som bara en redaktör får läsa"
UPLOAD_TEXT = ("Riktlinje för gåbord i Jämtland Härjedalen\n\n"
               "Gåbord förskrivs av fysioterapeut efter en bedömning av gångförmågan i hemmet.\n")


def _library_locked(page) -> None:
    """The Dokument page as a stranger sees it: readable, nothing that changes it."""
    sync_api.expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the library
    sync_api.expect(page.get_by_text("kräver att du loggar in som redaktör")).to_be_visible()
    sync_api.expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    sync_api.expect(page.get_by_test_id("stForm")).to_have_count(1)  # the sign-in's only
    for label in ("Ladda upp och indexera", "Indexera om hela biblioteket", "Ta bort dokumentet",
                  "Markera som granskat"):
        sync_api.expect(page.get_by_role("button", name=label)).to_have_count(0)


def _feedback_locked(page) -> None:
    sync_api.expect(page.get_by_text("bara läsas och exporteras av en redaktör")).to_be_visible()
    for test_id in ("stDataFrame", "stMetric", "stDownloadButton"):
        sync_api.expect(page.get_by_test_id(test_id)).to_have_count(0)
    assert SECRET_COMMENT not in page.locator("body").inner_text()


# Last in the file: it adds a feedback row, which the first test would count.
def test_a_stranger_cannot_change_the_library_or_read_feedback_and_an_editor_can(
        server, browser, shots, tmp_path):
    from assistant.feedback_store import FeedbackStore
    from core.values import Answer

    url, env, _started = server
    FeedbackStore(Path(env["HJALP_FEEDBACK_DB"])).record(
        Answer(question="Vem förskriver gåbord?", text="Fysioterapeut [1]."), "down",
        comment=SECRET_COMMENT)
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE", accept_downloads=True)
    page = context.new_page()

    # A stranger: the library is readable, nothing in it can be changed; no feedback at all.
    page.goto(f"{url}/documents")
    _settle(page)
    _library_locked(page)
    page.screenshot(path=str(shots / "dokument-last.png"), full_page=True)
    page.goto(f"{url}/feedback")
    _settle(page)
    _feedback_locked(page)
    # A wrong password changes nothing.
    _sign_in(page, "gissat lösenord")
    sync_api.expect(page.get_by_text("Fel lösenord.")).to_be_visible()
    _settle(page)
    _feedback_locked(page)

    # The editor signs in on the Dokument page and uploads, then deletes, a document.
    page.goto(f"{url}/documents")
    _settle(page)
    _sign_in(page)
    sync_api.expect(page.get_by_role("button", name="Logga ut")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    upload = tmp_path / "gabord.txt"
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(upload)
    sync_api.expect(page.get_by_text("gabord.txt").first).to_be_visible()
    page.get_by_role("button", name="Ladda upp och indexera").click()
    sync_api.expect(page.get_by_text("gabord.txt är uppladdat och indexerat")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    _settle(page)
    page.get_by_text("Ja, ta bort dokumentet och dess textavsnitt ur indexet").click()
    _settle(page)
    page.get_by_role("button", name="Ta bort dokumentet").click()
    sync_api.expect(page.get_by_text("gabord.txt är borttaget")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    _settle(page)
    assert not any((Path(env["HJALP_UPLOAD_DIR"])).glob("gabord*"))

    # Signed in, the same tab reads and exports the feedback.
    page.get_by_test_id("stSidebarNav").get_by_text("Återkoppling").click()
    sync_api.expect(page.get_by_test_id("stMetric").filter(has_text="Omdömen")).to_be_visible()
    sync_api.expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    _settle(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Ladda ned CSV").click()
    assert SECRET_COMMENT in Path(download_info.value.path()).read_text(encoding="utf-8-sig")

    # Signing out locks it again, and so does a reload (a new session): nothing is in the URL.
    page.get_by_role("button", name="Logga ut").click()
    _settle(page)
    _feedback_locked(page)
    _sign_in(page)
    sync_api.expect(page.get_by_test_id("stMetric").first).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    assert "editor" not in page.url and "losen" not in page.url
    page.reload()
    _settle(page)
    _feedback_locked(page)
    context.close()
