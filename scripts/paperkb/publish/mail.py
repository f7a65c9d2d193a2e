"""The digest by e-mail: a multipart message (plain text and HTML) sent over SMTP, once per digest.

- :class:`MailSettings` comes from ``[tool.paperkb.mail]`` in pyproject.toml (host, port, security, sender,
  recipients); the login comes from the environment only (``PAPERKB_SMTP_USER``, ``PAPERKB_SMTP_PASSWORD``)
  and is never printed.
- :func:`digest_message` builds the message (pure): the e-mail HTML of ``publish.digest.render_html`` and its
  Markdown form as the plain-text part, a Message-ID derived from the digest, so a re-send is recognisable.
- :class:`SentLog` remembers which digests were sent (``.paperkb-state/sent-digests.json``, outside content/):
  sending the same digest again sends nothing.
- :func:`send` talks SMTP with the standard library (``smtplib``: STARTTLS, implicit TLS or none), with a
  timeout; every failure is a :class:`MailError` that says what the server answered.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from paperkb.model import config
from paperkb.publish.digest import Digest, ExternalLinks, render_html, render_markdown

USER_ENV = "PAPERKB_SMTP_USER"
PASSWORD_ENV = "PAPERKB_SMTP_PASSWORD"
SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
SENT_LOG = Path(".paperkb-state") / "sent-digests.json"


class MailError(Exception):
    """Sending failed; the message names the server and what it answered (never the password)."""


@dataclass
class MailSettings:
    host: str
    port: int
    security: str
    sender: str
    recipients: list[str]
    timeout_seconds: float = 30.0
    ca_file: Path | None = None  # a CA bundle to trust besides the system's (a private relay, the tests)
    subject_prefix: str = ""
    user: str = field(default="", repr=False)
    password: str = field(default="", repr=False)

    @classmethod
    def for_kb(cls, kb: config.KnowledgeBase, environ: dict[str, str] | None = None) -> MailSettings:
        """``[tool.paperkb.mail]``, validated; a ConfigError names the key and the fix."""
        where = "[tool.paperkb.mail] in pyproject.toml"
        table = kb.section("mail")
        config.check_known_keys(table, ("host", "port", "security", "sender", "recipients", "timeout_seconds", "ca_file", "subject_prefix"), where)
        host = table.get("host")
        if not isinstance(host, str) or not host.strip():
            raise config.ConfigError(f'{where}: set host = "smtp.example.org" (the SMTP server that sends the digest)')
        security = table.get("security", "starttls")
        if security not in SECURITY:
            raise config.ConfigError(f"{where}: security must be one of {', '.join(SECURITY)}, not {security!r}")
        port = table.get("port", DEFAULT_PORTS[security])
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise config.ConfigError(f"{where}: port must be a whole number from 1 to 65535, like {DEFAULT_PORTS[security]}")
        sender = table.get("sender")
        if not isinstance(sender, str) or not _is_address(sender):
            raise config.ConfigError(f'{where}: set sender = "Research Sync <digest@example.org>" (an e-mail address)')
        recipients = table.get("recipients")
        if not isinstance(recipients, list) or not recipients or not all(isinstance(r, str) and _is_address(r) for r in recipients):
            raise config.ConfigError(f'{where}: set recipients = ["team@example.org"] (a list of e-mail addresses)')
        timeout = config.non_negative_number(table, "timeout_seconds", where, 30.0) if "timeout_seconds" in table else 30.0
        ca_file = table.get("ca_file")
        if ca_file is not None and not isinstance(ca_file, str):
            raise config.ConfigError(f"{where}: ca_file must be a path to a PEM file")
        prefix = table.get("subject_prefix", "")
        if not isinstance(prefix, str) or "\n" in prefix or "\r" in prefix:
            raise config.ConfigError(f"{where}: subject_prefix must be one line of text")
        env = os.environ if environ is None else environ
        user, password = env.get(USER_ENV, ""), env.get(PASSWORD_ENV, "")
        if bool(user) != bool(password):
            raise config.ConfigError(f"set both {USER_ENV} and {PASSWORD_ENV} in the environment to log in, or neither")
        if user and security == "none":
            raise config.ConfigError(f'{where}: security = "none" would send the password in clear; use starttls or tls')
        return cls(
            host=host.strip(),
            port=port,
            security=security,
            sender=sender.strip(),
            recipients=[r.strip() for r in recipients],
            timeout_seconds=timeout or 30.0,
            ca_file=(kb.root / ca_file) if ca_file else None,
            subject_prefix=prefix,
            user=user,
            password=password,
        )


def _is_address(value: str) -> bool:
    """'a@b.c' or 'Name <a@b.c>', on one line (a newline would add a header)."""
    if "\n" in value or "\r" in value:
        return False
    _name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    return bool(local) and "." in domain and " " not in address


def digest_key(digest: Digest) -> str:
    """What identifies a digest: its kind and window ('sync-2026-11-22', 'window-2026-11-16-2026-11-22')."""
    if digest.counts or digest.label == "Sync run":
        return f"sync-{digest.date.isoformat()}"
    since = digest.since.isoformat() if digest.since else "start"
    until = digest.until.isoformat() if digest.until else digest.date.isoformat()
    return f"window-{since}-{until}"


def digest_message(digest: Digest, links: ExternalLinks, settings: MailSettings, now: dt.datetime | None = None) -> EmailMessage:
    """The e-mail: plain text (the digest's Markdown) and HTML alternatives."""
    message = EmailMessage()
    message["Subject"] = f"{settings.subject_prefix}{digest.title}"
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "paperkb.invalid"
    message["Message-ID"] = f"<paperkb-{digest_key(digest)}@{domain}>"
    message.set_content(render_markdown(digest, links))
    message.add_alternative(render_html(digest, links), subtype="html")
    return message


class SentLog:
    """Which digests were sent, and when: a JSON object {key: ISO timestamp} at ``path``."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise MailError(f"{self.path}: cannot read the record of sent digests ({exc}); fix or delete the file") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise MailError(f"{self.path}: not a record of sent digests ({{key: timestamp}}); fix or delete the file")
        return data

    def sent_at(self, key: str) -> str | None:
        return self._read().get(key)

    def record(self, key: str, when: dt.datetime) -> None:
        data = self._read()
        data[key] = when.isoformat(timespec="seconds")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
        os.replace(temporary, self.path)


def _tls_context(settings: MailSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(settings.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise MailError(f"{settings.ca_file}: cannot load it as a CA file ({exc}); fix ca_file in [tool.paperkb.mail]") from None
    return context


def send(message: EmailMessage, settings: MailSettings) -> None:
    """Deliver ``message`` to every recipient, or raise MailError saying what the server answered."""
    where = f"SMTP server {settings.host}:{settings.port}"
    try:
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds, context=_tls_context(settings))
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with client:
            if settings.security == "starttls":
                client.starttls(context=_tls_context(settings))
            if settings.user:
                client.login(settings.user, settings.password)
            refused = client.send_message(message, from_addr=parseaddr(settings.sender)[1], to_addrs=[parseaddr(r)[1] for r in settings.recipients])
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"{where} refused the login of {USER_ENV} ({exc.smtp_code} {_text(exc.smtp_error)})") from None
    except smtplib.SMTPNotSupportedError as exc:
        what = "STARTTLS" if settings.security == "starttls" else "that"
        raise MailError(f"{where} does not support {what} ({exc}); set security in [tool.paperkb.mail]") from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused_all = "; ".join(f"{r}: {code} {_text(text)}" for r, (code, text) in exc.recipients.items())
        raise MailError(f"{where} refused every recipient ({refused_all})") from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except (TimeoutError, smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise MailError(f"cannot send through {where}: {exc or type(exc).__name__}") from None
    if refused:
        raise MailError(f"{where} refused some recipients: " + "; ".join(f"{r}: {code} {_text(text)}" for r, (code, text) in refused.items()))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
