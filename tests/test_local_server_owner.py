"""The local model server: only a server this process started is ever used."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from assistant.generate.local_server import BackendUnavailable, ensure_local_server, is_serving
from core.settings import Settings


class _Impostor(BaseHTTPRequestHandler):
    """Another program on the port: it answers /v1/models to anyone."""

    def do_GET(self):  # noqa: N802 - the http.server API
        body = json.dumps({"data": [{"id": "someone-else"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def impostor():
    server = HTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_another_program_on_the_port_is_never_used(impostor, tmp_path):
    assert is_serving(impostor)  # it does answer
    settings = Settings.load(env={}).with_(local_server_port=impostor,
                                           local_model_path=tmp_path / "none.gguf")
    # Without our own model there is nothing to start: the impostor's URL is not returned.
    with pytest.raises(BackendUnavailable, match="make model"):
        ensure_local_server(settings)
