"""The links between the README and the pages under docs/ lead somewhere: each relative link
names a file that exists, and each anchor a heading of that file."""

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def anchor(heading: str) -> str:
    """The anchor a heading gets on GitHub: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor on ``page``, a repeated one numbered as GitHub numbers it."""
    seen: Counter[str] = Counter()
    found = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        if match := re.match(r"#+ (.*)", line):
            name = anchor(match.group(1))
            found.add(f"{name}-{seen[name]}" if seen[name] else name)
            seen[name] += 1
    return found


def test_anchor_follows_githubs_rule():
    assert anchor("A narrower z on Adult (validation rows; Adult's setting since 2026-12-06)") == (
        "a-narrower-z-on-adult-validation-rows-adults-setting-since-2026-12-06"
    )
    assert anchor("I(z; c | y) on the digits features (screened out)") == (
        "iz-c--y-on-the-digits-features-screened-out"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_relative_links_name_files_and_headings_that_exist(page):
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # a web address, not checked here
        path, _, name = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif name and linked.suffix == ".md" and name not in anchors(linked):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{page.name}: " + "; ".join(broken)
