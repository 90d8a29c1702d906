"""A small stand-in for Twilio's Messages API on 127.0.0.1, for tests of the sender and worker.

It speaks the shape of POST /2010-04-01/Accounts/{AccountSid}/Messages.json, records every
request, and answers what the test programs: 201 with a message resource, an error with
a Twilio code, 429, 500, or a hang (no answer until a deadline). A hang then answers as
programmed: `Reply(503, hang=…)` was refused, `Reply(hang=…)` was accepted (a SID handed
out) although the client gave up waiting.
"""

from __future__ import annotations

import base64
import collections
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from webhooks.sender import ApiBaseHttpClient, TwilioSender

ACCOUNT_SID = "AC" + "0" * 30 + "fa"
AUTH_TOKEN = "fake-twilio-token"
WHATSAPP_FROM = "+14155238886"
SMS_FROM = "+15005550006"
CALLBACK = "https://helpdesk.example.id/webhooks/twilio/status"
_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass(frozen=True)
class Reply:
    """One programmed answer: an HTTP status, an optional Twilio error code, or a hang."""

    status: int = 201
    code: int | None = None
    hang: float = 0.0  # seconds to hold the request before answering (bounded)


OK = Reply()


@dataclass
class Request:
    """One request the fake received."""

    method: str
    path: str
    query: dict
    form: dict  # field -> value (the Messages API never repeats a field we use)
    auth: tuple[str, str] | None
    answered: Reply = OK
    sid: str | None = None  # the SID a 201 handed out
    callback: dict = field(default_factory=dict)  # parsed StatusCallback query (m, p)
    finished: bool = False  # the fake has answered (or given up on a client that left)


class FakeTwilio:
    """A threaded HTTP server on 127.0.0.1:0 that plays Twilio's Messages API."""

    def __init__(self):
        self.requests: list[Request] = []
        self.replies: collections.deque[Reply] = collections.deque()
        self.default = OK
        # Decides the answer when nothing is programmed (e.g. "down until the clock says"),
        # called with the request; None means `default`.
        self.script: Callable[[Request], Reply] | None = None
        self.delay = 0.0  # seconds before every answer (to land a SIGKILL mid-batch)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                self._send(404, {"code": 20404, "message": "not found", "status": 404})

            def _send(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client went away (timeout, killed worker)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def program(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, then with the default."""
        with self._lock:
            self.replies.extend(replies)

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def sent(self) -> list[Request]:
        """Return the requests that were answered 201, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.sid]

    def _handle(self, handler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        auth = None
        header = handler.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            auth = (user, password)
        callback = {}
        if form.get("StatusCallback"):
            callback = {
                k: v[0] for k, v in parse_qs(urlsplit(form["StatusCallback"]).query).items()
            }
        request = Request("POST", split.path, parse_qs(split.query), form, auth, callback=callback)
        with self._lock:
            if self.replies:
                reply = self.replies.popleft()
            else:
                reply = self.script(request) if self.script else self.default
            request.answered = reply
            self.requests.append(request)
        try:
            self._answer(handler, request, reply, split.path, form, auth)
        finally:
            request.finished = True

    def _answer(self, handler, request: Request, reply: Reply, path, form, auth) -> None:
        match = _PATH.match(path)
        if not match:
            handler._send(404, {"code": 20404, "message": "not found", "status": 404})
            return
        if auth is None or auth[0] != match.group(1):
            handler._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        wait = reply.hang or self.delay
        if wait:
            self._closing.wait(min(wait, 30.0))
        if reply.status == 201:
            request.sid = "SM" + uuid.uuid4().hex
            handler._send(201, self._resource(match.group(1), request.sid, form))
        else:
            code = reply.code or reply.status
            handler._send(
                reply.status,
                {
                    "code": code,
                    "message": f"fake error {code}",
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": reply.status,
                },
            )

    @staticmethod
    def _resource(account_sid: str, sid: str, form: dict) -> dict:
        now = formatdate(usegmt=True)
        return {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"
            },
            "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        }


def twilio_sender(base_url: str, *, timeout: float = 2.0, **kwargs) -> TwilioSender:
    """Return the real Twilio sender (official client) pointed at a local server."""
    options = {
        "from_whatsapp": WHATSAPP_FROM,
        "from_sms": SMS_FROM,
        "status_callback": CALLBACK,
    }
    options.update(kwargs)
    return TwilioSender(
        ACCOUNT_SID,
        AUTH_TOKEN,
        http_client=ApiBaseHttpClient(base_url, timeout=timeout),
        timeout=timeout,
        **options,
    )


def worker_env(database_url: str, fake_url: str) -> dict:
    """Return the environment of a `python -m bot worker` process sending to this fake."""
    import os

    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "HELPDESK_ENV": "development",
        "SECRET_KEY": "drill",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "PUBLIC_BASE_URL": "https://helpdesk.example.id",
        "TWILIO_API_BASE_URL": fake_url,
    }
