"""Run a problem with inputs of your choosing and show what it publishes, by answer-key id.

The companion notebooks call this::

    batchnorm = explore.run("midterm_review.batchnorm", {"batch": [1, 7, 7, 13]})
    batchnorm.show()  # prints every published value with its id, displays every figure

``run`` executes the module's source afresh with its ``INPUTS`` updated by the given ones,
so that values a module derives from INPUTS when it is imported follow the change too; the
imported module itself is left as it was.
"""

import ast
import html
import importlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from solutions.engine.publish import PACKAGE, Page, SolutionError

UPDATE = "INPUTS = {**INPUTS, **__explored_inputs__}"
_MATH = re.compile(r"\$([^$]+)\$")


def inputs_statement(tree, where):
    """Return the index, in a module's parsed body, of its one top-level `INPUTS = ...` statement.

    Raises SolutionError naming `where` if there is none, or more than one.
    """
    at = [i for i, node in enumerate(tree.body) if isinstance(node, ast.Assign)
          and any(isinstance(target, ast.Name) and target.id == "INPUTS" for target in node.targets)]
    if len(at) != 1:
        raise SolutionError(f"{where}: INPUTS must be assigned once at the top level to be explored")
    return at[0]


def load(module, inputs=None):
    """Return solutions.<module>, run afresh with its INPUTS updated by `inputs` (the module itself if none).

    Raises SolutionError if `inputs` names an input the module does not state.
    """
    qualified = f"{PACKAGE}.{module}"
    imported = importlib.import_module(qualified)
    inputs = dict(inputs or {})
    stated = getattr(imported, "INPUTS", {})
    unknown = sorted(set(inputs) - set(stated))
    if unknown:
        raise SolutionError(f"{qualified} has no input {', '.join(map(repr, unknown))}; "
                            f"its INPUTS are {', '.join(stated) or 'none'}")
    if not inputs:
        return imported
    spec = importlib.util.find_spec(qualified)
    tree = ast.parse(Path(spec.origin).read_bytes(), filename=spec.origin)
    at = inputs_statement(tree, qualified)
    update = ast.parse(UPDATE).body[0]
    for node in ast.walk(update):  # tracebacks point at the INPUTS statement
        node.lineno = node.end_lineno = tree.body[at].end_lineno
    tree.body.insert(at + 1, update)
    fresh = importlib.util.module_from_spec(spec)
    fresh.__explored_inputs__ = inputs
    exec(compile(tree, spec.origin, "exec"), fresh.__dict__)  # noqa: S102 - the package's own source
    return fresh


@dataclass(frozen=True)
class Figure:
    """A published figure (its light drawing), shown inline in a notebook with its alt text and caption."""

    name: str
    svg: bytes = field(repr=False)
    alt: str = field(repr=False)
    caption: str = field(repr=False)

    def _repr_html_(self):
        """Return the figure as inline SVG named by its alt text, with its caption (math marked for MathJax)."""
        svg = self.svg.decode()
        svg = svg[svg.index("<svg"):]  # no XML declaration or DOCTYPE inside HTML
        svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, count=1, flags=re.S)
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(self.alt)}" '
                          'style="max-width: 100%; height: auto" ', 1)
        caption = _MATH.sub(lambda m: f'<span class="arithmatex">\\({m.group(1)}\\)</span>', html.escape(self.caption))
        return f'<figure class="notebook-figure">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>'


@dataclass
class Results:
    """What one run of a problem published."""

    page: Page

    @property
    def values(self):
        """Return {answer-key id: value} of every stated input, value and table, in publishing order."""
        return {f"{self.page.module}.{name}": item.entry["value"]
                for name, item in self.page.items.items() if item.entry is not None}

    @property
    def figures(self):
        """Return the published figures, in publishing order."""
        return [Figure(name, item.files[0][1], item.alt, item.caption)
                for name, item in self.page.items.items() if item.files]

    def lines(self):
        """Return one line per published value, `<id> = <value as JSON>` (full float64 precision)."""
        return [f"{id_} = {json.dumps(value)}" for id_, value in self.values.items()]

    def show(self):
        """Print every published value with its id, then display every figure."""
        print("\n".join(self.lines()))
        if self.figures:
            from IPython.display import display

            for figure in self.figures:
                display(figure)


def run(module, inputs=None, *, page="notebook"):
    """Return the Results of solutions.<module>'s publish(page), with its INPUTS updated by `inputs`."""
    loaded = load(module, inputs)
    results = Results(Page(module, page, dict(getattr(loaded, "INPUTS", {}))))
    loaded.publish(results.page)
    return results


def parse(text):
    """Return {id: value} from printed lines `<id> = <JSON>` (the inverse of Results.lines)."""
    found = {}
    for line in text.splitlines():
        id_, separator, value = line.partition(" = ")
        if separator and re.fullmatch(r"[\w.]+", id_):
            if id_ in found:
                raise ValueError(f"{id_} is printed twice")
            found[id_] = json.loads(value)
    return found
