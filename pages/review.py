"""The reviewer's page, opened by a personal link (<base URL>/review?token=...), with no login.

It shows one campaign: its creators (public profile and a PDF profile report) and its content
items, each with a feedback form, and the reviewer's own feedback with the agency's replies.
A malformed, unknown or revoked token sees "This link is not valid." and nothing else. The
token is read from the URL and handed to lib.reviewers; it is never shown or logged. Every
text a person typed is shown as text (st.text, or web.as_text inside markdown), never as markdown
or HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from lib import reviewers, web
from lib.db import ConcurrentEditError, NotFound
from lib.feedback import Piece
from lib.models import MAX_FEEDBACK_CHARS, ContentApproval, ReviewerLink, SubjectKind, Verdict
from lib.rules import RuleViolation

# On a fresh server a deep link runs this file alone, with every page file in a sidebar; a
# reviewer must see none of them: app.py routes the link to this page alone.
web.run_through_app()

db = web.database()
token = st.query_params.get("token")
first_visit = st.session_state.get("_review_visit") is None
link = reviewers.open_link(db, token, record_visit=first_visit)
if link is None:
    web.invalid_link()
    st.stop()
st.session_state["_review_visit"] = link.reviewer_id
web.show_flashes()

VERDICTS: list[str | None] = [None, Verdict.APPROVE.value, Verdict.DECLINE.value]
VERDICT_BADGES = {"approve": ("Approve", "green"), "decline": ("Decline", "red")}
APPROVAL_COLORS = {"pending": "orange", "approved": "green", "changes_requested": "red"}
STANDING = {"collaborating": "Collaborating", "shortlisted": "Shortlisted",
            "candidate": "Candidate"}
CARDS_PER_PAGE = 5  # a card with its form is ~270 px: a page of them stays ~2 screens tall


def feedback_form(kind: SubjectKind, subject_id: int, title: str) -> None:
    form = f"feedback_{kind.value}_{subject_id}"
    subject = f"{kind.value}_{subject_id}"
    text_key, verdict_key = f"feedback_text_{subject}", f"verdict_{subject}"
    with web.kept_form(form, empty={text_key: "", verdict_key: None}):
        text, choice = st.columns([3, 1])
        body = text.text_area(f"Your feedback on {web.as_text(title, one_line=True)}",
                              max_chars=MAX_FEEDBACK_CHARS, height=80,
                              key=text_key)
        verdict = choice.radio(
            "Verdict", VERDICTS, key=verdict_key,
            format_func=lambda v: "No verdict" if v is None else VERDICT_BADGES[v][0],
        )
        sent = st.form_submit_button("Submit feedback",
                                     key=f"feedback_send_{kind.value}_{subject_id}")
    if sent:
        try:
            reviewers.submit_feedback(db, token, kind, subject_id, body, verdict)
        except reviewers.InvalidLink:
            st.rerun()  # revoked a moment ago: the next run shows only "not valid"
        except (RuleViolation, NotFound, ConcurrentEditError) as refusal:
            web.refused(refusal)
            return
        web.typed_done(form)
        web.flash("Thank you: your feedback was sent.")
        st.rerun()


def own_feedback(pieces: list[Piece]) -> None:
    """The reviewer's own feedback on a subject, newest first, with the agency's replies."""
    for piece in pieces:
        cols = st.columns([1, 5])
        if piece.verdict:
            label, color = VERDICT_BADGES[piece.verdict]
            cols[0].badge(label, color=color)
        cols[1].caption(f"You wrote on {piece.created_at:%Y-%m-%d %H:%M} UTC")
        if piece.body:
            st.text(piece.body)  # as typed: feedback may hold anything
        for reply in piece.replies:
            st.caption(f"Reply from {web.as_text(reply.author)} on "
                       f"{reply.created_at:%Y-%m-%d %H:%M} UTC")
            st.text(reply.body)


def page_picker(page: Any, key: str) -> None:
    """Above the cards: how many there are, and the page number when there is more than one."""
    count, number = st.columns([3, 1], vertical_alignment="bottom")
    count.caption(f"{page.total:,} in all · page {page.page} of {page.pages}")
    if page.pages > 1:
        number.number_input("Page", 1, page.pages, key=key)


def creator_card(row: pd.Series, pieces: list[Piece]) -> None:
    creator_id = int(row["id"])
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(f"**{web.as_text(row['name'])}** · @{web.as_text(row['handle'])} on "
                      f"{web.as_text(row['platform'])}")
        left.caption(f"{int(row['followers']):,} followers · "
                     f"{float(row['engagement_rate']):.2f}% engagement · "
                     f"{STANDING.get(row['standing'], '')}")
        right.download_button(
            "Profile (PDF)", data=lambda: reviewers.creator_report(db, token, creator_id),
            file_name=f"profile-{creator_id}.pdf", mime="application/pdf",
            key=f"pdf_{creator_id}", on_click="ignore", icon=":material/download:",
        )
        own_feedback(pieces)
        feedback_form(SubjectKind.CREATOR, creator_id, row["name"])


def content_card(row: pd.Series, pieces: list[Piece]) -> None:
    item_id = int(row["id"])
    title = f"{row['kind']} v{int(row['version'] or 1)} by {row['creator']}"
    approval = ContentApproval(row["approval"] or "approved")
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(f"**{web.as_text(title)}** (@{web.as_text(row['handle'])})")
        left.badge(approval.label, color=APPROVAL_COLORS[approval.value])
        if row["caption"]:
            left.text(row["caption"])
        left.caption(f"Submitted {row['submitted_at']:%Y-%m-%d} · {web.as_text(row['url'])}")
        right.link_button("Open content", row["url"], icon=":material/open_in_new:")
        own_feedback(pieces)
        feedback_form(SubjectKind.CONTENT, item_id, title)


def cards_tab(link: ReviewerLink, kind: SubjectKind, fetch: Callable[..., Any],
              card: Callable[[pd.Series, list[Piece]], None], empty: str) -> None:
    """One tab of cards (creators or content items), a page at a time, each card with the
    reviewer's own feedback on it."""
    key = f"review_{kind.value}_page"
    number = int(st.session_state.get(key, 1))
    page = web.attempt(lambda: fetch(db, link, number, CARDS_PER_PAGE))
    if page is None:
        return
    if page.rows.empty:
        st.caption(empty)
        return
    ids = [int(i) for i in page.rows["id"]]
    threads = reviewers.own_threads(db, link, kind, ids)
    page_picker(page, key)
    for _, row in page.rows.iterrows():
        card(row, threads.get(int(row["id"]), []))


st.title(web.as_text(link.campaign, one_line=True))
st.caption(f"{web.as_text(link.client)} · {link.start_date:%Y-%m-%d} to {link.end_date:%Y-%m-%d}"
           f" · you review as {web.as_text(link.email)}")
st.info("Leave feedback on each creator and each piece of content, and approve or decline it "
        "if you like. Only you and the agency see your feedback; the agency's replies appear "
        "under it.", icon=":material/info:")
creators, content = st.tabs(["Creators", "Content"])
with creators:
    cards_tab(link, SubjectKind.CREATOR, reviewers.campaign_creators, creator_card,
              "The campaign has no creators to review yet.")
with content:
    cards_tab(link, SubjectKind.CONTENT, reviewers.campaign_content, content_card,
              "No content has been submitted yet.")
