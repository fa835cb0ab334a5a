"""Sending e-mail through a real SMTP server (reviewer invitations, messages to creators).

Settings come from the environment, so no credential is ever in git:

    COLLABDESK_SMTP_HOST      the server; unset means "no mail configured"
    COLLABDESK_SMTP_PORT      default 587 with STARTTLS, 465 with SSL, 25 without TLS
    COLLABDESK_SMTP_TLS       starttls (default) | ssl | none
    COLLABDESK_SMTP_USER      optional login
    COLLABDESK_SMTP_PASSWORD  optional password
    COLLABDESK_MAIL_FROM      the agency's sender address (required when a host is set)
    COLLABDESK_SMTP_TIMEOUT   seconds, default 20

With no host set, `MailSettings.from_env()` returns None and callers show what they would have
sent (a link to copy, say) instead of failing.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class MailError(Exception):
    """A message could not be sent; the text is the server's answer, fit to show a person."""


class MailNotConfigured(MailError):
    """No SMTP server is configured (COLLABDESK_SMTP_HOST is unset)."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    tls: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender_name: str = "Collabdesk"
    timeout: float = 20.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings | None:
        env = os.environ if environ is None else environ
        host = env.get("COLLABDESK_SMTP_HOST", "").strip()
        if not host:
            return None
        tls = env.get("COLLABDESK_SMTP_TLS", "starttls").strip().lower() or "starttls"
        if tls not in TLS_MODES:
            choices = ", ".join(TLS_MODES)
            raise MailError(f"COLLABDESK_SMTP_TLS must be one of {choices}, not {tls!r}.")
        sender = env.get("COLLABDESK_MAIL_FROM", "").strip()
        if not sender:
            raise MailError("COLLABDESK_MAIL_FROM (the agency's sender address) is not set.")
        port_text = env.get("COLLABDESK_SMTP_PORT", "").strip()
        try:
            port = int(port_text) if port_text else DEFAULT_PORTS[tls]
        except ValueError:
            raise MailError(f"COLLABDESK_SMTP_PORT must be a number, not {port_text!r}.") from None
        timeout_text = env.get("COLLABDESK_SMTP_TIMEOUT", "").strip() or "20"
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise MailError(
                f"COLLABDESK_SMTP_TIMEOUT must be a number of seconds, not {timeout_text!r}."
            ) from None
        return cls(
            host=host,
            port=port,
            sender=sender,
            tls=tls,
            username=env.get("COLLABDESK_SMTP_USER") or None,
            password=env.get("COLLABDESK_SMTP_PASSWORD") or None,
            sender_name=env.get("COLLABDESK_MAIL_FROM_NAME", "Collabdesk"),
            timeout=timeout,
        )


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    reply_to: str | None = None


def build_message(settings: MailSettings, mail: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message.set_content(mail.body)
    return message


@contextmanager
def connection(settings: MailSettings) -> Iterator[smtplib.SMTP]:
    """One SMTP session (several messages can go through it); errors become MailError."""
    try:
        if settings.tls == "ssl":
            context = ssl.create_default_context()
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            yield smtp
    except smtplib.SMTPException as error:
        raise MailError(describe(error)) from error
    except OSError as error:
        raise MailError(
            f"Could not reach the mail server {settings.host}:{settings.port}: {error}"
        ) from error


def send(settings: MailSettings, mail: Outgoing, smtp: smtplib.SMTP | None = None) -> str:
    """Send one message; return its Message-ID. Raises MailError with the server's reason."""
    message = build_message(settings, mail)
    if smtp is None:
        with connection(settings) as session:
            _send_one(session, message)
    else:
        _send_one(smtp, message)
    return str(message["Message-ID"])


def send_many(
    settings: MailSettings, mails: Sequence[Outgoing]
) -> Iterator[tuple[Outgoing, str | None, str | None]]:
    """Send over one session; yield (mail, message_id, error) per mail, as each one goes.

    A refused recipient fails that message only; a lost connection fails the rest with the
    same reason (the caller records each one and can retry).
    """
    done = 0
    try:
        with connection(settings) as smtp:
            for mail in mails:
                try:
                    result: tuple[Outgoing, str | None, str | None] = (
                        mail, send(settings, mail, smtp), None
                    )
                except MailError as error:
                    if isinstance(error.__cause__, smtplib.SMTPServerDisconnected):
                        raise
                    result = (mail, None, str(error))
                except (ValueError, UnicodeError) as error:  # a header the message refuses
                    result = (mail, None, f"Could not build the message to {mail.to!r}: {error}")
                done += 1
                yield result
    except MailError as error:
        # Could not connect, or the connection dropped: the rest fail with the same reason.
        for mail in mails[done:]:
            yield mail, None, str(error)


def _send_one(smtp: smtplib.SMTP, message: EmailMessage) -> None:
    try:
        refused = smtp.send_message(message)
    except smtplib.SMTPException as error:
        raise MailError(describe(error)) from error
    if refused:  # some recipients refused, others accepted: report the refusals
        raise MailError(
            "; ".join(f"{to}: {code} {text.decode(errors='replace')}" for to, (code, text)
                      in refused.items())
        )


def describe(error: smtplib.SMTPException) -> str:
    """The server's answer in one line, e.g. '550 No such user here (to someone@x.test)'."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{to}: {code} {text.decode(errors='replace')}"
            for to, (code, text) in error.recipients.items()
        )
    code = getattr(error, "smtp_code", None)
    text = getattr(error, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if code:
        return f"The mail server answered {code} {text}".strip()
    return str(error) or error.__class__.__name__
