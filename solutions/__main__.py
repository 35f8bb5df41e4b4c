"""Command line: check the committed answer key and errata register against recomputation, or regenerate the key.

    python -m solutions check
        exit 1 and list every difference between recomputation and solutions/answers.json,
        and every id where solutions/errata.yml and the key disagree
    python -m solutions regenerate
        rewrite solutions/answers.json and print what changed; refuses to change a value of a
        released set unless the change is recorded:
    python -m solutions regenerate --erratum "what was wrong" [--date YYYY-MM-DD]
        record the changed values in solutions/errata.yml (old and new) and rewrite the key
    python -m solutions new <set> <problem> [<problem> ...] --title "..." --course "..." --source "..."
        write a draft set (RELEASED = False): its package, one module, page and placeholder
        test per problem, its index page and nav entries, and the new ids in the key;
        `new <existing set> <problem> ...` adds problems to a set

Both reuse the results of problems whose code is unchanged from the build's cache,
.cache/solutions/ (an entry is only written by running the same code with the same
libraries, so it is as good as a recomputation); --no-cache recomputes every problem.
"""

import argparse
import importlib
import datetime
import sys

from solutions.engine import answerkey, cache, errata, files, scaffold, sets
from solutions.engine.publish import SolutionError

RUN = "python3 scripts/run.py python -m solutions"  # every command suggested, as the README writes it


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m solutions", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("command", choices=["check", "regenerate", "new"])
    parser.add_argument("names", nargs="*", metavar="NAME", help="new: the set, then one or more problems")
    parser.add_argument("--title", help="new: the set's title")
    parser.add_argument("--course", help="new: the course the set comes from")
    parser.add_argument("--source", help="new: the set's source document")
    parser.add_argument("--erratum", metavar="WHAT", help="regenerate: record the changed published values "
                        "in the errata register, saying what was wrong")
    parser.add_argument("--date", type=datetime.date.fromisoformat, default=datetime.date.today(),
                        help="regenerate --erratum: the date of the correction (default: today)")
    parser.add_argument("--no-cache", action="store_true", help="recompute every problem, reusing no cached result")
    args = parser.parse_args(argv)
    if args.erratum is not None and (args.command != "regenerate" or not args.erratum.strip()):
        parser.error("--erratum goes with regenerate and says what was wrong")
    if args.command == "new":
        return new(args)
    if args.names or args.title or args.course or args.source:
        parser.error(f"{args.command} takes no set, problem, --title, --course or --source (those go with new)")
    results = None if args.no_cache else cache.Results(cache.default_folder(answerkey.ROOT))
    try:
        catalog = answerkey.compute(answerkey.DOCS, results)
    except SolutionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fresh, committed = catalog.key(), answerkey.load()
    if args.command == "check":
        return check(committed, fresh, catalog)
    return regenerate(committed, fresh, catalog, args.erratum, args.date.isoformat())


def new(args):
    if not args.names:
        print("error: name the set and at least one problem: " + RUN + " new <set> <problem> [<problem> ...] "
              '--title "..." --course "..." --source "..."', file=sys.stderr)
        return 2
    set_name, problems = args.names[0], args.names[1:]
    try:
        written = scaffold.new(answerkey.ROOT, set_name, problems, args.title, args.course, args.source)
    except SolutionError as exc:
        print(f"error: {exc}. Nothing was written.", file=sys.stderr)
        return 2
    print(f"Wrote {len(written)} file(s):")
    for path in written:
        print(f"  {path}")
    folder = next(path for path in written if path.startswith("docs/")).split("/")[1]
    importlib.invalidate_caches()  # the set may have been written just now
    if sets.problem_set(f"{set_name}.{problems[0]}").released:
        print(f"""
Set {set_name} is released, so the strict build and the tests fail until each new problem has its
test: write the math in each module and place its values in its page (docs/{folder}/), run
`{RUN} regenerate`, then write each test in tests/test_{set_name}.py and delete its skip.
To work on them unseen instead, add RELEASED = False to solutions/{set_name}/__init__.py.""")
        return 0
    print(f"""
The set is a draft (RELEASED = False in solutions/{set_name}/__init__.py): the site shows its
statements only, and its values change freely. Next:
  1. write the math in each module and place its values in each page (docs/{folder}/);
  2. {RUN} regenerate   (records the new values in solutions/answers.json)
  3. write each test in tests/test_{set_name}.py and delete its skip;
  4. {RUN.replace("python -m solutions", "mkdocs serve")}   (read the pages as students will)
  5. release: delete the RELEASED = False line, then {RUN.replace("python -m solutions", "pytest")}""")
    return 0


def _name(path):
    return path.relative_to(answerkey.ROOT).as_posix()


def check(committed, fresh, catalog):
    key_name, errata_name = _name(answerkey.KEY_PATH), _name(errata.PATH)
    changes = answerkey.diff(committed, fresh)
    disagreements = errata.disagreements(catalog.errata, committed)
    if changes:
        print(f"{key_name}: {len(changes)} difference(s) between the committed key and recomputation, "
              f"in {len({change.id for change in changes})} id(s):")
        for change in changes:
            print(f"  {change}")
        protected = answerkey.protected(committed, fresh)
        if protected:
            print(f"Published values of released sets changed ({', '.join(protected)}). If the new values are "
                  f'right, run `{RUN} regenerate --erratum "what was wrong"` and commit the key and the register.')
        else:
            print(f"If the new values are right, run `{RUN} regenerate` and commit the key.")
    if disagreements:
        print(f"{errata_name} disagrees with {key_name}:")
        for message in disagreements:
            print(f"  {message}")
    untested = sets.untested(catalog)
    if untested:
        print("Released sets with untested problems:")
        for message in untested:
            print(f"  {message}")
    if changes or disagreements or untested:
        return 1
    print(f"{key_name}: all {len(fresh)} values match recomputation; {errata_name}: "
          f"{len(catalog.errata)} correction(s), all agreeing with the key")
    return 0


def regenerate(committed, fresh, catalog, erratum, date):
    key_name, errata_name = _name(answerkey.KEY_PATH), _name(errata.PATH)
    changes = answerkey.diff(committed, fresh)
    merged = answerkey.merge(committed, fresh)
    protected = answerkey.protected(committed, fresh)
    if protected and erratum is None:
        print(f"{key_name}: not written. {len(protected)} published id(s) of released sets would change:",
              file=sys.stderr)
        for change in changes:
            if change.id in protected:
                print(f"  {change}", file=sys.stderr)
        print(f'A published value changes only with an erratum: run `{RUN} regenerate --erratum '
              f'"what was wrong"`, which records each change in {errata_name}.', file=sys.stderr)
        return 1
    if erratum is not None and not protected:
        print(f"--erratum: no published value of a released set changed, so there is nothing to record; "
              f"{key_name} and {errata_name} not written", file=sys.stderr)
        return 1
    texts = {answerkey.KEY_PATH: answerkey.dumps(merged)}
    if protected:
        by_problem = {}
        for id_ in protected:
            old, new = committed[id_]["value"], merged[id_]["value"] if id_ in merged else errata.REMOVED
            by_problem.setdefault(id_.rsplit(".", 1)[0], []).append(errata.Change(id_, old, new))
        entries = errata.record(catalog.errata, by_problem, erratum, date)
        texts[errata.PATH] = errata.dumps(entries)
    files.write_together(texts)
    ids = sorted({change.id for change in changes})
    print(f"{key_name}: wrote {len(fresh)} ids; {len(changes)} difference(s) from the committed key, in {len(ids)} id(s):")
    for change in changes:
        print(f"  {change}")
    if protected:
        problems = sorted({id_.rsplit(".", 1)[0] for id_ in protected})
        print(f"{errata_name}: recorded {len(protected)} corrected id(s) of released sets on {date}, one entry per "
              f"problem ({', '.join(problems)}); the other {len(ids) - len(protected)} id(s) are new or of draft "
              "sets and need no erratum")
    return 0


if __name__ == "__main__":
    sys.exit(main())
