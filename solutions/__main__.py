"""Command line: check the committed answer key against recomputation, or regenerate it.

    python -m solutions check        exit 1 and list every difference, if any
    python -m solutions regenerate   rewrite solutions/answers.json and print what changed
"""

import argparse
import sys

from solutions.core import answerkey
from solutions.core.publish import SolutionError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m solutions", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "regenerate"])
    args = parser.parse_args(argv)
    try:
        fresh = answerkey.compute().key()
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
