"""What ingest and the assistant both build on: values, settings, text primitives, the store and
the embeddings. Imports neither of them."""
