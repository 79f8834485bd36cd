"""Generative answers: a chat model proposes claims; code verifies and cites them.

Modules: `prompt` (versioned Swedish prompt files, documents as delimited data), `backends`
(LangChain chat model by settings: openai | ollama | local), `local_server` (the bundled GGUF
model behind xllamacpp on 127.0.0.1), `grounding` (claim verification), `answerer`
(GenerativeAnswerer, same contract as ExtractiveAnswerer, plus streaming).

Usage (needs the built index and a chat model, so not a doctest):

    from assistant.pipeline import Assistant
    a = Assistant.from_settings(Settings.load().with_(answer_mode="generative"))
    a.ask("Vem förskriver en utomhusrollator i Norrbotten?").answer_mode   # 'generative'
"""
