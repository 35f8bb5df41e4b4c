"""MkDocs hook: the markup Material and mkdocs-jupyter write, made valid HTML and named for assistive technology.

Each repair is to one pattern of the theme's or the renderer's own output, checked by the
browser suite (axe-core) and the HTML checker (tests/test_validity.py):

- Material writes ``tabindex=""`` on the nav labels of sections (an empty tabindex is not a
  number) and ``autocomplete="off"`` on its checkbox toggles (only text-like inputs take it);
  both are dropped, which changes nothing a browser does with them.
- A section's nav landmark is named by its label, which for a section with an index page
  holds only an icon; it is named by the section's title instead (the nav's own title label).
- A page whose table of contents is not in the nav (a handout) still gets the toc title's
  ``for="__toc"``, which then names no control; it is dropped.
- Material's search is a dialog with no name: it is named "Search" (the theme's own word for it).
- mkdocs-jupyter's code cells scroll sideways but cannot be focused, so a keyboard cannot
  scroll them: each gets tabindex="0" (as Material does for its own code blocks).
- mkdocs-jupyter's copy buttons are ``<clipboard-copy ,="" aria-label=...>``: the stray
  ``,`` attribute is dropped and the element gets role="button", which its script gives it
  anyway and which an aria-label needs.
"""

import html
import re

_EMPTY_TABINDEX = re.compile(r' tabindex=""')
_CHECKBOX_AUTOCOMPLETE = re.compile(r'(<input [^>]*type="checkbox"[^>]*?) autocomplete="off"')
_SECTION_NAV = re.compile(r'(<nav class="md-nav" data-md-level="\d+") aria-labelledby="[^"]*"'
                          r'([^>]*>\s*<label class="md-nav__title" for="[^"]*">\s*'
                          r'<span class="md-nav__icon md-icon"></span>\s*)([^<]*?)(\s*</label>)')
_COPY_BUTTON = re.compile(r'<clipboard-copy ,="" ')
_SEARCH = '<div class="md-search" data-md-component="search" role="dialog">'
_NOTEBOOK_CODE = '<div class="highlight-ipynb hl-python">'


def on_post_page(output, page, config):
    output = _EMPTY_TABINDEX.sub("", output)
    output = _CHECKBOX_AUTOCOMPLETE.sub(r"\1", output)
    output = _SECTION_NAV.sub(lambda m: f'{m.group(1)} aria-label="{html.escape(html.unescape(m.group(3).strip()))}"'
                                        f"{m.group(2)}{m.group(3)}{m.group(4)}", output)
    if 'id="__toc"' not in output:
        output = output.replace('<label class="md-nav__title" for="__toc">', '<label class="md-nav__title">')
    output = output.replace(_SEARCH, _SEARCH[:-1] + ' aria-label="Search">')
    output = output.replace(_NOTEBOOK_CODE, _NOTEBOOK_CODE[:-1] + ' tabindex="0">')
    return _COPY_BUTTON.sub('<clipboard-copy role="button" ', output)


def on_post_template(output, template_name, config):
    """The same repairs on the pages MkDocs renders from a template alone (404.html)."""
    if template_name.endswith(".html"):
        return on_post_page(output, None, config)
    return output
