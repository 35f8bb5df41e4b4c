"""A stylesheet cut down to the rules that can match a page: what the notebook pages link.

nbconvert's stylesheets for a rendered notebook are over half a megabyte, nearly all of it for
JupyterLab's interface (menus, dialogs, widgets) that a static page never shows; a browser
matches every rule against every element, and must download all of it before it paints.
``prune(css, classes)`` keeps a selector unless it names a class that the page's markup never
has (the pages have no script that adds classes to the notebook), so what the page shows is
styled exactly as before:

>>> print(prune(".a { color: red } .b, .a .c { margin: 0 } .d:not(.e) { top: 0 }", {"a", "c", "d"}))
.a {color: red}
.a .c {margin: 0}
.d:not(.e) {top: 0}
<BLANKLINE>

A class inside ``:not()`` is not needed for a match; a selector with ``:is()``, ``:where()``
or ``:has()`` is kept whole; one with ``:root`` after a combinator (``.wrapper :root``, 80 KB of
icons in nbconvert's) matches nothing and goes. A rule repeated word for word keeps its last copy. Rules without classes (element names, attributes, custom
properties on ``:root``) are kept, in their order; ``@media`` blocks are cut down the same way
and dropped when empty; other at-rules (``@keyframes``, ``@font-face``) are kept as they are.
"""

import functools
import re

import tinycss2

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_KEPT_WHOLE = re.compile(r":(is|where|has|matches|-webkit-any|-moz-any)\(", re.I)
_INNER_ROOT = re.compile(r"[\s>+~]:root\b", re.I)
_CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')


def classes_of(html):
    """Return the class names in html's class attributes."""
    return {name for value in _CLASS_ATTRIBUTE.findall(html) for name in value.split()}


def prune(css, classes):
    """Return css without the selectors (and rules) that name a class outside classes."""
    rules = list(_kept(_parsed(css), classes))
    last = {rule: i for i, rule in enumerate(rules)}  # a rule repeated word for word: its last copy decides
    return "".join(f"{rule}\n" for i, rule in enumerate(rules) if last[rule] == i)


@functools.lru_cache(maxsize=4)
def _parsed(css):
    """Parsed once per process: every notebook page brings the same half megabyte."""
    return tuple(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _kept(rules, classes):
    for rule in rules:
        if rule.type == "error":
            raise ValueError(f"unreadable stylesheet at line {rule.source_line}: {rule.message}")
        if rule.type == "qualified-rule":
            wanted = [s for s in _selectors(tinycss2.serialize(rule.prelude)) if _may_match(s, classes)]
            if wanted:
                yield f"{', '.join(wanted)} {{{tinycss2.serialize(rule.content).strip()}}}"
        elif rule.lower_at_keyword == "media" and rule.content is not None:
            inner = list(_kept(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True),
                               classes))
            if inner:
                yield f"@media {tinycss2.serialize(rule.prelude).strip()} {{\n" + "\n".join(inner) + "\n}"
        else:
            yield tinycss2.serialize([rule]).strip()


def _selectors(prelude):
    """Split a selector list at its top-level commas (not those inside parentheses or brackets)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        depth += char in "([" and 1 or char in ")]" and -1 or 0
        if char == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return [" ".join(part.split()) for part in parts if part.strip()]


def _may_match(selector, classes):
    if _KEPT_WHOLE.search(selector):
        return True
    positive = _without_negations(selector)
    if _INNER_ROOT.search(positive):
        return False  # `.wrapper :root`: the root element is inside nothing
    return set(_CLASS.findall(positive)) <= classes


def _without_negations(selector):
    """Return selector with each :not(...) removed (its classes need not be on the page)."""
    out, i = [], 0
    while True:
        start = selector.lower().find(":not(", i)
        if start < 0:
            return "".join(out) + selector[i:]
        out.append(selector[i:start])
        depth, j = 0, start + 4
        for j in range(start + 4, len(selector)):
            depth += selector[j] == "(" and 1 or selector[j] == ")" and -1 or 0
            if depth == 0:
                break
        i = j + 1
