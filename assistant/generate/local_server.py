"""The local chat model: a GGUF file served by xllamacpp on 127.0.0.1 (OpenAI-compatible API).

`ensure_local_server(settings)` starts the server in a child process that this process owns (the
model stays loaded across questions; the child is stopped when this process exits) and talks
only to that child: never to another program that happens to answer on the port. The child gets
a secret token (`TOKEN_ENV`) that every call must carry; when the configured port is taken by
someone else, the child gets a free port instead. The model is read into memory without mmap:
with mmap, generation stalled on a busy disk.

Usage (starts the model server, so not a doctest):

    base_url = ensure_local_server(Settings.load())   # e.g. 'http://127.0.0.1:8765/v1'
    python -m assistant.generate.local_server          # in a shell: try the model by hand
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from core.settings import Settings

CONTEXT_TOKENS = 4096
START_TIMEOUT_S = 180.0
TOKEN_ENV = "HJALP_LOCAL_SERVER_TOKEN"
# The token this process gives its own server; a program it did not start does not know it.
TOKEN = secrets.token_urlsafe(24)
# configured port → (the child, the port it actually serves on)
_started: dict[int, tuple[subprocess.Popen, int]] = {}


class BackendUnavailable(RuntimeError):
    """The chosen chat backend cannot be used; the message says what to do (sv / en)."""


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/v1"


def is_serving(port: int, timeout: float = 2.0, token: str | None = None) -> bool:
    """True when an OpenAI-compatible server answers /v1/models on the port (with `token`
    as its bearer key, when given)."""
    request = urllib.request.Request(f"{base_url(port)}/models")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status == 200 and "data" in json.loads(resp.read() or b"{}")
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_local_model(settings: Settings) -> None:
    """Raise BackendUnavailable naming the fix when xllamacpp or the model file is missing."""
    try:
        import xllamacpp  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailable(
            "Den lokala modellen kräver paketet xllamacpp: kör `make model` / "
            "the local model needs xllamacpp: run `make model`.") from exc
    if not Path(settings.local_model_path).is_file():
        raise BackendUnavailable(
            f"Modellfilen saknas ({settings.local_model_path}): kör `make model` / "
            f"model file missing: run `make model`.")


def ensure_local_server(settings: Settings) -> str:
    """The base URL of this process's own local server, started if it is not running."""
    wanted = settings.local_server_port
    started = _started.get(wanted)
    if started is not None and started[0].poll() is None and is_serving(started[1],
                                                                       token=TOKEN):
        return base_url(started[1])
    check_local_model(settings)
    if started is None or started[0].poll() is not None:
        # Another program on the configured port is never used: ours takes a free one.
        port = wanted if _port_free(wanted) else _free_port()
        cmd = [sys.executable, "-m", "assistant.generate.local_server",
               "--model", str(settings.local_model_path), "--port", str(port),
               "--threads", str(settings.local_threads)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=str(Path(__file__).resolve().parents[2]),
                                env={**os.environ, TOKEN_ENV: TOKEN})
        started = (proc, port)
        _started[wanted] = started
    proc, port = started
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = (proc.stderr.read().decode("utf-8", "replace") if proc.stderr else "")[-1500:]
            _started.pop(wanted, None)
            raise BackendUnavailable(f"Den lokala modellservern startade inte / the local model "
                                     f"server did not start: {err.strip()}")
        if is_serving(port, token=TOKEN):
            return base_url(port)
        time.sleep(0.5)
    stop_local_server(wanted)
    raise BackendUnavailable(f"Den lokala modellservern svarade inte inom {START_TIMEOUT_S:.0f} s "
                             f"/ the local model server did not answer in time.")


def stop_local_server(port: int | None = None) -> None:
    """Stop the server(s) this process started (never one started by someone else)."""
    for p in list(_started) if port is None else [port]:
        proc = (_started.pop(p, None) or (None, 0))[0]
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


atexit.register(stop_local_server)


def serve(model: Path, port: int, threads: int) -> None:
    """Load the model and serve it until killed (runs in the child process)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.load_mode = xllamacpp.llama_load_mode.LLAMA_LOAD_MODE_NONE  # no mmap: see docstring
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = CONTEXT_TOKENS
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = True
    token = os.environ.get(TOKEN_ENV)
    if token and hasattr(params, "api_keys"):
        params.api_keys = [token]  # every call must carry the owner's token
    params.verbosity = 1  # errors only; info prints every slot and timing line
    server = xllamacpp.Server(params)  # serves HTTP on its own threads
    try:
        while True:
            time.sleep(3600)
    finally:
        del server


def main(argv: list[str] | None = None) -> int:
    import argparse

    settings = Settings.load()
    parser = argparse.ArgumentParser(description="Serve the local GGUF model on 127.0.0.1")
    parser.add_argument("--model", type=Path, default=settings.local_model_path)
    parser.add_argument("--port", type=int, default=settings.local_server_port)
    parser.add_argument("--threads", type=int, default=settings.local_threads)
    args = parser.parse_args(argv)
    try:
        check_local_model(settings.with_(local_model_path=args.model))
    except BackendUnavailable as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    try:
        serve(args.model, args.port, args.threads)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
