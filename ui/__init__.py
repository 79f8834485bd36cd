"""Streamlit UI helpers (no answering logic: that lives in assistant/)."""
