"""Benchmark the build: cold, rebuilt with nothing changed, rebuilt after editing one solution module.

    python3 scripts/run.py python scripts/bench.py [--runs 5] [--json out.json]

Each run is a fresh Python process working on a temporary copy of the project: a cold
build (timed from loading mkdocs.yml, so the package's numpy and matplotlib imports count),
then, in the same process as `mkdocs serve` does, a rebuild with nothing changed and a
rebuild after editing one solution module. Time spent inside the solutions hook's events
is measured separately. The baseline, measured in the same run,
is the same site built without the solutions hook (pages, theme and MathJax alike, but
no computed content), so the ratios show what computing the content costs.
Reported figures are medians over the runs.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE = "overrides/hooks/solutions_glue.py"
EDITED_MODULE = "solutions/midterm_review/batchnorm.py"


def copy_project(destination, with_glue):
    """Copy what a build reads to destination; without the glue, drop the solutions hook from mkdocs.yml."""
    for part in ["mkdocs.yml", "docs", "solutions", "overrides"]:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / part)
    if not with_glue:
        config = destination / "mkdocs.yml"
        lines = config.read_text().splitlines(keepends=True)
        config.write_text("".join(line for line in lines if GLUE not in line))


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
            if getattr(method, "__module__", "") == GLUE:  # MkDocs names a hook module by its path
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


def one_run(project):
    """In this (fresh) process: cold build, no-change rebuild, one-module-edit rebuild."""
    config_file, site = project / "mkdocs.yml", project / "site"
    results = {"cold": timed_build(config_file, site)}
    results["no_change"] = timed_build(config_file, site)
    module = project / EDITED_MODULE
    module.write_text(module.read_text() + f"\n# edited for the benchmark at {time.time()}\n")
    results["one_module_edit"] = timed_build(config_file, site)
    return {case: {"total": total, "hook": hook} for case, (total, hook) in results.items()}


def measure(runs, with_glue):
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            project = Path(folder)
            copy_project(project, with_glue)
            out = subprocess.run([sys.executable, __file__, "--child", str(project)], capture_output=True,
                                 text=True, check=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})
            samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {case: {field: statistics.median(s[case][field] for s in samples) for field in ("total", "hook")}
            for case in samples[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child)))
        return

    baseline = measure(args.runs, with_glue=False)
    site = measure(args.runs, with_glue=True)
    print(f"medians of {args.runs} runs, seconds; baseline = same site without the solutions hook\n")
    print(f"{'case':<18}{'build':>9}{'in hook':>9}{'hook share':>12}{'baseline':>10}{'ratio':>8}")
    for case in site:
        total, hook, base = site[case]["total"], site[case]["hook"], baseline[case]["total"]
        print(f"{case:<18}{total:>9.3f}{hook:>9.3f}{hook / total:>11.1%}{base:>10.3f}{total / base:>8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "site": site, "baseline": baseline}, indent=1) + "\n")


if __name__ == "__main__":
    main()
