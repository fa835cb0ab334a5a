"""Icons render on every machine: no emoji in the app's code (issue 15.6).

A Linux server without an emoji font draws colour emoji as empty boxes, so statuses and icons
use Streamlit's Material icons (":material/name:"), coloured text, st.badge or coloured pills.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The code that draws the app: app.py, every page and every lib module (demo data included:
# what it seeds is shown on the pages).
APP_CODE = sorted([PROJECT_ROOT / "app.py", *PROJECT_ROOT.glob("pages/**/*.py"),
                   *PROJECT_ROOT.glob("lib/**/*.py")])
# Code points that are emoji or become one: the emoji blocks of the Supplementary Multilingual
# Plane (faces, symbols, coloured circles and squares, flags), Miscellaneous Technical (hourglass,
# watch), Miscellaneous Symbols and Dingbats (check marks, crosses, stars), Miscellaneous Symbols
# and Arrows (large star, coloured squares), and the joiners that make emoji out of other
# characters (VS16, zero-width joiner, keycap).
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\ufe0f\u200d\u20e3]"
)


def emoji_in(text: str) -> list[tuple[int, str]]:
    """(line number, the emoji) for every emoji code point in `text`."""
    return [
        (number, match.group())
        for number, line in enumerate(text.splitlines(), start=1)
        for match in EMOJI.finditer(line)
    ]


@pytest.mark.parametrize("text", ["✅ Accepted", "🟢 Open", "⌛ Expired", "✖️ Declined", "⭐",
                                  "Status 🇩🇪", "Morning routine ✨", "1️⃣"])
def test_the_scanner_finds_emoji(text: str) -> None:
    assert emoji_in(text), text


@pytest.mark.parametrize("text", [":material/check_circle: Accepted", "Ada × Spring · 2 d → 3 d",
                                  "Müller, København, “CSV UTF-8” — …", "#ad #sponsored"])
def test_the_scanner_leaves_text_alone(text: str) -> None:
    assert emoji_in(text) == []


def test_the_app_code_has_no_emoji() -> None:
    assert len(APP_CODE) > 20  # pages and lib were found
    found = {
        f"{path.relative_to(PROJECT_ROOT)}:{line}": char
        for path in APP_CODE
        for line, char in emoji_in(path.read_text(encoding="utf-8"))
    }
    assert found == {}, "use a Material icon (:material/name:), st.badge or coloured text"
