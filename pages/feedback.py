"""Feedback: for one campaign, every reviewer's feedback by creator and by content item with
tallies and threads (replies the reviewer sees, internal notes they never do), content
approval, and the campaign's reviewers (invite, re-send, regenerate, remove).

Everyone reads; staff reply, add notes and approve content; managers manage reviewers. The
services check the role again. Text anyone typed is shown as text: st.text or a table cell,
or web.as_text inside markdown.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lib import feedback, reviewers, web
from lib.feedback import Piece
from lib.models import (
    MAX_CAPTION_CHARS,
    MAX_REASON_CHARS,
    MAX_REPLY_CHARS,
    ContentApproval,
    ContentType,
    FeedbackFilter,
    ReplyKind,
    Role,
    SubjectKind,
)

db = web.database()
user = web.current_user()
can_answer = user.can(Role.STAFF)
can_manage = user.can(Role.MANAGER)

VERDICT_BADGES = {"approve": ("Approve", "green"), "decline": ("Decline", "red")}
STATE_BADGES = {"pending": ("Pending review", "orange"), "approved": ("Approved", "green"),
                "declined": ("Declined", "red")}
APPROVAL_COLORS = {"pending": "orange", "approved": "green", "changes_requested": "red"}


def done(message: str, form: str | None = None) -> None:
    """After a write: a toast on the next run, which draws `form` (a web.kept_form) empty."""
    if form is not None:
        web.typed_done(form)
    web.flash(message)
    st.rerun()


def count(number: int, one: str, many: str | None = None) -> str:
    """"1 piece of feedback", "2 pieces of feedback"."""
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def when(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:%Y-%m-%d %H:%M} UTC"


# --- choosing the campaign ---------------------------------------------------------------


def choose_campaign() -> int | None:
    choices = web.campaign_options(feedback.campaign_choices(db))
    # The campaign lives in the address (?campaign=12: a notification's link, a reload).
    web.widget_from_address(
        "campaign", "feedback_campaign", web.choice_from_address("campaign", choices, "campaign")
    )
    chosen = st.selectbox(
        "Campaign", [None, *choices], key="feedback_campaign",
        format_func=lambda i: "Choose a campaign" if i is None else choices[i],
    )
    web.address_from_widget("campaign", "feedback_campaign", chosen and str(chosen))
    return chosen


def summary(campaign_id: int) -> dict | None:
    found = web.attempt(lambda: feedback.campaign_summary(db, campaign_id))
    if found is not None:
        st.caption(
            f"{web.as_text(found['client'])} · owner {web.as_text(found['owner'] or '—')} · "
            f"{count(found['reviewers'], 'reviewer')} · "
            f"{count(found['pieces'], 'piece', 'pieces')} of feedback, "
            f"{found['unanswered']} unanswered · "
            f"{count(found['content_pending'], 'content item')} waiting for approval"
        )
    return found


# --- threads -----------------------------------------------------------------------------


def tally(row: pd.Series) -> str:
    return (f"{int(row['approvals'])} approve · {int(row['declines'])} decline · "
            f"{count(int(row['pieces']), 'piece')} of feedback, "
            f"{int(row['unanswered'])} unanswered")


def thread(piece: Piece) -> None:
    with st.container(border=True):
        # the verdict's badge beside the byline, which starts at the left without one
        line = st.container(horizontal=True, vertical_alignment="center")
        if piece.verdict:
            label, color = VERDICT_BADGES[piece.verdict]
            line.badge(label, color=color)
        line.caption(f"{web.as_text(piece.reviewer_email)} · {when(piece.created_at)}"
                        + ("" if piece.answered else " · unanswered"))
        if piece.body:
            st.text(piece.body)  # as typed: feedback may hold anything
        for reply in piece.replies:
            internal = reply.kind is ReplyKind.INTERNAL_NOTE
            st.caption(("Internal note (reviewers never see it)" if internal else
                        "Reply to the reviewer") + f" · {web.as_text(reply.author)} · "
                       f"{when(reply.created_at)}")
            st.text(reply.body)
        if can_answer:
            answer_form(piece)


def answer_form(piece: Piece) -> None:
    form = f"answer_{piece.id}"
    with web.kept_form(form, empty={f"answer_text_{piece.id}": ""}):
        text = st.text_area("Answer", max_chars=MAX_REPLY_CHARS, height=68,
                            key=f"answer_text_{piece.id}",
                            placeholder="A reply the reviewer sees, or an internal note")
        cols = st.columns([1, 1, 3])
        reply = cols[0].form_submit_button("Reply to reviewer", key=f"reply_{piece.id}")
        note = cols[1].form_submit_button("Add internal note", key=f"note_{piece.id}")
    for pressed, kind, message in ((reply, ReplyKind.REPLY, "Reply sent to the reviewer."),
                                   (note, ReplyKind.INTERNAL_NOTE, "Internal note added.")):
        if pressed and web.ok(lambda k=kind: feedback.answer(db, user, piece.id, text, k)):
            done(message, form)


# --- by creator and by content item ------------------------------------------------------


CARDS_PER_PAGE = 5  # creators or content items per page: a page stays a few screens tall


def subject_list(campaign_id: int, kind: SubjectKind, filt: FeedbackFilter) -> None:
    """One page of cards, each an expander whose label says what is inside: open when it
    holds unanswered feedback (the work left), and the first one always; closed otherwise."""
    key = f"feedback_{kind.value}_page"
    number = int(st.session_state.get(key, 1))
    page = web.attempt(lambda: feedback.subjects(db, campaign_id, kind, filt, number,
                                                 CARDS_PER_PAGE))
    if page is None:
        return
    if page.rows.empty:
        st.caption("Nothing here with this filter.")
        return
    ids = [int(i) for i in page.rows["subject_id"]]
    threads = feedback.threads(db, campaign_id, kind, ids)
    for position, (_, row) in enumerate(page.rows.iterrows()):
        opened = position == 0 or int(row["unanswered"]) > 0
        with st.expander(card_label(row, kind), expanded=opened):
            if kind is SubjectKind.CREATOR:
                creator_header(row)
            else:
                content_header(row)
            for piece in threads.get(int(row["subject_id"]), []):
                thread(piece)
    cols = st.columns([1, 4], vertical_alignment="bottom")
    if page.pages > 1:
        cols[0].number_input("Page", 1, page.pages, key=key)
    cols[1].caption(f"{page.total:,} in all · page {page.page} of {page.pages}")


def card_label(row: pd.Series, kind: SubjectKind) -> str:
    """The expander's label: who or what, the review state and how much waits for an answer."""
    name = web.as_text(row["name"], one_line=True)
    handle = web.as_text(row["handle"], one_line=True)
    if kind is SubjectKind.CREATOR:
        what, state = f"**{name}** · @{handle}", STATE_BADGES[row["state"]][0]
    else:
        kind_name = web.as_text(row["kind"], one_line=True)
        what = f"**{kind_name} v{int(row['version'] or 1)}** by {name}"
        state = ContentApproval(row["approval"] or "approved").label
    waiting = int(row["unanswered"])
    return (f"{what} · {state} · {count(int(row['pieces']), 'piece')} of feedback"
            + (f" · :orange[{waiting:,} unanswered]" if waiting else ""))


def creator_header(row: pd.Series) -> None:
    """Inside the card: where the creator posts (the label already names them) and the tally."""
    label, color = STATE_BADGES[row["state"]]
    cols = st.columns([5, 1])
    cols[0].markdown(f"@{web.as_text(row['handle'])} on {web.as_text(row['platform'])} · "
                     f"{int(row['followers']):,} followers")
    cols[1].badge(label, color=color)
    st.caption(tally(row))


def content_header(row: pd.Series) -> None:
    approval = ContentApproval(row["approval"] or "approved")
    cols = st.columns([5, 1])
    cols[0].markdown(f"**{web.as_text(row['kind'])} v{int(row['version'] or 1)}** by "
                     f"{web.as_text(row['name'])} (@{web.as_text(row['handle'])})")
    cols[1].badge(approval.label, color=APPROVAL_COLORS[approval.value])
    if row["caption"]:
        st.text(row["caption"])
    st.caption(f"{web.as_text(row['url'])} · submitted {when(row['submitted_at'])} · "
               + tally(row))
    if can_answer:
        approval_form(int(row["subject_id"]), approval)


def approval_form(item_id: int, current: ContentApproval) -> None:
    form = f"approval_{item_id}"
    with web.kept_form(form, empty={f"approval_note_{item_id}": ""}):
        note = st.text_input("Changes needed, or a note", max_chars=MAX_REASON_CHARS,
                             key=f"approval_note_{item_id}")
        cols = st.columns([1, 1, 3])
        approve = cols[0].form_submit_button(
            "Approve", key=f"approve_{item_id}", disabled=current is ContentApproval.APPROVED)
        changes = cols[1].form_submit_button(
            "Request changes", key=f"changes_{item_id}",
            disabled=current is ContentApproval.CHANGES_REQUESTED)
    for pressed, target in ((approve, ContentApproval.APPROVED),
                            (changes, ContentApproval.CHANGES_REQUESTED)):
        if pressed and web.ok(
            lambda t=target: feedback.review_content(db, user, item_id, t, note)
        ):
            done(f"Content {target.label.lower()}.", form)


def submission_form(campaign_id: int) -> None:
    with st.expander("Record content a creator submitted for approval"):
        collabs = dict(feedback.campaign_collaborations(db, campaign_id))
        if not collabs:
            st.caption("The campaign has no collaborations yet.")
            return
        collab_id = st.selectbox("Collaboration", list(collabs), format_func=collabs.get,
                                 key="submit_collab")
        earlier = dict(feedback.latest_versions(db, collab_id))
        with web.kept_form("submit_content"):
            url = st.text_input("Content URL", max_chars=2000, placeholder="https://…")
            cols = st.columns(2)
            kind = cols[0].selectbox("Type", [k.value for k in ContentType])
            previous = cols[1].selectbox(
                "New version of", [None, *earlier],
                format_func=lambda i: "Nothing: a new piece (version 1)" if i is None
                else earlier[i],
            )
            caption = st.text_area("Caption", max_chars=MAX_CAPTION_CHARS, height=80)
            sent = st.form_submit_button("Record submission", type="primary")
        if sent and web.ok(lambda: feedback.submit_content(
            db, user, collab_id, url, kind, caption, previous)
        ):
            done("Content recorded; it waits for approval.", "submit_content")


# --- reviewers -----------------------------------------------------------------------------


def reviewers_tab(campaign_id: int) -> None:
    show_links()
    listed = reviewers.list_reviewers(db, campaign_id)
    if listed.empty:
        st.caption("Nobody reviews this campaign yet.")
    else:
        web.dataframe(
            listed, hide_index=True,
            column_order=["email", "invited_at", "invited_by", "link_sent_at", "last_visit_at",
                          "pieces", "live_links"],
            column_config={
                "email": "E-mail", "invited_by": "Invited by", "pieces": "Feedback",
                "live_links": "Live links",
                "invited_at": st.column_config.DatetimeColumn("Invited (UTC)",
                                                              format="YYYY-MM-DD HH:mm"),
                "link_sent_at": st.column_config.DatetimeColumn("Link sent (UTC)",
                                                                format="YYYY-MM-DD HH:mm"),
                "last_visit_at": st.column_config.DatetimeColumn("Last visit (UTC)",
                                                                 format="YYYY-MM-DD HH:mm"),
            },
        )
    if not can_manage:
        st.caption("Managers invite and remove reviewers.")
        return
    invite_form(campaign_id)
    if not listed.empty:
        manage_reviewer(dict(zip(listed["id"].astype(int), listed["email"], strict=True)))


def invite_form(campaign_id: int) -> None:
    with web.kept_form("invite_reviewers", empty={"invite_emails": ""}):
        emails = st.text_area("Invite reviewers: e-mail addresses", key="invite_emails",
                              placeholder="anna@client.com, ben@client.com", height=80)
        sent = st.form_submit_button("Send invitations", type="primary")
    if sent:
        result = web.attempt(lambda: reviewers.invite(
            db, user, campaign_id, emails, base_url=web.app_base_url()))
        if result is not None:
            remember(result.deliveries)
            refused = web.as_text("; ".join(f"{a} {why}" for a, why in result.refused.items()))
            done(f"{len(result.deliveries)} invited." + (f" Not invited: {refused}." if refused
                                                          else ""), "invite_reviewers")


def manage_reviewer(listed: dict[int, str]) -> None:
    st.markdown("**One reviewer**")
    reviewer_id = st.selectbox("Reviewer", list(listed), format_func=listed.get,
                               key="manage_reviewer")
    email = listed[reviewer_id]
    cols = st.columns([1, 1, 3])
    if cols[0].button("Re-send link", help="Mails a fresh link; earlier links keep working."):
        delivery = web.attempt(lambda: reviewers.resend_link(
            db, user, reviewer_id, base_url=web.app_base_url()))
        if delivery is not None:
            remember([delivery])
            done(f"New link for {web.as_text(email)}.")
    if cols[1].button("Regenerate link", help="Earlier links stop working; a new one is sent."):
        delivery = web.attempt(lambda: reviewers.regenerate_link(
            db, user, reviewer_id, base_url=web.app_base_url()))
        if delivery is not None:
            remember([delivery])
            done(f"Link regenerated for {web.as_text(email)}; earlier links no longer work.")
    pieces = reviewers.feedback_count(db, reviewer_id)
    st.warning(f"Removing {web.as_text(email)} revokes their link at once and deletes all of their "
               f"feedback: {count(pieces, 'piece')}, with the replies and notes on them.",
               icon=":material/warning:")
    sure = st.checkbox(f"Remove {web.as_text(email)} and delete {count(pieces, 'piece')} of "
                       "feedback",
                       key=f"remove_confirm_{reviewer_id}")
    if st.button("Remove reviewer", disabled=not sure) and web.ok(
        lambda: reviewers.remove_reviewer(db, user, reviewer_id, pieces)
    ):
        st.session_state.pop(f"remove_confirm_{reviewer_id}", None)
        st.session_state.pop("manage_reviewer", None)
        done(f"{web.as_text(email)} removed; {count(pieces, 'piece')} of feedback deleted.")


def remember(deliveries: list[reviewers.Delivery]) -> None:
    """Links that were not mailed, to show once after the rerun (for someone to pass on)."""
    st.session_state["_reviewer_links"] = [
        (d.email, d.link, d.sent, d.error) for d in deliveries
    ]


def show_links() -> None:
    for email, link, sent, error in st.session_state.pop("_reviewer_links", []):
        if sent:
            st.success(f"Link mailed to {web.as_text(email)}.", icon=web.OK_ICON)
            continue
        why = (f"The mail could not be sent ({web.as_text(error)})" if error
               else "No mail server is configured")
        st.warning(f"{why}: copy the link for {web.as_text(email)} and send it yourself. It is "
                   "shown this once.", icon=web.WARN_ICON)
        st.code(link, language=None)


# --- the page ------------------------------------------------------------------------------


st.title("Feedback")
campaign = choose_campaign()
if campaign is None:
    st.info("Choose a campaign to see its reviewers' feedback.")
    st.stop()
if summary(campaign) is None:
    st.stop()
filt = st.radio("Show", list(FeedbackFilter), horizontal=True, key="feedback_filter",
                format_func=lambda f: f.label)
by_creator, by_content, people = st.tabs(["By creator", "By content item", "Reviewers"])
with by_creator:
    subject_list(campaign, SubjectKind.CREATOR, filt)
with by_content:
    if can_answer:
        submission_form(campaign)
    subject_list(campaign, SubjectKind.CONTENT, filt)
with people:
    reviewers_tab(campaign)
