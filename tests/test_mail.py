"""lib.mail against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from lib import mail
from lib.mail import MailError, MailSettings, Outgoing


def test_no_host_means_no_mail_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    assert MailSettings.from_env() is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COLLABDESK_SMTP_HOST": "mail.test", "COLLABDESK_SMTP_TLS": "maybe",
          "COLLABDESK_MAIL_FROM": "a@b.test"}, "must be one of"),
        ({"COLLABDESK_SMTP_HOST": "mail.test"}, "COLLABDESK_MAIL_FROM"),
        ({"COLLABDESK_SMTP_HOST": "mail.test", "COLLABDESK_SMTP_PORT": "abc",
          "COLLABDESK_MAIL_FROM": "a@b.test"}, "must be a number"),
    ],
)
def test_bad_settings_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(MailError, match=message):
        MailSettings.from_env(env)


def test_default_port_follows_the_tls_mode() -> None:
    settings = MailSettings.from_env(
        {"COLLABDESK_SMTP_HOST": "mail.test", "COLLABDESK_SMTP_TLS": "ssl",
         "COLLABDESK_MAIL_FROM": "a@b.test"}
    )
    assert settings is not None and settings.port == 465


def test_a_message_arrives_at_the_server(smtp_server) -> None:
    settings = MailSettings.from_env()
    assert settings is not None
    message_id = mail.send(settings, Outgoing("ana@creators.test", "Hello Ana", "Line one\nÜber"))
    [received] = smtp_server.messages
    assert received["Subject"] == "Hello Ana"
    assert received["To"] == "ana@creators.test"
    assert "team@agency.test" in received["From"]
    assert received["Message-ID"] == message_id
    assert received.get_content().strip() == "Line one\nÜber"


def test_a_refused_recipient_fails_with_the_servers_answer(smtp_server) -> None:
    smtp_server.refuse.add("ghost@creators.test")
    settings = MailSettings.from_env()
    assert settings is not None
    with pytest.raises(MailError, match="550 No such user here"):
        mail.send(settings, Outgoing("ghost@creators.test", "Hi", "Body"))
    assert smtp_server.messages == []


def test_send_many_fails_only_the_refused_one(smtp_server) -> None:
    smtp_server.refuse.add("ghost@creators.test")
    settings = MailSettings.from_env()
    assert settings is not None
    batch = [Outgoing(to, "Hi", "Body") for to in
             ("a@creators.test", "ghost@creators.test", "b@creators.test")]
    results = [(m.to, error) for m, _, error in mail.send_many(settings, batch)]
    assert [to for to, error in results if error is None] == ["a@creators.test", "b@creators.test"]
    assert "550" in dict(results)["ghost@creators.test"]
    assert len(smtp_server.messages) == 2


def test_an_unreachable_server_fails_every_message_with_a_clear_reason() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = MailSettings(host="127.0.0.1", port=port, sender="a@b.test", tls="none", timeout=5)
    batch = [Outgoing("x@creators.test", "Hi", "Body"), Outgoing("y@creators.test", "Hi", "B")]
    results = list(mail.send_many(settings, batch))
    assert [m.to for m, _, _ in results] == ["x@creators.test", "y@creators.test"]
    assert all(error and "Could not reach the mail server" in error for _, _, error in results)


def test_a_header_the_message_refuses_fails_that_mail_only(smtp_server) -> None:
    settings = MailSettings.from_env()
    assert settings is not None
    batch = [Outgoing("a@creators.test", "Hi", "Body"),
             Outgoing("b@creators.test", "Line\nBcc: everyone@x.test", "Body"),
             Outgoing("c@creators.test", "Hi", "Body")]
    results = [(m.to, error) for m, _, error in mail.send_many(settings, batch)]
    assert [to for to, error in results if error is None] == ["a@creators.test", "c@creators.test"]
    assert "Could not build the message" in dict(results)["b@creators.test"]
    assert len(smtp_server.messages) == 2
