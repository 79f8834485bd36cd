"""The PDF reader's child process: `python -m ingest.pdf_worker` (started by PdfReaderProcess).

Requests and answers are pickled over stdin/stdout; anything else a library prints goes to
stderr, so that it cannot corrupt the answers.
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection


def main() -> None:
    answers = os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr, not into the answer stream
    sys.stdout = sys.stderr
    from ingest.load import serve_pdfs

    serve_pdfs(Connection(answers, readable=False), Connection(0, writable=False))


if __name__ == "__main__":
    main()
