"""Writing files so that no reader, and no interrupted build, ever sees one half-written."""

import os
import tempfile
from pathlib import Path


def write_together(contents):
    """Write {path: bytes or text (UTF-8)}: every file goes to a temporary file in its folder first,
    then all are moved into place, so a failure leaves the old files as they were and no temporary."""
    temporaries = {}
    try:
        for path, data in contents.items():
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporaries[path] = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(data.encode("utf-8") if isinstance(data, str) else data)
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
    except BaseException:
        for temporary in temporaries.values():
            Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path, data):
    """Write bytes or text (UTF-8) to path: readers see the old file or the new one, never half of it."""
    write_together({path: data})
