"""`paperkb digest --send`: the digest over real SMTP to a server on 127.0.0.1, parsed as it arrived."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paperkb.cli.main import main
from tests.support.fake_smtp import PASSWORD, USER, smtp_server

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "research_sync"


def knowledge_base(tmp_path: Path, server, security: str, **extra: str) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    lines = [
        "[tool.paperkb.mail]",
        f'host = "{server.host}"',
        f"port = {server.port}",
        f'security = "{security}"',
        'sender = "Research Sync <digest@kb.example.org>"',
        'recipients = ["team@example.org", "Ana <ana@example.org>"]',
        "timeout_seconds = 10",
        *(f'ca_file = "{server.ca_file}"' for _ in [0] if server.ca_file),
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def send(capsys, root: Path, *args: str) -> tuple[int, str]:
    code = main(["--root", str(root), "digest", "--sync", "2026-11-22", "--send", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and out == ""
    return code, err


def test_the_digest_arrives_as_html_and_plain_text_once(tmp_path, capsys):
    with smtp_server(tmp_path) as server:
        root = knowledge_base(tmp_path, server, "none")
        code, err = send(capsys, root)
        assert code == 0 and "sent AI Research Sync — 2026-11-22 to 2 recipient(s)" in err
        [message] = server.messages
        assert message["Subject"] == "AI Research Sync — 2026-11-22"
        assert server.envelopes == [("digest@kb.example.org", ["team@example.org", "ana@example.org"])]
        assert message.get_content_type() == "multipart/alternative"
        plain, html = message.get_body(("plain",)), message.get_body(("html",))
        assert plain is not None and html is not None
        assert "# AI Research Sync — 2026-11-22" in plain.get_content()
        assert "<!DOCTYPE html>" in html.get_content() and "https://kb.example.org/research/papers/" in html.get_content()
        assert message["Message-ID"] == "<paperkb-sync-2026-11-22@kb.example.org>"
        # the same digest again: nothing sent
        code, err = send(capsys, root)
        assert code == 0 and "already sent" in err and len(server.messages) == 1


# aiosmtpd warns that it does not demand TLS for AUTH on the implicit-TLS server, which is encrypted anyway
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_login_over_tls_from_the_environment_never_shows_the_password(tmp_path, capsys, monkeypatch, security):
    monkeypatch.setenv("PAPERKB_SMTP_USER", USER)
    monkeypatch.setenv("PAPERKB_SMTP_PASSWORD", PASSWORD)
    with smtp_server(tmp_path, security, login=True) as server:
        root = knowledge_base(tmp_path, server, security)
        code, err = send(capsys, root)
        assert code == 0 and len(server.messages) == 1 and server.logins == [USER]
        assert PASSWORD not in err


def test_a_refused_login_is_one_line_without_the_password(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PAPERKB_SMTP_USER", USER)
    monkeypatch.setenv("PAPERKB_SMTP_PASSWORD", "wrong-password")
    with smtp_server(tmp_path, "starttls", login=True) as server:
        root = knowledge_base(tmp_path, server, "starttls")
        code, err = send(capsys, root)
        assert code == 1 and server.messages == []
        assert "refused the login of PAPERKB_SMTP_USER (535" in err and "wrong-password" not in err
        assert len(err.strip().splitlines()) == 1
        code, err = send(capsys, root)  # not recorded as sent: a later run tries again
        assert code == 1


def test_an_unreachable_server_is_a_clear_error(tmp_path, capsys):
    with smtp_server(tmp_path) as server:
        root = knowledge_base(tmp_path, server, "none")
    code, err = send(capsys, root)  # the server is gone now
    assert code == 1 and f"cannot send through SMTP server 127.0.0.1:{server.port}" in err


@pytest.mark.parametrize(
    "table, message",
    [
        ({"host": '""'}, "set host ="),
        ({"security": '"ssl"'}, "security must be one of starttls, tls, none"),
        ({"port": "0"}, "port must be a whole number from 1 to 65535"),
        ({"recipients": '["not an address"]'}, "set recipients ="),
        ({"sender": '"x\\nBcc: evil@example.org"'}, "set sender ="),
        ({"hots": '"x"'}, "unknown key 'hots'; did you mean 'host'?"),
    ],
)
def test_bad_mail_settings_are_named_before_anything_is_sent(tmp_path, capsys, table, message):
    with smtp_server(tmp_path) as server:
        root = knowledge_base(tmp_path, server, "none")
        text = (root / "pyproject.toml").read_text("utf-8")
        for key, value in table.items():
            lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
            text = "\n".join(lines + [f"{key} = {value}"]) + "\n"
        (root / "pyproject.toml").write_text(text, "utf-8")
        code, err = send(capsys, root)
        assert code == 2 and message in err and "[tool.paperkb.mail]" in err and server.messages == []


def test_login_needs_both_variables_and_never_goes_in_clear(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PAPERKB_SMTP_USER", USER)
    with smtp_server(tmp_path) as server:
        root = knowledge_base(tmp_path, server, "none")
        code, err = send(capsys, root)
        assert code == 2 and "set both PAPERKB_SMTP_USER and PAPERKB_SMTP_PASSWORD" in err
        monkeypatch.setenv("PAPERKB_SMTP_PASSWORD", PASSWORD)
        code, err = send(capsys, root)
        assert code == 2 and "would send the password in clear" in err and server.messages == []
