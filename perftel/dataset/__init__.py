"""A company's calls as a dataset: an embedded DuckDB store that notebooks, reports and the CLI query.

::

    ds = perftel.open_dataset("acme")
    ds.calls("2026-11-01", "2026-11-30", answered=True)      # pandas, local days
    ds.search('"segunda via" boleto', speaker="customer")      # whole words, accents and case ignored
    ds.sql("SELECT direction, count(*) FROM calls GROUP BY 1").df()
    ds.export("out/", format="parquet")

The JSON files under ``<data_dir>/<company>/calls/`` stay the source of truth; the store in
``<data_dir>/<company>/dataset/`` is derived from them, updated incrementally (:func:`update_dataset`, run
at the end of every pipeline run and by ``perftel index``) and rebuildable (``rebuild=True``). This package
is the only place perftel imports duckdb. Modules: ``schema`` (the tables' columns, the per-transcript
table registry), ``rows`` (JSON → rows), ``tokens`` (search text, the ``segment_tokens`` index),
``manifest`` (the layout on disk), ``parts`` (writing a part), ``worker`` (parts in worker processes),
``compact`` (merging parts, clean-up), ``index`` (the incremental update), ``sql``, ``views``,
``period`` (local days → UTC), ``search``, ``aggregates``, ``reader`` (:class:`Dataset`), ``export``.
"""

from __future__ import annotations

from pathlib import Path

from perftel.dataset.index import UpdateReport
from perftel.dataset.reader import Dataset, open_dataset
from perftel.dataset.schema import TranscriptContext, register_transcript_table
from perftel.dataset.search import search_terms
from perftel.dataset.tokens import search_text
from perftel.storage import CompanyStorage


def update_dataset(
    company: str, data_dir: str | Path | None = None, *, rebuild: bool = False
) -> UpdateReport:
    """Index ``company``'s new, changed and deleted JSON files (all of them with ``rebuild=True``).

    Returns an :class:`UpdateReport`; unreadable files are skipped and named in it. Raises
    ``StorageError`` when the dataset folder cannot be written."""
    from perftel.dataset import index

    return index.update(CompanyStorage(company, data_dir), rebuild=rebuild)


__all__ = [
    "Dataset",
    "TranscriptContext",
    "UpdateReport",
    "open_dataset",
    "register_transcript_table",
    "search_terms",
    "search_text",
    "update_dataset",
]
