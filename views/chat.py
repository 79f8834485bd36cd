"""Chatt: the prescribers' chat page (the app's default page; see ui/chat.py).

Run through the router: `streamlit run app.py`.
"""

from __future__ import annotations

from ui.chat import chat_page

chat_page()
