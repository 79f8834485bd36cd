"""The error of an input file that cannot be used: gold items, batch outputs, feedback exports."""

from __future__ import annotations


class InputFileError(ValueError):
    """A file that cannot be read as its kind; the message names the file, the 1-based line
    (when there is one) and what is wrong."""

    def __init__(self, name: str, line: int | None, problem: str) -> None:
        self.name = name
        self.line = line
        self.problem = problem
        where = f"{name}, line {line}" if line is not None else name
        super().__init__(f"{where}: {problem}")
