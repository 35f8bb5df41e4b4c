"""Benchmark the build: cold, no-change, one-module and one-core rebuilds, and the notebook route.

    python3 scripts/run.py python scripts/bench.py [--runs 5] [--json out.json]

Each run works on a temporary copy of the project (so with its own, at first empty, results
cache .cache/solutions/). In one fresh Python process, as `mkdocs serve` does: a cold build
(timed from loading mkdocs.yml, so the package's numpy and matplotlib imports count), then
rebuilds with nothing changed, after appending a comment to one problem module
(EDITED_MODULE), and after appending one to a core file (EDITED_CORE). Then, each in a fresh
process as `mkdocs build` run again is: a build with nothing changed and one after editing
the problem module again. Time spent inside the events of the two hooks that make the
computed content (solutions_glue, companion_notebooks) is measured separately. The
baseline, measured in the same run the same way, is the same site built without them
(pages, theme and MathJax alike, but no computed content and no notebooks).

For comparison on the same machine in the same run: full regeneration, `python -m solutions
regenerate --no-cache` (every problem recomputed, no cache; process start to exit), and the
notebook route: each problem page's computation executed as a Jupyter notebook through
nbclient, one notebook per page with one fresh kernel each (ipykernel from this Python), as
mkdocs-jupyter's `execute: true` executes a site of notebook pages; and, for reference, the
sets' companion notebooks executed one after another without their cache, as a build
executes each (notebooks.execute: nbclient, in a kernel forked from solutions.engine.kernels).

Edit to page, under `mkdocs serve` (on its own copy, with the computed content): a value is
added to EDITED_MODULE's publish and placed on its page, the server is started, and then the
module is edited (the value changes) and, separately, the page's prose is edited; each time
the page is fetched every 50 ms, as a reader's browser polls, until the new text is served
(the edited page is rebuilt and served first, then the whole site: overrides/hooks/solutions_glue.py).
The edits come a few seconds apart, as an author saves: one may land during the whole build
after the one before, which it then stops.
The first module edit after the server starts is reported apart, the later ones as a median;
after each, the set's companion notebook page is polled until it serves the new value too (it
is executed in the background after the pages are served). --served-only measures only this.

--scale K replicates every set K times (packages, pages and nav sections, each copy with its
own module names), for both the site and the baseline: the ratios should hold (cost linear
in problems). Reported figures are medians over the runs.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE = "overrides/hooks/solutions_glue.py"
NOTEBOOK_HOOK = "overrides/hooks/companion_notebooks.py"
HOOKS = (GLUE, NOTEBOOK_HOOK)  # the computed content: values, figures, handouts, answers.json, notebooks
EDITED_MODULE = "solutions/midterm_review/batchnorm.py"
EDITED_CORE = "solutions/toolkit/fmt.py"
IN_PROCESS = ["cold", "no_change", "one_module_edit", "one_core_edit"]  # one process, in this order
FRESH = ["no_change_fresh", "one_module_edit_fresh"]  # a new process each
ENV = {"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"}
MARKER = "Bench marker"  # the prose the edit-to-page case adds and edits


def replicate(project, scale):
    """Add scale - 1 copies of every set to the project: package, pages (front matter renamed) and nav section."""
    import re

    sys.path.insert(0, str(ROOT))
    from solutions.engine import scaffold

    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    sets = sorted(p.parent.name for p in (project / "solutions").glob("*/__init__.py")
                  if p.parent.name not in ("engine", "toolkit") and "TITLE" in p.read_text(encoding="utf-8"))
    for name in sets:
        folders = sorted({page.parent.name for page in (project / "docs").glob("*/*.md")
                          if re.search(rf"^solution: {name}\.", page.read_text(encoding="utf-8"), re.M)})
        for copy in range(2, scale + 1):
            twin = f"{name}_x{copy}"
            shutil.copytree(project / "solutions" / name, project / "solutions" / twin,
                            ignore=shutil.ignore_patterns("__pycache__"))
            init = project / "solutions" / twin / "__init__.py"
            init.write_text(re.sub(r'^(TITLE\s*=\s*)(["\'])(.*?)\2', rf"\1\2\3 (copy {copy})\2",
                                   init.read_text(encoding="utf-8"), count=1, flags=re.M), encoding="utf-8")
            for folder in folders:
                target = project / "docs" / f"{folder}-x{copy}"
                shutil.copytree(project / "docs" / folder, target)
                for page in target.glob("*.md"):
                    page.write_text(page.read_text(encoding="utf-8").replace(f"solution: {name}.", f"solution: {twin}."),
                                    encoding="utf-8")
                entries = re.findall(rf'^\s+- "?([^"\n]+?)"?: ({re.escape(folder)}/[\w./-]+\.md)$', text, re.M)
                entries = [(title, path.replace(f"{folder}/", f"{folder}-x{copy}/", 1)) for title, path in entries]
                text = scaffold.nav_with_set(text, f"{folder} (copy {copy})", f"{folder}-x{copy}", entries)
    config.write_text(text, encoding="utf-8")


def copy_project(destination, with_glue):
    """Copy what a build reads to destination; without the glue, drop both computed-content hooks from mkdocs.yml."""
    for part in ["mkdocs.yml", "docs", "solutions", "overrides", "tests"]:  # tests: a released set needs its tests
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / part)
    if not with_glue:
        config = destination / "mkdocs.yml"
        lines = config.read_text().splitlines(keepends=True)
        config.write_text("".join(line for line in lines if not any(hook in line for hook in HOOKS)))


def edit(project, relative):
    """Append a comment to a file: its bytes change, nothing it computes does."""
    path = project / relative
    path.write_text(path.read_text() + f"\n# edited for the benchmark at {time.time()}\n")


def timed_build(config_file, site_dir):
    """Build once in this process; return (seconds in all, seconds in the solutions hook's events)."""
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    start = time.perf_counter()
    config = load_config(str(config_file), site_dir=str(site_dir))
    in_hook = [0.0]
    for methods in config.plugins.events.values():
        for i, method in enumerate(methods):
            if getattr(method, "__module__", "") in HOOKS:  # MkDocs names a hook module by its path
                methods[i] = _timing(method, in_hook)
    build(config)
    return time.perf_counter() - start, in_hook[0]


def _timing(method, total):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - start
    return timed


def in_process(project):
    """In this (fresh) process: cold build, then rebuilds with nothing changed, one module, one core file edited."""
    config_file, site = project / "mkdocs.yml", project / "site"
    results = {"cold": timed_build(config_file, site), "no_change": timed_build(config_file, site)}
    edit(project, EDITED_MODULE)
    results["one_module_edit"] = timed_build(config_file, site)
    edit(project, EDITED_CORE)
    results["one_core_edit"] = timed_build(config_file, site)
    return results


def notebooks(project):
    """Execute one notebook per problem page with nbclient, a fresh kernel each; return the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    from solutions.engine import answerkey

    pages = answerkey.read_pages(project / "docs")
    modules = {src: module for src, text in sorted(pages.items()) if (module := answerkey.solution_module(src, text))}
    # A kernel spec naming this very interpreter: the kernel is the project's own ipykernel.
    spec = Path(tempfile.mkdtemp()) / "kernels" / "bench"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (project)", "language": "python"}))
    os.environ["JUPYTER_PATH"] = str(spec.parent.parent)
    books = []
    for src, module in modules.items():
        code = (f"from solutions.engine.publish import run_module\n"
                f"page = run_module({module!r}, {src!r})\n"
                "{name: item.entry['value'] for name, item in page.items.items() if item.entry}")
        books.append(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]))
    start = time.perf_counter()
    for book in books:
        NotebookClient(book, kernel_name="bench", timeout=600, allow_errors=False,
                       resources={"metadata": {"path": str(project)}}).execute()
    seconds = time.perf_counter() - start
    assert all(book.cells[0].outputs for book in books), "a notebook printed nothing"
    return {"notebooks": seconds, "count": len(books)}


def companions(project):
    """Execute the sets' companion notebooks one after another as a build does each, no cache; return the seconds."""
    import yaml

    from solutions.engine import notebooks

    config = yaml.load((project / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    books = [(companion, notebooks.build(companion)) for companion in notebooks.plan(config["nav"], project / "docs")]
    start = time.perf_counter()
    for companion, book in books:
        notebooks.execute(book, companion.uri, project)
    return {"notebooks": time.perf_counter() - start, "count": len(books)}


def child(mode, project):
    """Run one measurement in a fresh process; return its JSON."""
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(project)], capture_output=True,
                         text=True, env=ENV, cwd=project)
    if out.returncode != 0:
        raise SystemExit(f"bench: {mode} failed in {project}:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def one_run(with_glue, scale=1):
    """Measure every case once on a fresh copy of the project; return {case: {"total": s, "hook": s}}."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        copy_project(project, with_glue)
        if scale > 1:
            replicate(project, scale)
        results = child("in_process", project)
        results["no_change_fresh"] = child("build", project)
        edit(project, EDITED_MODULE)
        results["one_module_edit_fresh"] = child("build", project)
        sample = {case: {"total": total, "hook": hook} for case, (total, hook) in results.items()}
        if with_glue and scale == 1:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "solutions", "regenerate", "--no-cache"], cwd=project,
                           env=ENV, check=True, capture_output=True)
            sample["full_regeneration"] = {"total": time.perf_counter() - start}
            sample["notebook_route"] = {"total": child("notebooks", project)["notebooks"]}
            sample["companion_route"] = {"total": child("companions", project)["notebooks"]}
        return sample


def served_edits(runs):
    """Under `mkdocs serve` on a fresh copy: seconds from saving an edit to the page serving it."""
    import re
    import socket
    import urllib.request

    sys.path.insert(0, str(ROOT))
    from solutions.engine import answerkey

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        copy_project(project, with_glue=True)
        module = project / EDITED_MODULE
        name = EDITED_MODULE.removeprefix("solutions/").removesuffix(".py").replace("/", ".")
        entry = next(e for id_, e in sorted(answerkey.load(project / "solutions/answers.json").items())
                     if id_.startswith(name + "."))
        page = project / "docs" / entry["page"]
        module.write_text(module.read_text() + '\n\ndef _bench(page, _publish=publish):\n    _publish(page)\n'
                          '    page.value("bench_marker", 271828)\n\n\npublish = _bench\n')
        page.write_text(page.read_text() + f"\n\n{MARKER}: {{{{ bench_marker }}}}.\n")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        import yaml

        prefix = "/" + yaml.load((project / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["site_url"].split("//", 1)[1].split("/", 1)[1]
        url = f"http://127.0.0.1:{port}{prefix}{entry['url']}"
        server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=project,
                                  env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        notebook_url = url.rsplit("/", 2)[0] + "/notebook/"  # the set's companion notebook, beside its pages

        def until(text, timeout=600, address=url):
            deadline = time.perf_counter() + timeout
            while time.perf_counter() < deadline:
                try:
                    if text in urllib.request.urlopen(address, timeout=10).read().decode():
                        return time.perf_counter()
                except OSError:
                    pass
                time.sleep(0.05)
            raise SystemExit(f"bench: {address} never showed {text!r}")

        try:
            until("271828")
            time.sleep(3)
            module_edits, notebook_edits, prose_edits, value = [], [], [], 271828
            for run in range(runs + 1):
                source = module.read_text()
                module.write_text(re.sub(r'"bench_marker", \d+', f'"bench_marker", {value + 1}', source))
                start = time.perf_counter()
                module_edits.append(until(str(value + 1)) - start)
                # The notebook catches up after the page (executed in the background, then a rebuild).
                notebook_edits.append(until(f"{name}.bench_marker = {value + 1}", address=notebook_url) - start)
                value += 1
                time.sleep(1)
                text = page.read_text()
                page.write_text(re.sub(rf"{MARKER}( \d+)?:", f"{MARKER} {run}:", text))
                start = time.perf_counter()
                prose_edits.append(until(f"{MARKER} {run}:") - start)
                time.sleep(3)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"first_module_edit": module_edits[0], "module_edit": statistics.median(module_edits[1:]),
            "notebook_after_module_edit": statistics.median(notebook_edits[1:]), "prose_edit": statistics.median(prose_edits)}


def report_served(edits):
    print("\nedit to page under mkdocs serve (seconds from the save to the page serving it)")
    print(f"  first module edit: {edits['first_module_edit']:6.2f}")
    print(f"  module edit:       {edits['module_edit']:6.2f}   (target <= 1.5)")
    print(f"  its notebook:      {edits['notebook_after_module_edit']:6.2f}   "
          "(executed in the background after the page, then served)")
    print(f"  prose edit:        {edits['prose_edit']:6.2f}   (target <= 1)")


def medians(samples):
    return {case: {field: statistics.median(s[case][field] for s in samples) for field in samples[0][case]}
            for case in samples[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--scale", type=int, default=1, help="replicate every set this many times")
    parser.add_argument("--served-only", action="store_true",
                        help="measure only the edit-to-page times under mkdocs serve")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PROJECT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, project = args.child[0], Path(args.child[1])
        if mode == "in_process":
            result = in_process(project)
        elif mode == "build":
            result = timed_build(project / "mkdocs.yml", project / "site")
        else:
            sys.path.insert(0, str(project))
            result = notebooks(project) if mode == "notebooks" else companions(project)
        print(json.dumps(result))
        return

    if args.served_only:
        report_served(served_edits(args.runs))
        return

    baseline_samples, site_samples = [], []
    for _ in range(args.runs):  # interleaved, so that a change in the machine's load hits both alike
        baseline_samples.append(one_run(with_glue=False, scale=args.scale))
        site_samples.append(one_run(with_glue=True, scale=args.scale))
    baseline, site = medians(baseline_samples), medians(site_samples)
    if args.scale > 1:
        print(f"every set replicated {args.scale} times\n")

    print(f"medians of {args.runs} runs, seconds; 'in hook' = in the solutions and companion-notebook hooks; "
          "baseline = same site without them\n")
    print(f"{'case':<22}{'build':>9}{'in hook':>9}{'hook share':>12}{'baseline':>10}{'ratio':>8}")
    for case in IN_PROCESS + FRESH:
        total, hook, base = site[case]["total"], site[case]["hook"], baseline[case]["total"]
        print(f"{case:<22}{total:>9.3f}{hook:>9.3f}{hook / total:>11.1%}{base:>10.3f}{total / base:>8.2f}")
    ratio = {case: site[case]["total"] / baseline[case]["total"] for case in IN_PROCESS + FRESH}
    print("\ntargets (ratio to the baseline in the same run)")
    print(f"  cold build:        {ratio['cold']:6.2f}x   (target <= 4)")
    print(f"  no-change rebuild: {ratio['no_change']:6.2f}x in process (mkdocs serve), "
          f"{ratio['no_change_fresh']:.2f}x in a fresh process   (target <= 1.2)")
    print(f"  one core edit:     {ratio['one_core_edit']:6.2f}x   (target <= 6)")
    if args.scale == 1:
        regeneration, route = site["full_regeneration"]["total"], site["notebook_route"]["total"]
        companion = site["companion_route"]["total"]
        print(f"\n{'full_regeneration':<22}{regeneration:>9.3f}   (python -m solutions regenerate --no-cache, whole process)")
        print(f"{'notebook_route':<22}{route:>9.3f}   (nbclient, one notebook and one fresh kernel per problem page)")
        print(f"{'companion_route':<22}{companion:>9.3f}   (nbclient, the companion notebooks one after another in forked kernels, no cache)")
        site["served"] = served_edits(args.runs)
        report_served(site["served"])
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "site": site, "baseline": baseline}, indent=1) + "\n")


if __name__ == "__main__":
    main()
