"""MkDocs hook: what a page waits for before it first paints, cut to what it needs.

- **One stylesheet of the site's own.** The stylesheets in ``extra_css`` (the site's, and the
  one mkdocstrings puts first) are served as one file, ``assets/stylesheets/site.css``: their
  concatenation in the same order, so each rule keeps its place in the cascade. A page then
  waits for one request instead of four before it can paint. The separate files stay where
  they are published (nothing links them) and stay the ones to edit.
- **The theme's script deferred.** Material puts its bundle at the end of the body without
  ``defer``, which keeps the browser from painting until it has been fetched. It gets ``defer``:
  it still runs before ``DOMContentLoaded``, which is when it starts its work. The site's own
  scripts that use it (overrides/main.html) wait for ``DOMContentLoaded`` too.
"""

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

TARGET = "assets/stylesheets/site.css"
_BUNDLE = re.compile(r'(<script src="[^"]*assets/javascripts/bundle\.[0-9a-f]+\.min\.js")></script>')
_UNJOINABLE = re.compile(r"@import\b|@charset\b|url\(\s*(?!['\"]?data:)[^)]*\)?")
_sources = []


def on_config(config):
    """Replace extra_css by TARGET, keeping its list (hooks run after plugins: mkdocstrings' is in it).

    The site's own stylesheets are checked here, before the build touches the site folder."""
    _sources[:] = [str(path) for path in config.extra_css if str(path) != TARGET]
    for path in _sources:
        if "://" in path or path.startswith("/"):
            raise PluginError(f"mkdocs.yml: extra_css lists {path}; only the site's own stylesheets can be "
                              f"joined into {TARGET}")
        source = Path(config.docs_dir) / path
        if source.is_file():
            _joinable(source.read_text(encoding="utf-8"), Path(config.docs_dir).name + "/" + path)
    config.extra_css = [TARGET]
    return config


def _joinable(text, where):
    """Raise PluginError naming where if text would change meaning once moved into TARGET."""
    found = _UNJOINABLE.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise PluginError(f"{where}:{line}: `{found.group(0).strip()}`: a stylesheet joined into {TARGET} "
                          f"can have no @import, no @charset and no url() of a file (it would resolve "
                          f"against {TARGET}'s folder); use a data: URL")


def on_post_page(output, page, config):
    return _BUNDLE.sub(r"\1 defer></script>", output, count=1)


def on_post_template(output, template_name, config):
    """The same on the pages MkDocs renders from a template alone (404.html)."""
    return on_post_page(output, None, config) if template_name.endswith(".html") else output


def on_post_build(config):
    site = Path(config.site_dir)
    parts = []
    for path in _sources:
        source = site / path
        if not source.is_file():
            raise PluginError(f"mkdocs.yml: extra_css lists {path}, which the build did not publish")
        text = source.read_text(encoding="utf-8")
        if not (Path(config.docs_dir) / path).is_file():  # a plugin's (mkdocstrings'): not checked in on_config
            _joinable(text, path)
        parts.append(f"/* {path} */\n{text.rstrip()}\n")
    target = site / TARGET
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(parts), encoding="utf-8")
