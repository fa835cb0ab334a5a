"""Printable reports as PDF (fpdf2): a creator's profile for a campaign's reviewers.

Text is drawn with DejaVu Sans when the machine has it (Debian's fonts-dejavu-core), so names in
any script print as typed; without it, with the PDF core font Helvetica, where characters
outside Latin-1 print as "?".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@dataclass(frozen=True)
class CreatorProfile:
    name: str
    handle: str
    platform: str
    followers: int
    engagement_rate: float
    campaign: str
    client: str
    content: tuple[tuple[str, int, str, str], ...] = ()  # (type, version, approval, url)


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.unicode = UNICODE_FONT.exists() and UNICODE_FONT_BOLD.exists()
        if self.unicode:
            self.add_font("Body", "", str(UNICODE_FONT))
            self.add_font("Body", "B", str(UNICODE_FONT_BOLD))
        self.family = "Body" if self.unicode else "Helvetica"
        self.set_title(title)
        self.set_creator("Collabdesk")
        self.set_margins(20, 20, 20)
        self.add_page()

    def text_of(self, value: object) -> str:
        text = str(value)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def line_of(self, text: str, size: int = 11, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, size * 0.55, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: str) -> None:
        self.set_font(self.family, "B", 11)
        self.cell(45, 7, self.text_of(label))
        self.set_font(self.family, "", 11)
        self.multi_cell(0, 7, self.text_of(value), new_x="LMARGIN", new_y="NEXT")


def creator_profile(profile: CreatorProfile, generated: dt.datetime) -> bytes:
    """A one-page (or longer, with much content) profile report of a creator."""
    pdf = _Report(f"Creator profile: {profile.name}")
    pdf.line_of(profile.name, 20, bold=True)
    pdf.line_of(f"@{profile.handle} on {profile.platform}", 12)
    pdf.ln(4)
    pdf.row("Campaign", f"{profile.campaign} ({profile.client})")
    pdf.row("Platform", profile.platform)
    pdf.row("Handle", f"@{profile.handle}")
    pdf.row("Followers", f"{profile.followers:,}")
    pdf.row("Engagement rate", f"{profile.engagement_rate:.2f} %")
    if profile.content:
        pdf.ln(4)
        pdf.line_of("Content in this campaign", 13, bold=True)
        for kind, version, approval, url in profile.content:
            pdf.line_of(f"{kind} v{version} ({approval}): {url}", 10)
    pdf.ln(6)
    pdf.line_of(f"Generated {generated:%Y-%m-%d %H:%M} UTC by Collabdesk.", 8)
    return bytes(pdf.output())
