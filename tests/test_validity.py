"""Every page of the built site is valid HTML: checked by the Nu HTML checker (vnu.jar, pinned in
package.json, run with Java) where Java is installed, and, always, for the error a browser hides
best: an id given to two elements of one page."""

import json
import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser

import pytest

from tests.conftest import ROOT

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids[value] += 1


def test_no_page_gives_one_id_to_two_elements(built_site):
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) >= 5
    repeated = {}
    for page in pages:
        parser = _Ids()
        parser.feed(page.read_text(encoding="utf-8"))
        twice = sorted(value for value, count in parser.ids.items() if count > 1)
        if twice:
            repeated[page.relative_to(built_site).as_posix()] = twice[:10]
    assert not repeated


def test_the_nu_html_checker_finds_no_errors(built_site):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        if os.environ.get("CI") and java is not None:
            raise AssertionError(f"{VNU} is missing: `npm ci` installs it")
        pytest.skip("the Nu HTML checker needs Java and vnu.jar (`npm ci`)")
    pages = [str(page) for page in sorted(built_site.rglob("*.html"))]
    result = subprocess.run([java, "-Xss16m", "-jar", str(VNU), "--format", "json", "--errors-only", *pages],
                            capture_output=True, text=True, timeout=900)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{m['url'].rsplit(str(built_site), 1)[-1]}:{m.get('lastLine', '?')}: {m['message']}"
              for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]
    assert not errors, f"{len(errors)} errors, the first: " + "\n".join(errors[:20])
