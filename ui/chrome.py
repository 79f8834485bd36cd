"""Streamlit's own chrome in Swedish, and the chat input focused on load.

Streamlit writes some of its interface in English whatever the app says (the uploader's "Browse
files", the chat input's "Send message" for screen readers, "Connection error"). A small script
in the page replaces those words, listed in `chrome_sv.yaml`, as they appear, in text and in
`aria-label`/`title`/`placeholder` attributes.

Usage (once per page run, in app.py; drawing needs a Streamlit run):

    swedish_chrome()
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st
import yaml

WORDS_PATH = Path(__file__).with_name("chrome_sv.yaml")

_SCRIPT = """
<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const win = doc.defaultView || window;
  if (win.__hjalpChrome) return;
  win.__hjalpChrome = true;
  const WORDS = %s;
  const ATTRS = ["aria-label", "title", "placeholder"];
  const say = (s) => {
    if (!s) return null;
    const t = s.trim();
    if (WORDS.text[t] !== undefined) return s.replace(t, WORDS.text[t]);
    let out = s;
    for (const [en, sv] of Object.entries(WORDS.prefix)) {
      if (t.startsWith(en)) { out = out.replace(en, sv); break; }
    }
    for (const [en, sv] of Object.entries(WORDS.within)) {
      if (out.includes(en)) out = out.split(en).join(sv);
    }
    return out === s ? null : out;
  };
  const fix = (root) => {
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const p = n.parentElement;
      if (p && p.closest("[data-testid=stMarkdownContainer], textarea, input")) continue;
      const s = say(n.nodeValue);
      if (s !== null) n.nodeValue = s;
    }
    const marked = "[aria-label],[title],[placeholder]";
    const elements = root.querySelectorAll ? root.querySelectorAll(marked) : [];
    for (const el of elements) {
      for (const a of ATTRS) {
        const s = say(el.getAttribute(a));
        if (s !== null) el.setAttribute(a, s);
      }
    }
  };
  let queued = false;
  new win.MutationObserver(() => {
    if (queued) return;
    queued = true;
    win.requestAnimationFrame(() => { queued = false; fix(doc.body); });
  }).observe(doc.body, {subtree: true, childList: true, characterData: true, attributes: true,
                         attributeFilter: ATTRS});
  fix(doc.body);
  // The chat input takes the keyboard on load, so a prescriber can type at once; Streamlit
  // draws the page in several passes, so it is given the focus again while nothing else has it.
  let tries = 0;
  const focus = () => {
    const box = doc.querySelector("[data-testid=stChatInputTextArea]");
    if (box && (doc.activeElement === doc.body || doc.activeElement === null)) box.focus();
    if (tries++ < 60) win.setTimeout(focus, 150);
  };
  focus();
})();
</script>
"""


@cache
def _words() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8")) or {}
    return {part: dict(data.get(part) or {}) for part in ("text", "prefix", "within")}


def swedish_chrome() -> None:
    """Put the translating script in the page (it runs once per browser tab)."""
    st.html(_SCRIPT % json.dumps(_words(), ensure_ascii=False), unsafe_allow_javascript=True)
