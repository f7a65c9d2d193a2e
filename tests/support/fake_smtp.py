"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), with optional STARTTLS, implicit TLS and a login.

``smtp_server(...)`` yields a :class:`FakeSmtp` whose ``messages`` are the parsed e-mails that arrived
(``email.message.EmailMessage``), with ``envelopes`` (sender, recipients) beside them. TLS uses a self-signed
certificate made with Debian's ``openssl`` for the test; the client trusts it through ``ca_file``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "digest-bot", "s3cret-p4ss"


@dataclass
class FakeSmtp:
    host: str
    port: int
    ca_file: Path | None
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.contextmanager
def smtp_server(folder: Path, security: str = "none", login: bool = False) -> Iterator[FakeSmtp]:
    """``security``: 'none', 'starttls' (the server offers and requires STARTTLS) or 'tls' (implicit TLS)."""
    cert = key = None
    context = None
    if security != "none":
        cert, key = self_signed_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
    fake = FakeSmtp("127.0.0.1", _free_port(), cert)

    def authenticate(server, session, envelope, mechanism, data) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        if ok:
            fake.logins.append(USER)
        return AuthResult(success=ok, handled=False)

    # aiosmtpd cannot tell an implicit-TLS connection is encrypted, so it would hide AUTH there: require TLS for
    # AUTH only where STARTTLS is how it gets encrypted (implicit TLS is encrypted from the first byte)
    options: dict = {"auth_required": login, "auth_require_tls": security == "starttls", "authenticator": authenticate}
    if security == "starttls":
        options.update(tls_context=context, require_starttls=True)
    elif security == "tls":
        options.update(ssl_context=context)
    controller = Controller(fake, hostname="127.0.0.1", port=fake.port, server_hostname="127.0.0.1", **options)
    controller.start()
    try:
        yield fake
    finally:
        controller.stop()
