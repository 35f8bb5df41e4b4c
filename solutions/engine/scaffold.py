"""The scaffold: `python -m solutions new <set> <problem> [<problem> ...]` writes a draft set
(or adds problems to an existing one) that builds, checks and tests green at once.

For a new set it writes the package with its three strings and ``RELEASED = False``, one
module per problem, one page per problem, the set's index page, the nav entries in
mkdocs.yml (edited as text, so that its comments and layout survive), the set's test file
with one placeholder test per problem, and the new ids in the committed answer key. Each
placeholder test is skipped with the reason ``UNTESTED`` and the problem's id: while one
remains, the set cannot be released (see sets.untested). It refuses, writing nothing, when a
name is not an identifier, or the set (for a new one) or a page, module or test already exists.
"""

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.utils.meta import get_data

from solutions.engine import answerkey, files
from solutions.engine.publish import PACKAGE, Page, SolutionError

RESERVED = {"engine", "toolkit", "tests"}  # packages of solutions/ that are not problem sets
# The fixed reason of a placeholder test. A released set whose test file still holds it for a
# problem fails the build; the text is what the build recognises, so it must not be reworded.
UNTESTED = "no independent test yet"


class ScaffoldError(SolutionError):
    """The scaffold refuses: the message says which name or file, and what to do instead."""


@dataclass(frozen=True)
class Layout:
    """Where the files of a set live in a project."""

    root: Path

    def package(self, set_name):
        return self.root / PACKAGE / set_name

    def module(self, set_name, problem):
        return self.package(set_name) / f"{problem}.py"

    def tests(self, set_name):
        return self.root / "tests" / f"test_{set_name}.py"

    @property
    def docs(self):
        return self.root / "docs"

    @property
    def config(self):
        return self.root / "mkdocs.yml"

    def relative(self, path):
        return path.relative_to(self.root).as_posix()


def hyphenated(name):
    """Return a page's folder or file name for a Python name: softmax_cross_entropy -> softmax-cross-entropy."""
    return name.replace("_", "-")


def title_of(problem):
    """Return a readable title for a problem name: adam_step -> Adam step."""
    words = problem.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def check_name(kind, name):
    if not (name.isidentifier() and name.isascii()) or keyword.iskeyword(name) or name != name.lower():
        raise ScaffoldError(f"{kind} name {name!r} is not a lower-case Python identifier "
                            "(letters, digits and _, not starting with a digit): "
                            f"try {re.sub(r'[^a-z0-9_]', '_', name.lower()).lstrip('0123456789_') or 'name'!r}")


def set_folder(layout, set_name):
    """Return the docs/ folder of a set's pages: where its pages are now, else its name hyphenated."""
    for path in sorted(layout.docs.rglob("*.md")):
        try:
            _, meta = get_data(path.read_text(encoding="utf-8"))
        except Exception:  # a page with broken front matter is reported by the build, not here
            continue
        if str(meta.get("solution", "")).split(".")[0] == set_name:
            return path.parent.relative_to(layout.docs).as_posix()
    return hyphenated(set_name)


# ------------------------------------------------------------ what the files say

def init_text(title, course, source):
    return (f'"""{title} ({course}): {source}."""\n\n'
            f"TITLE = {title!r}\nCOURSE = {course!r}\nSOURCE = {source!r}\n"
            "RELEASED = False  # a draft: the site shows the problem statements only. Delete this line to release\n")


def module_text(problem):
    return f'''"""{title_of(problem)}: replace this line with what the problem asks, in one sentence."""

INPUTS = {{
    "x": 2,  # a stated input of the problem: replace with its own, and add the others
}}


def publish(page):
    """Publish every value the page shows; its page places each by name as {{{{ name }}}}."""
    page.input("x", INPUTS["x"])
'''


def page_text(set_name, problem, number, course, source):
    return f'''---
solution: {set_name}.{problem}
---

# {number}. {title_of(problem)}

*Restated from {course}, {source}, problem {number}.*

Restate the problem here in your own words, with its stated input $x = {{{{ x }}}}$.

## Solution

??? success "Solution"

    Write the solution here. Place every published value by name, inside math: $x = {{{{ x }}}}$.
'''


def index_text(title, course, source):
    return (f"# {title}\n\nProblems restated from {source}, {course}. The problems are restated in "
            "our own words; the solutions, numbers and figures are this site's.\n\n")


def index_line(number, problem, page_name):
    return f"{number}. [{title_of(problem)}]({page_name}.md)\n"


def tests_header(set_name, title):
    return f'''"""{title}: each answer against an independent source (sympy, finite differences,
a closed form, a hand calculation written out here), never against the module's own output."""

import pytest

from tests.conftest import published
'''


def test_text(set_name, problem):
    return f'''

@pytest.mark.skip(reason="{UNTESTED}: {set_name}.{problem}")
def test_{problem}():
    """Replace with a check of each answer of {problem} against an independent source, then delete
    the skip above: the set cannot be released while it is there."""
    from solutions.{set_name} import {problem}

    values = published({problem})
    assert values["x"] == {problem}.INPUTS["x"]
'''


# ------------------------------------------------------------ the nav, edited as text

def _nav_block(lines):
    """Return (first, end) line indices of the nav's entries in mkdocs.yml (end exclusive)."""
    start = next((i for i, line in enumerate(lines) if re.match(r"nav:\s*(#.*)?$", line)), None)
    if start is None:
        raise ScaffoldError("mkdocs.yml has no `nav:` section to add the pages to")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " #\t" or lines[end].startswith("-")):
        end += 1
    while end > start + 1 and not lines[end - 1].strip().startswith("-"):
        end -= 1  # trailing blank lines and comments belong to what follows
    return start + 1, end


def _quoted(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nav_with_set(config_text, title, folder, entries):
    """Return mkdocs.yml's text with a new nav section for a set, before a final Errata entry if there is one.

    entries: [(nav title, docs/-relative path)] of the set's problem pages.
    """
    lines = config_text.splitlines(keepends=True)
    first, end = _nav_block(lines)
    items = [i for i in range(first, end) if re.match(r"  - ", lines[i])]
    indent = re.match(r"\s*", lines[items[0]]).group(0) if items else "  "
    section = [f"{indent}- {_quoted(title)}:\n", f"{indent}    - {folder}/index.md\n"]
    section += [f"{indent}    - {_quoted(name)}: {path}\n" for name, path in entries]
    at = end
    errata = [i for i in items if re.match(r"\s*- (Errata|\"Errata\"):", lines[i])]
    if errata:
        at = errata[0]
    return "".join(lines[:at] + section + lines[at:])


def nav_with_pages(config_text, folder, entries):
    """Return mkdocs.yml's text with problem pages appended to the nav section holding folder/index.md."""
    lines = config_text.splitlines(keepends=True)
    first, end = _nav_block(lines)
    index = next((i for i in range(first, end) if re.search(rf"- (.*: )?{re.escape(folder)}/index\.md\s*$", lines[i])), None)
    if index is None:
        raise ScaffoldError(f"mkdocs.yml: no nav section lists {folder}/index.md, so the new pages have no "
                            "place in the nav; add the set's section by hand first")
    indent = re.match(r"\s*", lines[index]).group(0)
    at = index + 1
    while at < end and re.match(rf"{re.escape(indent)}(- |\s)", lines[at]) and lines[at].strip():
        at += 1  # the section's other entries, and anything nested deeper
    added = [f"{indent}- {_quoted(name)}: {path}\n" for name, path in entries]
    return "".join(lines[:at] + added + lines[at:])


# ------------------------------------------------------------ the command

def new(root, set_name, problems, title=None, course=None, source=None):
    """Write a new draft set, or new problems of an existing set; return [(path, what)] written.

    Raises ScaffoldError, writing nothing, on a bad name or when something it would write exists.
    """
    layout = Layout(Path(root))
    check_name("set", set_name)
    if set_name in RESERVED:
        raise ScaffoldError(f"set name {set_name!r} is reserved: solutions/{set_name}/ is not a problem set")
    if not problems:
        raise ScaffoldError("name at least one problem: python3 scripts/run.py python -m solutions new <set> <problem> [<problem> ...]")
    for problem in problems:
        check_name("problem", problem)
    if len(set(problems)) != len(problems):
        raise ScaffoldError(f"a problem is named twice: {' '.join(problems)}")
    package = layout.package(set_name)
    exists = (package / "__init__.py").exists()
    if exists:
        given = [flag for flag, value in (("--title", title), ("--course", course), ("--source", source)) if value]
        if given:
            raise ScaffoldError(f"set {set_name!r} exists: its title, course and source are in "
                                f"{layout.relative(package / '__init__.py')}; drop {', '.join(given)} to add problems to it")
        namespace = {}
        exec(compile((package / "__init__.py").read_text(encoding="utf-8"), str(package / "__init__.py"), "exec"), namespace)
        title, course, source = (namespace.get(name, "") for name in ("TITLE", "COURSE", "SOURCE"))
    else:
        missing = [flag for flag, value in (("--title", title), ("--course", course), ("--source", source))
                   if not (value and value.strip())]
        if missing:
            raise ScaffoldError(f"a new set needs {', '.join(missing)}: the title of the set, the course it comes "
                                "from and its source document, as the landing page and each problem cite them")
        if package.exists():
            raise ScaffoldError(f"{layout.relative(package)}/ exists but has no __init__.py; remove it or add one")
    folder = set_folder(layout, set_name)
    folder_path = layout.docs / folder
    if not exists and folder_path.exists():
        raise ScaffoldError(f"docs/{folder}/ exists already: a new set needs a folder of its own")

    pages = {problem: folder_path / f"{hyphenated(problem)}.md" for problem in problems}
    for problem in problems:
        for path in (layout.module(set_name, problem), pages[problem]):
            if path.exists():
                raise ScaffoldError(f"{layout.relative(path)} exists already: choose another problem name")
    tests_path = layout.tests(set_name)
    tests = tests_path.read_text(encoding="utf-8") if tests_path.exists() else tests_header(set_name, title)
    for problem in problems:
        if re.search(rf"^def test_{problem}\(", tests, re.M):
            raise ScaffoldError(f"{layout.relative(tests_path)} already defines test_{problem}: "
                                "choose another problem name")
    config = layout.config.read_text(encoding="utf-8")

    known = [path for path in folder_path.glob("*.md") if path.name not in ("index.md", "print.md")] if exists else []
    numbers = {problem: len(known) + i + 1 for i, problem in enumerate(problems)}
    entries = [(f"{numbers[p]}. {title_of(p)}", f"{folder}/{pages[p].name}") for p in problems]
    contents = {}
    if not exists:
        contents[package / "__init__.py"] = init_text(title, course, source)
        contents[folder_path / "index.md"] = index_text(title, course, source)
        config = nav_with_set(config, title, folder, entries)
    else:
        config = nav_with_pages(config, folder, entries)
    index_path = folder_path / "index.md"
    index = contents.get(index_path) or (index_path.read_text(encoding="utf-8") if index_path.exists() else
                                         index_text(title, course, source))
    if not index.endswith("\n"):
        index += "\n"
    needed = [line for line, pattern in (("import pytest", r"^import pytest\b"),
                                         ("from tests.conftest import published",
                                          r"^from tests\.conftest import .*\bpublished\b"))
              if not re.search(pattern, tests, re.M)]
    if needed:  # an existing test file that lacks what the placeholder tests use
        tests = tests.rstrip("\n") + "\n\n" + "".join(f"{line}\n" for line in needed)
    for problem in problems:
        contents[layout.module(set_name, problem)] = module_text(problem)
        contents[pages[problem]] = page_text(set_name, problem, numbers[problem], course, source)
        index += index_line(numbers[problem], problem, hyphenated(problem))
        tests += test_text(set_name, problem)
    contents[index_path] = index
    contents[tests_path] = tests
    contents[layout.config] = config
    key_path = layout.root / PACKAGE / "answers.json"
    key = answerkey.load(key_path)
    for problem in problems:
        key.update(key_entries(f"{set_name}.{problem}", contents[layout.module(set_name, problem)],
                            pages[problem].relative_to(layout.docs).as_posix()))
    contents[key_path] = answerkey.dumps(key)
    files.write_together(contents)  # every file, or (on a failure) none
    return sorted(layout.relative(path) for path in contents)


def key_entries(module, source, src_uri):
    """Return the answer-key entries of a module not yet written, from its source: what regenerate will find."""
    namespace = {"__name__": f"{PACKAGE}.{module}"}
    exec(compile(source, f"{PACKAGE}/{module.replace('.', '/')}.py", "exec"), namespace)
    page = Page(module, src_uri, dict(namespace["INPUTS"]))
    namespace["publish"](page)
    return {f"{module}.{name}": item.entry for name, item in page.items.items() if item.entry}
