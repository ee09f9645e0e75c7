"""The README's "read the book" command works: JupyterLab serves every chapter and runs a kernel."""

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.name for p in (ROOT / "chapters").glob("*.ipynb"))

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

class Server:
    def __init__(self, port, token):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port, token = _free_port(), secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime))
    # The README's command, `jupyter lab chapters/`, with a fixed port and token for the test.
    process = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "chapters/", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--allow-root", f"--IdentityProvider.token={token}",
            "--ServerApp.port_retries=0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    server = Server(port, token)
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {process.stderr.read().decode()[-2000:]}")
            try:
                status, body = server.request("GET", "/api/status")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("jupyter lab did not answer /api/status within 60 s")
            time.sleep(0.5)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stderr.close()

def test_status_needs_the_token(lab):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(lab.base + "/api/contents", timeout=10)
    assert info.value.code == 403

def test_every_chapter_opens_through_the_contents_api(lab):
    _, listing = lab.request("GET", "/api/contents")
    names = {item["name"] for item in listing["content"]}
    assert set(CHAPTERS) <= names and "solutions" in names
    for name in CHAPTERS:
        status, model = lab.request("GET", f"/api/contents/{name}?content=1")
        assert status == 200 and model["type"] == "notebook"
        cells = model["content"]["cells"]
        assert cells[0]["cell_type"] == "markdown" and cells[0]["source"].startswith("#")

async def _execute(lab, kernel_id, code):
    """Run ``code`` in a kernel over the server's websocket channels; return (status, stdout)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = lab.base.replace("http", "ws") + f"/api/kernels/{kernel_id}/channels"
    request = HTTPRequest(url, headers={"Authorization": f"token {lab.token}"})
    connection = await websocket_connect(request)
    msg_id = uuid.uuid4().hex
    await connection.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    stdout = []
    try:
        while True:
            message = json.loads(await asyncio.wait_for(connection.read_message(), timeout=120))
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                stdout.append(message["content"]["text"])
            if message["msg_type"] == "execute_reply":
                return message["content"]["status"], "".join(stdout)
    finally:
        connection.close()


def test_a_kernel_starts_for_a_chapter_runs_dlbook_and_shuts_down(lab):
    status, session = lab.request(
        "POST",
        "/api/sessions",
        {"path": CHAPTERS[0], "type": "notebook", "name": CHAPTERS[0], "kernel": {"name": "python3"}},
    )
    assert status == 201
    kernel_id = session["kernel"]["id"]
    code = "import dlbook\nfrom dlbook.functional import conv2d\nprint(dlbook.__version__, conv2d([[[[2.0]]]], [[[[3.0]]]]).item())"
    status, stdout = asyncio.run(_execute(lab, kernel_id, code))
    assert status == "ok"
    import dlbook

    assert stdout.split() == [dlbook.__version__, "6.0"]
    status, _ = lab.request("DELETE", f"/api/sessions/{session['id']}")
    assert status == 204
    _, kernels = lab.request("GET", "/api/kernels")
    assert kernel_id not in {k["id"] for k in kernels}
