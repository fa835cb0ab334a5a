"""Where links back to the app point (issue 15.3): COLLABDESK_BASE_URL when set, else the address
the request came in on (checked: a Host header can be forged), else the server's own port."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from lib import config, reviewers
from lib.db import Database
from tests.conftest import PASSWORD, assert_ok, labelled, texts

SERVER = "http://localhost:8123"

# --- the checks, pure --------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "localhost:8502", "desk.agency.test",
                                  "desk.agency.test:443", "10.0.0.7:80", "[::1]:8501",
                                  "xn--bcher-kva.example"])
def test_a_plain_host_is_accepted(host: str) -> None:
    assert config.plain_host(host) == host


# Every shape a forged Host header or browser URL could take to smuggle something into a link.
FORGED_HOSTS = [
    "", " ", "evil.test/", "evil.test/path", "evil.test?x=1", "evil.test#x", "user@evil.test",
    "user:pw@evil.test", "evil.test\r\nBcc: all@evil.test", "evil.test\n", "evil.test:",
    "evil.test:0", "evil.test:65536", "evil.test:8o", "evil .test", "evil.test\\x", "-evil.test",
    "evil-.test", "ev\u0456l.test", "evil.test%2f", "http://evil.test", "[::1", "[]:80",
    "<script>", "a" * 64 + ".test", "a." * 200 + "test", "javascript:alert(1)",
]


@pytest.mark.parametrize("host", FORGED_HOSTS)
def test_anything_else_is_not_a_host(host: str) -> None:
    assert config.plain_host(host) is None


@pytest.mark.parametrize("value", [None, 8501, b"localhost", ["localhost"]])
def test_a_host_that_is_no_text_is_not_a_host(value: object) -> None:
    assert config.plain_host(value) is None


def test_the_browsers_address_comes_first_with_its_scheme() -> None:
    # Behind a proxy the Host header may name the inner address; the browser's URL is public.
    assert config.request_base_url("https://desk.agency.test/inbox", "10.0.0.7:8501",
                                   SERVER) == "https://desk.agency.test"
    assert config.request_base_url("http://localhost:41234/feedback", None,
                                   SERVER) == "http://localhost:41234"


def test_the_host_header_when_the_browser_sent_no_address() -> None:
    assert config.request_base_url(None, "desk.agency.test:8443", SERVER) == (
        "http://desk.agency.test:8443")


def test_the_server_path_prefix_is_kept() -> None:
    assert config.request_base_url("http://localhost:41234/desk/inbox", None, SERVER,
                                   "/desk/") == "http://localhost:41234/desk"
    assert config.request_base_url(None, None, SERVER, "desk") == f"{SERVER}/desk"


@pytest.mark.parametrize("forged", FORGED_HOSTS)
def test_a_forged_host_header_falls_back_to_the_servers_own_address(forged: str) -> None:
    assert config.request_base_url(None, forged, SERVER) == SERVER


@pytest.mark.parametrize("url", [
    "http://user:pw@evil.test/inbox", "http://evil.test:99999/", "http://ev\u0456l.test/",
    "http://evil .test/", "http://[::1/", "javascript:alert(1)", "data:text/html,<b>x</b>",
    "//evil.test/inbox", "evil.test", "", "http://evil.test\r\nX: y/",
])
def test_a_forged_browser_url_falls_back_to_the_servers_own_address(url: str) -> None:
    assert config.request_base_url(url, None, SERVER) == SERVER


# --- the page: the link shown when no mail server is configured ------------------------------


@pytest.fixture
def server_port() -> Iterator[int]:
    """A random server.port, as `streamlit run --server.port N` sets it."""
    port = random.randint(20_000, 60_000)
    before = streamlit_config.get_option("server.port")
    streamlit_config.set_option("server.port", port)
    yield port
    streamlit_config.set_option("server.port", before)


def invite_on_the_page(app: AppTest, campaign_id: int) -> list[str]:
    labelled(app.text_input, "Username").input("manager")
    labelled(app.text_input, "Password").input(PASSWORD)
    labelled(app.button, "Login").click().run()
    app.switch_page("pages/feedback.py").run()
    app.selectbox(key="feedback_campaign").set_value(campaign_id).run()
    labelled(app.text_area, "Invite reviewers: e-mail addresses").input("anna@client.test")
    labelled(app.button, "Send invitations").click().run()
    assert_ok(app)
    assert "No mail server is configured" in "\n".join(texts(app.warning))
    return [code.value for code in app.code]


def test_without_a_public_url_the_link_points_at_the_servers_port(
    app: AppTest, db: Database, world, server_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLLABDESK_BASE_URL", raising=False)
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    [link] = invite_on_the_page(app, world.campaigns["Spring"])
    assert link.startswith(f"http://localhost:{server_port}/review?token=")
    assert reviewers.open_link(db, link.split("token=")[1]) is not None


def test_the_configured_public_url_wins(
    app: AppTest, world, server_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLABDESK_BASE_URL", "https://collab.agency.test/desk/")
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    [link] = invite_on_the_page(app, world.campaigns["Spring"])
    assert link.startswith("https://collab.agency.test/desk/review?token=")


def test_a_malformed_public_url_is_refused_on_the_page_and_nothing_is_written(
    app: AppTest, db: Database, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLABDESK_BASE_URL", "desk.agency.test:8501")  # no scheme
    labelled(app.text_input, "Username").input("manager")
    labelled(app.text_input, "Password").input(PASSWORD)
    labelled(app.button, "Login").click().run()
    app.switch_page("pages/feedback.py").run()
    app.selectbox(key="feedback_campaign").set_value(world.campaigns["Spring"]).run()
    labelled(app.text_area, "Invite reviewers: e-mail addresses").input("anna@client.test")
    labelled(app.button, "Send invitations").click().run()
    assert any("COLLABDESK_BASE_URL is not a usable address" in e for e in texts(app.error))
    assert not app.code
    assert db.value("SELECT count(*) FROM reviewers") == 0
