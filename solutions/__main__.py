"""Command line: check the committed answer key and errata register against recomputation, or regenerate the key.

    python -m solutions check
        exit 1 and list every difference between recomputation and solutions/answers.json,
        and every id where solutions/errata.yml and the key disagree
    python -m solutions regenerate
        rewrite solutions/answers.json and print what changed; refuses to change a value of a
        released set unless the change is recorded:
    python -m solutions regenerate --erratum "what was wrong" [--date 2026-11-22]
        record the changed values in solutions/errata.yml (old and new) and rewrite the key

Both reuse the results of problems whose code is unchanged from the build's cache,
.cache/solutions/ (an entry is only written by running the same code with the same
libraries, so it is as good as a recomputation); --no-cache recomputes every problem.
"""

import argparse
import datetime
import sys

from solutions.engine import answerkey, cache, errata, files
from solutions.engine.publish import SolutionError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m solutions", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("command", choices=["check", "regenerate"])
    parser.add_argument("--erratum", metavar="WHAT", help="regenerate: record the changed published values "
                        "in the errata register, saying what was wrong")
    parser.add_argument("--date", type=datetime.date.fromisoformat, default=datetime.date.today(),
                        help="regenerate --erratum: the date of the correction (default: today)")
    parser.add_argument("--no-cache", action="store_true", help="recompute every problem, reusing no cached result")
    args = parser.parse_args(argv)
    if args.erratum is not None and (args.command != "regenerate" or not args.erratum.strip()):
        parser.error("--erratum goes with regenerate and says what was wrong")
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


def _name(path):
    return path.relative_to(answerkey.ROOT).as_posix()


def check(committed, fresh, catalog):
    key_name, errata_name = _name(answerkey.KEY_PATH), _name(errata.PATH)
    changes = answerkey.diff(committed, fresh)
    disagreements = errata.disagreements(catalog.errata, committed)
    if changes:
        print(f"{key_name}: {len(changes)} difference(s) between the committed key and recomputation:")
        for change in changes:
            print(f"  {change}")
        protected = answerkey.protected(committed, fresh)
        if protected:
            print(f"Published values changed ({', '.join(protected)}). If the new values are right, run "
                  '`python -m solutions regenerate --erratum "what was wrong"` and commit the key and the register.')
        else:
            print("If the new values are right, run `python -m solutions regenerate` and commit the key.")
    if disagreements:
        print(f"{errata_name} disagrees with {key_name}:")
        for message in disagreements:
            print(f"  {message}")
    if changes or disagreements:
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
        print(f"{key_name}: not written. {len(protected)} published value(s) of released sets would change:",
              file=sys.stderr)
        for change in changes:
            if change.id in protected:
                print(f"  {change}", file=sys.stderr)
        print('A published value changes only with an erratum: run `python -m solutions regenerate --erratum '
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
    print(f"{key_name}: wrote {len(fresh)} values; {len(changes)} change(s)")
    for change in changes:
        print(f"  {change}")
    if protected:
        print(f"{errata_name}: recorded {len(protected)} corrected value(s) on {date}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
