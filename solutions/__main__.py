"""Command line: check the committed answer key against recomputation, or regenerate it.

    python -m solutions check        exit 1 and list every difference, if any
    python -m solutions regenerate   rewrite solutions/answers.json and print what changed

Both reuse the results of problems whose code is unchanged from the build's cache,
.cache/solutions/ (an entry is only written by running the same code with the same
libraries, so it is as good as a recomputation); --no-cache recomputes every problem.
"""

import argparse
import sys

from solutions.core import answerkey, cache
from solutions.core.publish import SolutionError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m solutions", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "regenerate"])
    parser.add_argument("--no-cache", action="store_true", help="recompute every problem, reusing no cached result")
    args = parser.parse_args(argv)
    results = None if args.no_cache else cache.Results(cache.default_folder(answerkey.ROOT))
    try:
        fresh = answerkey.compute(answerkey.DOCS, results).key()
    except SolutionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    committed = answerkey.load()
    changes = answerkey.diff(committed, fresh)
    key_name = answerkey.KEY_PATH.relative_to(answerkey.ROOT)
    if args.command == "check":
        if not changes:
            print(f"{key_name}: all {len(fresh)} values match recomputation")
            return 0
        print(f"{key_name}: {len(changes)} difference(s) between the committed key and recomputation:")
        for change in changes:
            print(f"  {change}")
        print("If the new values are right, run `python -m solutions regenerate` and commit the key.")
        return 1
    answerkey.save(answerkey.merge(committed, fresh))
    print(f"{key_name}: wrote {len(fresh)} values; {len(changes)} change(s)")
    for change in changes:
        print(f"  {change}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
