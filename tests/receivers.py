"""What receives the service's messages in the tests: a real SMTP server (aiosmtpd) and an HTTP
endpoint standing in for a Teams webhook, each on a free 127.0.0.1 port, each stopped (its
threads gone) when the test ends. Tests wait on what arrives, never on a guessed duration."""

from __future__ import annotations

import asyncio
import email
import json
import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content().replace("\r\n", "\n").rstrip("\n") if part is not None else ""

    @property
    def attachments(self) -> dict[str, bytes]:
        return {part.get_filename(): part.get_content() for part in self.message.iter_attachments()}


class Mailbox:
    """An SMTP server on a free localhost port; stop() and start() again on the same port
    stand for a relay that is down and comes back. `hold` makes it keep each message's
    "250 OK" back until release() (a client killed between sending and hearing back)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.hold = False
        self.holding = threading.Event()  # set once a held message has arrived
        self._release = threading.Event()
        self._cond = threading.Condition()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        mail = Mail(envelope.mail_from, list(envelope.rcpt_tos),
                    email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        with self._cond:
            self.mails.append(mail)
            self._cond.notify_all()
        if self.hold:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self._release.wait, 30)
        return "250 OK"

    def start(self) -> Mailbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def release(self) -> None:
        self._release.set()

    def wait(self, count: int, timeout: float = 30.0) -> list[Mail]:
        """The first `count` mails, once that many have arrived."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.mails) >= count, timeout):
                raise AssertionError(f"{len(self.mails)} mail(s) arrived, expected {count}: "
                                     f"{[m.subject for m in self.mails]}")
            return list(self.mails[:count])

    def url(self, to: str, sender: str = "syncservice@example.dk") -> str:
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}"


class Webhook:
    """An HTTP endpoint on a free localhost port that records each JSON body POSTed to it,
    as a Teams workflow's webhook takes the service's messages (json:// in Apprise)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self._cond = threading.Condition()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with hook._cond:
                    hook.posts.append((self.path, body))
                    hook._cond.notify_all()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"1")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.block_on_close = True  # server_close() joins the request threads
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="test-webhook")

    def start(self) -> Webhook:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def wait(self, count: int, timeout: float = 30.0) -> list[tuple[str, dict]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.posts) >= count, timeout):
                raise AssertionError(f"{len(self.posts)} post(s) arrived, expected {count}")
            return list(self.posts[:count])

    def url(self, path: str = "teams") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

