"""Answer boxes: a student types an attempt into a problem's statement and the browser checks it
against the answer key, with the key's own tolerances.

A page asks for some of its published values in its front matter, right after ``solution:``:

    ask: [mean, out]                          # names its module publishes (values or tables)
    ask: [{name: out, label: "y"}]            # with the label the box shows

The engine puts an empty box, ``<div class="answer-box" data-answer-id="<id>" ...></div>``,
immediately before the outermost ``??? success`` block in which ``{{ name }}`` first appears (in
the statement, outside the collapsed solution), and appends to the page its answer data: for each
asked id, its value, shape, tolerances, the typical mistakes published for it (page.mistake) and
its values before each correction in the errata register. ``docs/javascripts/answer-check.js``
builds the input, the button and the verdict from them; without JavaScript the page reads as if
there were no box. Sets not yet released get neither boxes nor data.

The parser and the verdict below are mirrored line for line by the JavaScript checker;
``tests/answer_cases.json`` holds the cases both must agree on.
"""

import html
import json
import math
import posixpath
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import PurePosixPath

from mkdocs.utils.meta import get_data

from solutions.engine import errata
from solutions.engine.publish import PLACEHOLDER, SolutionError, module_path, page_url

HELP_URI = "answer-check.md"  # the site's note on how answers are checked, generated at the top of docs/
MIN_FIGURES = 3  # fewest significant figures a typed decimal needs to be judged by its figures
MAX_FIGURES = 100  # more figures than this are judged by the tolerance alone
POLICY = (
    "An answer is accepted when it agrees with the answer key's value within that value's own "
    "tolerance, |x − v| ≤ atol + rtol·|v| (the `rtol` and `atol` of its entry in the key, per "
    "column for a table), or when it is a plain decimal number with at least 3 significant "
    "figures and the key's value rounded to that many significant figures is that number (so "
    "0.333 is accepted for 1/3, 0.3 is not; 0.3333 and 0.33333 are). Vectors and matrices are "
    "judged entry by entry, and the reply names the entries that are off. An answer that agrees, "
    "by the same rule, with a typical mistake published for the value (or with its value before "
    "a correction in the errata) gets that mistake's explanation instead of a bare \"not correct\". "
    "Something that cannot be read, or has the wrong number of entries, gets a message saying "
    "why, not a verdict."
)
SOLUTION_START = re.compile(r"^([ \t]*)\?\?\?\+? success\b")
PLAIN_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z", re.ASCII)  # ASCII digits, as in JavaScript
NUMBER = re.compile(r"\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?", re.ASCII)
SPACE = " \t\n\r"  # the only white space between tokens, as in JavaScript
NAME = re.compile(r"[A-Za-z]+")
FUNCTIONS = {"sqrt": math.sqrt, "exp": math.exp, "log": math.log}
CONSTANTS = {"pi": math.pi, "e": math.e}


# ---------------------------------------------------------------- reading what a student typed


class ParseError(ValueError):
    """The text is not a number, an expression or a list of them; the message says why."""


def _finite(x):
    if not math.isfinite(x):
        raise ParseError("the result is not a finite number")
    return x


def _apply(operation, *args):
    """Return operation(*args) as IEEE arithmetic would, raising ParseError unless it is finite."""
    try:
        return _finite(operation(*args))
    except (ArithmeticError, ValueError):
        raise ParseError("the result is not a finite number") from None


class _Parser:
    """Recursive descent over one entry: expr := term (('+'|'-') term)*, term := factor (('*'|'/') factor)*,
    factor := ('+'|'-') factor | power, power := primary (('^'|'**') factor)?,
    primary := number | pi | e | sqrt|exp|log '(' expr ')' | '(' expr ')'."""

    def __init__(self, text):
        self.text, self.at = text, 0

    def skip(self):
        while self.at < len(self.text) and self.text[self.at] in SPACE:
            self.at += 1

    def peek(self, token):
        self.skip()
        return self.text.startswith(token, self.at)

    def take(self, token):
        if self.peek(token):
            self.at += len(token)
            return True
        return False

    def fail(self, what):
        self.skip()
        if self.at >= len(self.text):
            raise ParseError(f"{what} is missing at the end")
        raise ParseError(f"unexpected '{self.text[self.at]}' at character {self.at + 1}")

    def entry(self):
        self.skip()
        if self.at >= len(self.text):
            raise ParseError("an entry is empty")
        value = self.expr()
        self.skip()
        if self.at < len(self.text):
            self.fail("an operator")
        return value

    def expr(self):
        value = self.term()
        while True:
            if self.take("+"):
                value = _apply(lambda a, b: a + b, value, self.term())
            elif self.take("-"):
                value = _apply(lambda a, b: a - b, value, self.term())
            else:
                return value

    def term(self):
        value = self.factor()
        while True:
            if self.take("*"):
                value = _apply(lambda a, b: a * b, value, self.factor())
            elif self.take("/"):
                value = _apply(lambda a, b: a / b, value, self.factor())
            else:
                return value

    def factor(self):
        if self.take("-"):
            return -self.factor()
        if self.take("+"):
            return self.factor()
        return self.power()

    def power(self):
        base = self.primary()
        if self.take("^") or self.take("**"):
            return _apply(math.pow, base, self.factor())
        return base

    def primary(self):
        self.skip()
        if self.take("("):
            value = self.expr()
            if not self.take(")"):
                self.fail("')'")
            return value
        number = NUMBER.match(self.text, self.at)
        if number:
            self.at = number.end()
            return _finite(float(number.group(0)))
        name = NAME.match(self.text, self.at)
        if name:
            self.at = name.end()
            word = name.group(0)
            if word in FUNCTIONS:
                if not self.take("("):
                    self.fail(f"'(' after {word}")
                value = self.expr()
                if not self.take(")"):
                    self.fail("')'")
                return _apply(FUNCTIONS[word], value)
            if word in CONSTANTS:
                return CONSTANTS[word]
            raise ParseError(f"unknown name '{word}' (known: sqrt, exp, log, pi, e)")
        self.fail("a number")


@dataclass(frozen=True)
class Entry:
    value: float
    text: str  # as typed, trimmed: a plain decimal is judged by its significant figures too


def parse(text):
    """Return the rows of entries in text: entries separated by ',', rows by ';'.

    Raises ParseError, saying where and why, for anything else.
    """
    text = text.replace("\u2212", "-")
    if not text.strip(SPACE):
        raise ParseError("nothing was typed")
    rows = []
    for row in text.split(";"):
        entries = []
        for piece in row.split(","):
            try:
                entries.append(Entry(_Parser(piece).entry(), piece.strip(SPACE)))
            except ParseError as exc:
                where = f"entry {sum(len(r) for r in rows) + len(entries) + 1}: " if "," in text or ";" in text else ""
                raise ParseError(where + str(exc)) from None
        rows.append(entries)
    return rows


# ---------------------------------------------------------------- the verdict policy


def significant_figures(text):
    """Return how many significant figures a plain decimal number has as typed (0 if it is not one,
    or is zero): '0.333' -> 3, '1.20e-3' -> 3, '1200' -> 4, '1/3' -> 0."""
    if not PLAIN_DECIMAL.match(text):
        return 0
    return len(_digits(text)[1])


def _digits(text):
    """Return (sign, digits from the first nonzero one on, decimal exponent of that first digit) of a
    decimal number written as text; digits is '' for zero."""
    sign = "-" if text.startswith("-") else ""
    mantissa, _, exponent = text.lstrip("+-").lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    first = len(digits) - len(digits.lstrip("0"))
    return sign, digits[first:], len(whole) - 1 - first + int(exponent or 0)


def _normal(text):
    sign, digits, exponent = _digits(text)
    digits = digits.rstrip("0")
    return (sign, digits, exponent) if digits else ("", "", 0)


def rounded(v, figures):
    """Return v rounded to `figures` significant figures, as decimal text (ties away from zero, as
    JavaScript's toPrecision rounds)."""
    with localcontext() as context:
        context.prec = MAX_FIGURES + 50
        exact = Decimal(abs(v))
        if exact == 0:
            return "0"
        quantum = Decimal(1).scaleb(exact.adjusted() - figures + 1)
        return ("-" if v < 0 else "") + format(exact.quantize(quantum, rounding=ROUND_HALF_UP), "e")


def agrees(entry, v, rtol, atol):
    """Return whether a typed entry is accepted for the value v with these tolerances (the policy)."""
    if abs(entry.value - v) <= atol + rtol * abs(v):
        return True
    figures = significant_figures(entry.text)
    if figures < MIN_FIGURES or figures > MAX_FIGURES or v == 0:
        return False
    return _normal(entry.text) == _normal(rounded(v, figures))


def shape_of(value):
    return [len(value), *shape_of(value[0])] if isinstance(value, list) and value else []


def _flat(value):
    return [x for v in value for x in _flat(v)] if isinstance(value, list) else [value]


def _tolerance(tol, index, shape):
    """A table's tolerances are per column: pick the one of the entry at this flat index."""
    return tol[index % shape[-1]] if isinstance(tol, list) else tol


def _expected(shape):
    if not shape:
        return "one number"
    if len(shape) == 1:
        return f"{shape[0]} numbers separated by commas"
    return f"{shape[0]} rows of {shape[1]} numbers (entries separated by commas, rows by semicolons)"


def _arrange(rows, shape):
    """Return the entries in rows as one flat list in the order of shape, or None if they do not fit it."""
    flat = [entry for row in rows for entry in row]
    size = math.prod(shape)
    if len(flat) != size:
        return None
    lengths = [len(row) for row in rows]
    column = len(shape) == 1 and lengths == [1] * size  # a vector may be typed as a column
    if len(rows) == 1 or column or (len(shape) == 2 and lengths == [shape[1]] * shape[0]):
        return flat
    return None


def _place(index, shape):
    if len(shape) == 2:
        return f"row {index // shape[1] + 1} column {index % shape[1] + 1}"
    return f"entry {index + 1}"


def verdict(text, answer):
    """Return {"verdict", "message", "off"} for what a student typed, judged against an answer's data.

    answer: {"value", "shape", "rtol", "atol", "mistakes": [{"value", "rtol", "atol", "why"}],
    "errata": [{"value", "date"}]}, as the engine puts it on the page. verdict is one of correct,
    incorrect, mistake, invalid; off lists the flat indices of the entries that are off.
    """
    shape = answer["shape"]
    try:
        rows = parse(text)
    except ParseError as exc:
        return {"verdict": "invalid", "message": f"Cannot read this: {exc}. Type a number such as 0.333 or -5/3, "
                                                 "or an expression such as sqrt(2)/2.", "off": []}
    entries = _arrange(rows, shape)
    if entries is None:
        count = sum(len(row) for row in rows)
        got = f"{count} number{'s' * (count != 1)}" + (f" in {len(rows)} rows" if len(rows) > 1 else "")
        return {"verdict": "invalid", "message": f"Expected {_expected(shape)}; got {got}.", "off": []}
    values = _flat(answer["value"])

    def matches(i, target, rtol, atol):
        return agrees(entries[i], target[i], _tolerance(rtol, i, shape), _tolerance(atol, i, shape))

    ok = [matches(i, values, answer["rtol"], answer["atol"]) for i in range(len(entries))]
    if all(ok):
        return {"verdict": "correct", "message": "Correct." if len(ok) == 1 else f"Correct: all {len(ok)} entries.",
                "off": []}
    off = [i for i, good in enumerate(ok) if not good]
    for mistake in answer.get("mistakes", []):
        wrong = _flat(mistake["value"])
        if all(matches(i, wrong, mistake["rtol"], mistake["atol"]) for i in off):
            return {"verdict": "mistake", "message": f"Not correct. This is a typical mistake: {mistake['why']}",
                    "off": off}
    for before in answer.get("errata", []):
        old = _flat(before["value"])
        if all(matches(i, old, answer["rtol"], answer["atol"]) for i in off):
            return {"verdict": "mistake", "message": "Not correct. This was the published value before the "
                                                     f"correction of {before['date']} (see the errata).", "off": off}
    if len(ok) == 1:
        return {"verdict": "incorrect", "message": "Not correct.", "off": off}
    places = ", ".join(_place(i, shape) for i in off)
    return {"verdict": "incorrect", "message": f"Not correct: {len(off)} of {len(ok)} entries are off ({places}).",
            "off": off}


def typed(value):
    """Return a value as a student could type it, in full precision: '1.5', '-1, 2; 3, 4'."""
    if not isinstance(value, list):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if value and isinstance(value[0], list):
        return "; ".join(", ".join(typed(x) for x in row) for row in value)
    return ", ".join(typed(x) for x in value)


# ---------------------------------------------------------------- which values a page asks for


@dataclass(frozen=True)
class Ask:
    name: str
    label: str


def _source(src_uri):
    return f"docs/{src_uri}"


def asks(catalog, src_uri):
    """Return the Asks of a page's front matter (`ask:`), checked for form; [] if it asks nothing."""
    _, meta = get_data(catalog.sources.get(src_uri, ""))
    raw = meta.get("ask")
    if raw is None:
        return []
    where = f"{_source(src_uri)}: ask:"
    if not isinstance(raw, list):
        raise SolutionError(f"{where} must be a list of published names, e.g. `ask: [out, mean]`, not {raw!r}")
    result = []
    for item in raw:
        if isinstance(item, dict) and set(item) <= {"name", "label"} and isinstance(item.get("name"), str):
            name, label = item["name"], f"Your answer for {item.get('label') or item['name']}"
        elif isinstance(item, str):
            name, label = item, f"Your answer for {item}"
        else:
            raise SolutionError(f"{where} {item!r} is neither a name nor {{name: ..., label: ...}} "
                                "(write `ask: [out]` or `ask: [{name: out, label: \"y\"}]`)")
        if name in {a.name for a in result}:
            raise SolutionError(f"{where} asks for {name!r} twice; list each name once")
        result.append(Ask(name, label))
    return result


def _numeric(value):
    shape = shape_of(value)
    return len(shape) <= 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in _flat(value)) \
        and len(_flat(value)) == math.prod(shape)


def first_blocks(markdown):
    """Return {name: line index of the outermost `??? success` block in which {{ name }} first appears}."""
    found, block = {}, None
    for number, line in enumerate(markdown.splitlines()):
        if block is not None and line.strip() and len(line) - len(line.lstrip(" \t")) <= block[1]:
            block = None
        marker = SOLUTION_START.match(line)
        if marker and block is None:
            block = (number, len(marker.group(1)))
        if block is not None:
            for name in PLACEHOLDER.findall(line):
                found.setdefault(name, block[0])
    return found


def check(catalog):
    """Raise SolutionError, naming the page file and the name, for every `ask:` that cannot get a box."""
    problems = []
    for src_uri in sorted(catalog.sources):
        try:
            wanted = asks(catalog, src_uri)
        except SolutionError as exc:
            problems.append(str(exc))
            continue
        if not wanted:
            continue
        page = catalog.pages.get(src_uri)
        where = f"{_source(src_uri)}: ask:"
        if page is None:
            problems.append(f"{where} the page names no solution module (add `solution: <set>.<problem>` "
                            "to its front matter, or remove ask:)")
            continue
        blocks = first_blocks(get_data(catalog.sources[src_uri])[0])
        for ask in wanted:
            item = page.items.get(ask.name)
            if item is None:
                problems.append(f"{where} {ask.name!r} is not published by {module_path(page.module)} "
                                "(publish it with page.value or page.table, or remove it from ask:)")
            elif item.entry is None or item.entry["kind"] not in ("value", "table"):
                kind = "a figure" if item.entry is None else f"published as {item.entry['kind']}"
                problems.append(f"{where} {ask.name!r} is {kind}; only values and tables (page.value, "
                                "page.table) can be asked for: remove it from ask:")
            elif not _numeric(item.entry["value"]):
                problems.append(f"{where} {ask.name!r} is not a number, vector or matrix of numbers; "
                                "remove it from ask:")
            elif ask.name not in blocks:
                problems.append(f"{where} {{{{ {ask.name} }}}} appears in no `??? success` block, so its box "
                                "has no solution to stand before (place it in the solution of its part, "
                                "or remove it from ask:)")
            else:
                problems += _mistakes_refused(catalog, page, ask, where)
    if problems:
        raise SolutionError("answer boxes:\n  " + "\n  ".join(problems))


def _mistakes_refused(catalog, page, ask, where):
    """Return a message for each mistake of an asked value that its box would accept as correct."""
    id_ = f"{page.module}.{ask.name}"
    answer = answer_data(catalog, page, ask.name)
    messages = []
    for mistake, name in zip(answer["mistakes"], _mistake_names(page, id_)):
        if verdict(typed(mistake["value"]), answer)["verdict"] == "correct":
            messages.append(f"{where} the mistake {name!r} of {ask.name!r} ({module_path(page.module)}) agrees "
                            f"with {ask.name!r} within its tolerance, so its box would accept it as correct; "
                            "publish a mistake that differs from the answer")
    return messages


def _mistake_names(page, id_):
    return [name for name, item in page.items.items()
            if item.entry is not None and item.entry["kind"] == "mistake" and item.entry["of"] == id_]


# ---------------------------------------------------------------- what the page gets


def answer_data(catalog, page, name):
    """Return what the checker needs for one asked value: value, shape, tolerances, mistakes, old values."""
    id_ = f"{page.module}.{name}"
    entry = page.items[name].entry
    shape = shape_of(entry["value"])
    mistakes = [{"value": page.items[m].entry["value"], "rtol": page.items[m].entry["rtol"],
                 "atol": page.items[m].entry["atol"], "why": page.items[m].entry["why"]}
                for m in _mistake_names(page, id_)]
    old = [{"value": change.old, "date": erratum.date} for erratum in reversed(catalog.errata)
           for change in erratum.changes
           if change.id == id_ and change.old is not errata.REMOVED and shape_of(change.old) == shape
           and _numeric(change.old)]
    return {"value": entry["value"], "shape": shape, "rtol": entry["rtol"], "atol": entry["atol"],
            "mistakes": mistakes, "errata": old}


def _script_json(document):
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def help_href(src_uri):
    return posixpath.relpath(page_url(HELP_URI).rstrip("/"), page_url(src_uri).rstrip("/") or ".") + "/"


def with_boxes(catalog, src_uri, markdown):
    """Return a released problem page's markdown (placeholders not yet filled) with a box before the
    solution block of each asked value and the page's answer data at its end (unchanged if it asks nothing)."""
    page = catalog.pages.get(src_uri)
    wanted = asks(catalog, src_uri) if page is not None else []
    if not wanted:
        return markdown
    blocks = first_blocks(markdown)
    lines = markdown.splitlines(keepends=True)
    before = {}
    for ask in wanted:
        before.setdefault(blocks[ask.name], []).append(ask)
    out = []
    for number, line in enumerate(lines):
        if number in before:
            indent = SOLUTION_START.match(line).group(1)
            if out and out[-1].strip():
                out.append("\n")
            for ask in before[number]:
                out.append(f'{indent}<div class="answer-box" data-answer-id="{html.escape(f"{page.module}.{ask.name}")}" '
                           f'data-answer-label="{html.escape(ask.label)}"></div>\n\n')
        out.append(line)
    data = {"help": help_href(src_uri), "answers": {f"{page.module}.{ask.name}": answer_data(catalog, page, ask.name)
                                                   for ask in wanted}}
    body = "".join(out).rstrip("\n")
    return f'{body}\n\n<script type="application/json" id="answer-data">{_script_json(data)}</script>\n'


WRAPPED_BOX = re.compile(r'<p>(<div class="answer-box" [^>]*></div>)</p>')


def unwrapped(html_text):
    """Return a page's HTML with each box out of the paragraph Markdown wraps it in when it is indented
    (inside an admonition or a list, raw HTML is read as inline)."""
    return WRAPPED_BOX.sub(r"\1", html_text)


def set_ids(catalog, folder):
    """Return the ids asked for on the released problem pages in a set's folder, in nav order."""
    order = {src: number for number, src in enumerate(catalog.order)}
    from solutions.engine.sets import released  # sets imports this module

    ids = []
    for src_uri in sorted(catalog.pages, key=lambda src: (order.get(src, len(order)), src)):
        if PurePosixPath(src_uri).parent.as_posix() == folder:
            if released(catalog, src_uri):
                ids += [f"{catalog.pages[src_uri].module}.{ask.name}" for ask in asks(catalog, src_uri)]
    return ids


def with_progress(catalog, src_uri, markdown):
    """Return a set's index page with an empty progress line the checker fills ("N of M checked"), if
    the set asks for anything; other pages unchanged."""
    path = PurePosixPath(src_uri)
    if path.name != "index.md" or path.parent.as_posix() == "." or src_uri in catalog.pages:
        return markdown
    ids = set_ids(catalog, path.parent.as_posix())
    if not ids:
        return markdown
    return (f'{markdown.rstrip()}\n\n<p class="answer-progress" data-answer-ids="{html.escape(" ".join(ids))}" '
            f'data-answer-help="{html.escape(help_href(src_uri))}"></p>\n')


def help_page():
    """Return the markdown of the site's note on how typed answers are checked."""
    return f"""# How your answers are checked

Problems with a numeric answer have a box in their statement: type your answer and press
**Check** (or Enter). What you type is checked in your browser against this site's
[answer key](answers.json), whose every value is recomputed and tested; nothing is sent anywhere.

## What you may type

- a number: `0.3333`, `-1.6667`, `1e-3`;
- a fraction or a simple expression: `-5/3`, `sqrt(2)/2`, `1/(1+exp(-1))`, with `+ - * / ^`,
  parentheses, `sqrt`, `exp`, `log` (natural), `pi` and `e`;
- for a vector, its entries separated by commas: `-5/3, 1/3, 1/3, 1`; for a matrix, its rows
  separated by semicolons: `1, 2; 3, 4`.

## The verdict

{POLICY}

## Progress

Each set's index page shows how many of its answers you have checked correct. This is kept in
your browser only (its local storage), never sent anywhere; clearing the site's data forgets it.
"""
