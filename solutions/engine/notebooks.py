"""Companion notebooks: one per released problem set, generated from the package, executed, cached.

A set's notebook is built with nbformat from the set's metadata and its problems in nav
order (never edited by hand): a title cell citing the course, a setup cell that makes the
clone's ``solutions`` package importable, then per problem a heading and a code cell
holding the module's INPUTS, as written in its source, which runs the problem through
``solutions.engine.explore`` and prints every published value with its answer-key id and
displays its figures.

It is executed with nbclient in a kernel of this very Python (ipykernel, named explicitly, so
no Jupyter setup of the user's matters; forked from a process that has imported its libraries,
``solutions.engine.kernels``, with the same outputs as a kernel started afresh), and stored under
``<project>/.cache/notebooks/<key>/<set folder>/notebook.ipynb``, where the key is
``cache.fingerprint`` of the set's modules together with the generated notebook itself and
the kernel's versions: an edit in solutions/ re-executes exactly the notebooks whose
modules depend on the edited file, and a build with nothing changed executes none.
"""

import ast
import copy
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from solutions.engine import answerkey, cache, explore, files, sets
from solutions.engine.publish import SolutionError

KERNEL = "python3"  # the kernel name written in the notebook: any Python 3 kernel of the clone's environment
NOTEBOOK = "notebook.ipynb"  # each set's notebook, beside its pages: <set folder>/notebook.ipynb
TITLE = "Companion notebook"  # its title in the set's nav section
CACHE = Path(".cache") / "notebooks"  # under the project root
TIMEOUT = 600  # seconds a cell may run; the slowest problem takes a few
KERNEL_LIBRARIES = ("nbformat", "nbclient", "ipykernel", "ipython", "jupyter_client")
# The threads that drive kernels are named alike in every build: jupyter_client keeps an event loop
# (a thread of its own) per thread name, so a `mkdocs serve` session reuses them instead of adding more.
THREADS = "companion-notebook"
FORKED = True  # kernels forked from a process that has imported their libraries (kernels.py); False: started afresh


class NotebookError(SolutionError):
    """A companion notebook failed to execute; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Problem:
    title: str  # its title in the nav, e.g. "3. Batchnorm of {1, 7, 7, 9}"
    module: str  # e.g. "midterm_review.batchnorm"
    src_uri: str  # its page, e.g. "midterm-review/batchnorm.md"


@dataclass(frozen=True)
class Companion:
    """One set's companion notebook: the set, the folder of its pages, its problems in nav order."""

    problem_set: sets.ProblemSet
    folder: str
    problems: tuple

    @property
    def uri(self):
        """Return the notebook's docs/-relative path, e.g. "midterm-review/notebook.ipynb"."""
        return f"{self.folder}/{NOTEBOOK}"

    @property
    def modules(self):
        return [problem.module for problem in self.problems]


def plan(nav, docs_dir):
    """Return the Companion of every released set with a page in the nav, in nav order.

    A set's problems are the nav's pages whose front matter names one of its modules; its
    folder is that of its first page. Unreleased sets (RELEASED = False) get no notebook.
    """
    found = {}
    for title, path in sets.nav_titles(nav):
        source = Path(docs_dir) / path
        if not path.endswith(".md") or not source.is_file():
            continue
        module = answerkey.solution_module(path, source.read_text(encoding="utf-8"))
        if module is None:
            continue
        problem_set = sets.problem_set(module)
        folder = PurePosixPath(path).parent.as_posix()
        found.setdefault(problem_set, (folder, []))[1].append(Problem(title or module, module, path))
    return [Companion(problem_set, folder, tuple(problems))
            for problem_set, (folder, problems) in found.items() if problem_set.released]


# ------------------------------------------------------------------ building


SETUP = '''\
# The clone's root is the nearest folder, from here upwards, holding solutions/__init__.py;
# its `solutions` package computes everything below.
import sys
from pathlib import Path

root = next((folder for folder in [Path.cwd(), *Path.cwd().parents]
             if (folder / "solutions" / "__init__.py").is_file()), None)
if root is None:
    raise RuntimeError(f"Run this notebook inside a clone of the repository: no folder from {Path.cwd()} "
                       "upwards holds solutions/__init__.py")
sys.path.insert(0, str(root))

from solutions.engine import explore'''


def _intro(companion, repo_url):
    problem_set = companion.problem_set
    clone = f"[the repository]({repo_url})" if repo_url else "the repository"
    return f"""# {TITLE}: {problem_set.title}

Problems from {problem_set.source}, {problem_set.course}. This notebook recomputes every
value and figure of the set's pages by calling the `solutions` package of {clone}, and
prints each value with its id in the answer key (`answers.json`), at full float64
precision; each agrees with the key within the key's tolerance,
$|x - x_{{\\text{{key}}}}| \\le \\text{{atol}} + \\text{{rtol}}\\,|x_{{\\text{{key}}}}|$.

**Run it from a clone of the repository**: save it anywhere inside the clone and open it
with Jupyter in the project's environment, for example
`python3 scripts/run.py python -m pip install jupyterlab` once, then
`python3 scripts/run.py jupyter lab`. Change any entry of an `inputs` cell (a batch, a
weight, a regularization strength) and run that cell again: the values and figures under
it are recomputed from your inputs."""


def _problem_cells(problem, number):
    """Return a problem's heading cell and its code cell, which holds the module's `INPUTS = {...}`
    exactly as written (comments too) as `inputs = {...}`, for the reader to edit."""
    module = problem.module
    path = sets.module_path(module)
    source = (sets.ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    statement = tree.body[explore.inputs_statement(tree, path)]
    ast.literal_eval(statement.value)  # a literal, so the cell runs on its own
    doc = (ast.get_docstring(tree) or "").split("\n\n")[0].replace("\n", " ")
    name = module.rsplit(".", 1)[1]
    markdown = f"## {problem.title}\n\n{doc}\n\nComputed by `{path}`; the page is `docs/{problem.src_uri}`."
    code = (f"inputs = {ast.get_source_segment(source, statement.value)}\n"
            f"{name} = explore.run({module!r}, inputs)\n"
            f"{name}.show()")
    return [nbformat.v4.new_markdown_cell(markdown, id=f"problem-{number}"),
            nbformat.v4.new_code_cell(code, id=f"problem-{number}-code")]


def build(companion, repo_url=""):
    """Return the set's notebook, not executed: the same bytes for the same package and set."""
    cells = [nbformat.v4.new_markdown_cell(_intro(companion, repo_url), id="title"),
             nbformat.v4.new_code_cell(SETUP, id="setup")]
    for number, problem in enumerate(companion.problems, start=1):
        cells += _problem_cells(problem, number)
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": KERNEL, "display_name": "Python 3", "language": "python"},
        "title": f"{TITLE}: {companion.problem_set.title}"})
    notebook.nbformat_minor = 5  # cell ids, given above rather than random
    nbformat.validate(notebook)
    return notebook


# ------------------------------------------------------------------ executing


def _kernel_manager(sockets):
    """Return a KernelManager for an ipykernel run by this Python, whatever kernels the user has installed,
    forked from the fork server of ``solutions.engine.kernels`` if FORKED.

    sockets: a folder for the kernel's IPC sockets (no TCP port is opened).
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            if kernel_name != KERNEL:
                raise NoSuchKernel(kernel_name)
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3", language="python", resource_dir="")

    manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=ThisPython(), transport="ipc",
                            ip=str(Path(sockets) / "kernel"))
    if FORKED:
        from solutions.engine.kernels import ForkedProvisioner

        manager.kernel_id = str(uuid.uuid4())
        manager.provisioner = ForkedProvisioner(kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec,
                                                parent=manager)
    return manager


def _describe(notebook, index):
    """Return 'cell N (under "## heading"): first line of its code' for error messages."""
    heading = next((cell.source.splitlines()[0] for cell in reversed(notebook.cells[:index])
                    if cell.cell_type == "markdown"), "")
    first = notebook.cells[index].source.strip().splitlines()
    return f'cell {index} (under "{heading}"): {first[0] if first else ""}'


def execute(notebook, name, cwd):
    """Return a copy of notebook with every cell executed in a fresh kernel whose working folder is cwd.

    name: what error messages call the notebook. The result holds no timings or other
    per-run metadata, so executing the same notebook twice gives the same bytes.
    Raises NotebookError naming the notebook and the first cell that raised.
    """
    from nbclient import NotebookClient

    notebook = copy.deepcopy(notebook)
    env = _kernel_env()
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        manager = _kernel_manager(sockets)
        client = NotebookClient(notebook, km=manager, timeout=TIMEOUT, allow_errors=False,
                                record_timing=False, resources={"metadata": {"path": str(cwd)}})
        try:
            _run_cells(client, notebook, name, env)
        finally:  # nbclient leaves a kernel manager it was given running: stop it as nbclient would its own
            if client.kc is not None:
                client.kc.stop_channels()
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
            manager.context.destroy(linger=0)
    return notebook


def _kernel_env():
    """Return the environment a kernel is started with: this process's, with hashing made reproducible."""
    return dict(os.environ, PYTHONHASHSEED="0", PYDEVD_DISABLE_FILE_VALIDATION="1")


def _run_cells(client, notebook, name, env):
    from nbclient.exceptions import CellExecutionError

    with client.setup_kernel(env=env):
        info = client.wait_for_reply(client.kc.kernel_info())
        notebook.metadata["language_info"] = info["content"]["language_info"]
        for index, cell in enumerate(notebook.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                raise NotebookError(f"companion notebook {name} failed at {_describe(notebook, index)}: "
                                    f"{exc.ename}: {exc.evalue}") from None


def key(companion, repo_url="", snapshot=None):
    """Return the cache key of the executed notebook.

    The generated notebook is a function of what the key holds: its modules' fingerprint
    (their sources and the core, this file among it), the companion (set, folder, problems
    with their titles and pages) and repo_url; the kernel's versions decide its outputs. So
    the key is known without generating the notebook, which a build with nothing changed skips.
    """
    snapshot = snapshot or cache.Snapshot()
    return snapshot.fingerprint(companion.modules, repr(companion), repo_url, *cache.versions(KERNEL_LIBRARIES))


@dataclass(frozen=True)
class Executed:
    companion: Companion
    src_dir: Path  # <root>/.cache/notebooks/<key>: a docs/-like folder holding only this notebook
    executed: bool  # False: reused from the cache, or pending
    # Pending (executed(..., defer=True) on a miss): src_dir holds a placeholder notebook saying so, and
    # `complete` executes the real one into target, <root>/.cache/notebooks/<key>, for a later build.
    target: Path = None
    repo_url: str = ""
    notebook: object = field(default=None, compare=False)  # pending: the notebook to execute, built with the pages

    @property
    def path(self):
        """Return the executed notebook, <src_dir>/<set folder>/notebook.ipynb."""
        return self.src_dir / self.companion.uri

    @property
    def pending(self):
        return self.target is not None


PENDING = """**Being executed again.** An edit changed what this notebook computes, and `mkdocs serve` is
executing it in the background; this page reloads with its new outputs when that is done. Its
outputs from before the edit are not shown: they no longer match the pages."""


def placeholder(companion, repo_url=""):
    """Return the notebook served while the set's notebook is executed after an edit: its title, and
    a note that it is being executed (no code and no outputs, so nothing outdated is shown as current)."""
    notebook = build(companion, repo_url)
    notebook.cells = [notebook.cells[0], nbformat.v4.new_markdown_cell(PENDING, id="pending")]
    return notebook


def kernels_at_once():
    """Return how many notebooks are executed at once: twice the CPUs, as a kernel spends much of its
    time waiting on messages, its start and its shutdown (measured on 2 CPUs, five notebooks took
    4.99 s in 2 kernels at once, 3.96 s in 3, 3.29 s in 4)."""
    return 2 * (os.cpu_count() or 1)


def _entries(companions, root, repo_url):
    """Return (companion, its cache entry, whether the entry lacks its executed notebook) for each companion."""
    folder = Path(root) / CACHE
    snapshot = cache.snapshot(cache.default_folder(root))  # the build's import records, if any
    entries = [(companion, folder / key(companion, repo_url, snapshot)) for companion in companions]
    return [(companion, src_dir, not (src_dir / companion.uri).is_file()) for companion, src_dir in entries]


def _execute_into(companion, src_dir, root, repo_url):
    """Execute the companion's notebook and store it in its cache entry (nothing is written if it fails)."""
    result = execute(build(companion, repo_url), companion.uri, root)
    files.write_atomically(src_dir / companion.uri, nbformat.writes(result))


def prepare(companions, root, repo_url=""):
    """Start the kernels' fork server now if a companion's executed notebook is not in the cache (it will
    be executed, now or in the background), so that it imports while the build computes the pages."""
    if FORKED and any(missing for _, _, missing in _entries(companions, root, repo_url)):
        from solutions.engine import kernels

        kernels.start(_kernel_env())


def start(companions, root, repo_url="", *, workers=None):
    """Begin executing, in background threads, every companion whose executed notebook is not in the
    cache; return {its cache entry (Executed.src_dir): Future}, for executed(..., started=) to wait on."""
    from concurrent.futures import ThreadPoolExecutor

    misses = [(companion, src_dir) for companion, src_dir, missing in _entries(companions, root, repo_url) if missing]
    if not misses:
        return {}
    pool = ThreadPoolExecutor(min(workers or kernels_at_once(), len(misses)), THREADS)
    started = {src_dir: pool.submit(_execute_into, companion, src_dir, root, repo_url) for companion, src_dir in misses}
    pool.shutdown(wait=False)  # its threads end with the last notebook
    return started


def executed(companions, root, repo_url="", *, workers=None, defer=False, started=None):
    """Return an Executed for each companion: reused from the cache when its key is there, else executed now.

    Misses run in up to `workers` kernels at once (kernels_at_once() by default); those in
    `started` (see start) are waited for instead. Raises NotebookError on the first notebook
    that fails (nothing is written for it). With defer (`mkdocs serve` after an edit), a miss is
    not executed here: its Executed is pending, and `complete` executes it.
    """
    from concurrent.futures import ThreadPoolExecutor

    folder = Path(root) / CACHE
    jobs = _entries(companions, root, repo_url)

    def run(job):
        companion, src_dir, missing = job
        if missing and defer:
            shown = folder / f"pending-{src_dir.name}"
            if not (shown / companion.uri).is_file():
                files.write_atomically(shown / companion.uri, nbformat.writes(placeholder(companion, repo_url)))
            return Executed(companion, shown, False, target=src_dir, repo_url=repo_url,
                            notebook=build(companion, repo_url))
        if missing and src_dir in (started or {}):
            started[src_dir].result()  # raises its NotebookError
        elif missing:
            _execute_into(companion, src_dir, root, repo_url)
        return Executed(companion, src_dir, missing)

    misses = sum(job[2] for job in jobs)
    workers = workers or kernels_at_once()
    if defer or misses <= 1 or workers <= 1:
        return [run(job) for job in jobs]
    with ThreadPoolExecutor(min(workers, misses), THREADS) as pool:
        return list(pool.map(run, jobs))


def complete(item, root):
    """Execute a pending notebook (see executed) into its place in the cache; return that place, or
    None if the package was edited again meanwhile (the outputs might mix both versions; a later
    build defers it afresh under its new key).

    Raises NotebookError, as executed does, if a cell fails (nothing is written then).
    """
    result = execute(item.notebook, item.companion.uri, root)
    if key(item.companion, item.repo_url) != item.target.name:
        return None
    files.write_atomically(item.target / item.companion.uri, nbformat.writes(result))
    return item.target


def evict(root, keep):
    """Remove every executed notebook cached under root but those in keep (Executed.src_dir); return how many."""
    folder = Path(root) / CACHE
    stale = [entry for entry in sorted(folder.iterdir()) if entry.is_dir() and entry not in keep] if folder.is_dir() else []
    for entry in stale:
        shutil.rmtree(entry, ignore_errors=True)
    return len(stale)


def printed_values(notebook):
    """Return {answer-key id: value} printed by an executed notebook's cells (see explore.parse)."""
    from solutions.engine import explore

    found = {}
    for cell in notebook.cells:
        text = "".join(output["text"] for output in cell.get("outputs", [])
                       if output.get("output_type") == "stream" and output.get("name") == "stdout")
        for id_, value in explore.parse(text).items():
            if id_ in found:
                raise ValueError(f"{id_} is printed by two cells")
            found[id_] = value
    return found
