"""``python -m perftel.dataset.worker``: read one chunk of source files into a part, for a big update.

Reads a pickled ``(modules, tables, chunk)`` from stdin — written by :mod:`perftel.dataset.index` in the
same program, never from elsewhere — imports ``modules`` (where per-transcript tables are registered),
exits with status 3 when its tables differ from ``tables``, else writes the pickled result of
``index._index_chunk(*chunk)`` to stdout.
"""

from __future__ import annotations

import importlib
import pickle
import sys


def main() -> int:
    modules, tables, chunk = pickle.loads(sys.stdin.buffer.read())
    for name in modules:
        importlib.import_module(name)
    from perftel.dataset import index, schema

    if sorted(schema.all_schemas()) != tables:
        print("this worker does not register the same dataset tables", file=sys.stderr)
        return 3
    sys.stdout.buffer.write(pickle.dumps(index._index_chunk(*chunk)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
