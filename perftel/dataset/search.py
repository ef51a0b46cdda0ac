"""Word and phrase search over a dataset's segments: the query's terms and the SQL that finds them.

A query is whole words and "quoted phrases" (:func:`search_terms`), normalised as segments' ``text_search``
is (:func:`perftel.dataset.tokens.search_text`: case, accents, composed/decomposed forms and punctuation
ignored). The matching segments are found in the ``segment_tokens`` index (:func:`token_hits_sql`) or, as
the reference the index is tested against, by a scan of every segment (:func:`scan_hits_sql`); then
:func:`results_sql` orders, limits and decorates them. Parameters are always bound, so SQL characters in
a query (``% _ ' ;``) are matched literally.
"""

from __future__ import annotations

import shlex
from typing import Any

from perftel.dataset.sql import quote
from perftel.dataset.tokens import search_text
from perftel.errors import ConfigError

_SPEAKER = " AND lower(speaker) = lower(?)"


def search_terms(text: str) -> list[str]:
    """A search query → the normalised whole words and "quoted phrases" that must all appear.

    Raises ``ConfigError`` for a query with nothing to search."""
    try:
        parts = shlex.split(text.replace("'", " "))
    except ValueError:  # an unbalanced quote: search the words as they are
        parts = text.replace('"', " ").split()
    terms = [t for t in (search_text(p) for p in parts) if t]
    if not terms:
        raise ConfigError(f'Nothing to search in {text!r}: give a word or a "quoted phrase".', field="text")
    return terms


def phrase_words(terms: list[str]) -> list[str]:
    """The distinct words of the phrases among ``terms`` (sorted): the ones whose row counts in
    ``segment_tokens`` :func:`token_hits_sql` wants, to read each pair from its rarer word."""
    return sorted({w for t in terms if len(t.split()) > 1 for w in t.split()})


def token_hits_sql(
    terms: list[str], speaker: str | None = None, counts: dict[str, int] | None = None
) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for the ``(recording_id, segment_index)`` of the segments holding every
    term, from the ``segment_tokens`` index.

    A word is one token lookup. A phrase ``w0 w1 … wn`` holds at position ``p`` of a segment exactly when
    every pair ``(wi, wi+1)`` sits at ``p+i, p+i+1``: found either from ``wi``'s rows whose ``next_token``
    is ``wi+1`` or from ``wi+1``'s rows whose ``prev_token`` is ``wi`` — whichever word has fewer rows in
    ``counts`` (word → rows; absent: the first) — and the pairs' ``(segment, p)`` are intersected. Several
    terms are intersected. Exactly the segments whose ``text_search`` contains every term (see
    :func:`perftel.dataset.tokens.segment_token_table`); ``speaker`` compares case-insensitively."""
    counts = counts or {}
    who, by = (_SPEAKER, [speaker]) if speaker is not None else ("", [])
    selects, params = [], []
    for term in terms:
        tokens = term.split()
        if len(tokens) == 1:
            selects.append(f"SELECT recording_id, segment_index FROM segment_tokens WHERE token = ?{who}")
            params += [tokens[0], *by]
            continue
        pairs = []
        for i, (a, b) in enumerate(zip(tokens, tokens[1:], strict=False)):
            if counts.get(b, 0) < counts.get(a, 0):
                position, lookup = f"position - {i + 1}", [b, a]
                match = "prev_token"
            else:
                position, lookup = f"position - {i}", [a, b]
                match = "next_token"
            pairs.append(
                f"SELECT recording_id, segment_index, {position} AS p FROM segment_tokens "
                f"WHERE token = ? AND {match} = ?{who}"
            )
            params += [*lookup, *by]
        selects.append(
            "SELECT recording_id, segment_index FROM (" + " INTERSECT ".join(f"({q})" for q in pairs) + ")"
        )
    return " INTERSECT ".join(f"({q})" for q in selects), params


def scan_hits_sql(terms: list[str], speaker: str | None = None) -> tuple[str, list[Any]]:
    """The same rows as :func:`token_hits_sql`, by ``contains()`` on every segment's ``text_search``
    (linear in the number of segments: the reference the index is tested against)."""
    clauses = ["contains(text_search, ?)" for _ in terms]
    params: list[Any] = list(terms)
    if speaker is not None:
        clauses.append("lower(speaker) = lower(?)")
        params.append(speaker)
    return "SELECT recording_id, segment_index FROM segments WHERE " + " AND ".join(clauses), params


def results_sql(hits: str, where: str, tz_name: str, limit: int | None) -> str:
    """The search result for the segments ``(recording_id, segment_index)`` of the query ``hits``, kept
    where ``where`` holds (over ``f.recording_id``), newest call first, at most ``limit`` rows (``None``
    or 0: all). Columns: call_id, recording_id, call_start_utc (UTC), call_start_local (wall-clock time
    in ``tz_name``), segment_index, start_seconds, end_seconds (from the recording's start), speaker,
    text, context_before, context_after (the neighbouring segments' text).

    The order and limit are settled on the keys alone; only the kept segments' text is then read (a join
    with a small build side, whose keys DuckDB pushes into the segments scan)."""
    cap = f"LIMIT {int(limit)}" if limit else ""
    return f"""
        WITH found AS (SELECT DISTINCT recording_id, segment_index FROM ({hits})),
        keys AS MATERIALIZED (
            SELECT f.recording_id, f.segment_index, t.call_start_utc
            FROM found f LEFT JOIN transcripts t USING (recording_id)
            WHERE {where}
            ORDER BY t.call_start_utc DESC NULLS LAST, f.recording_id, f.segment_index {cap}
        )
        SELECT s.call_id, k.recording_id, k.call_start_utc,
               timezone('{quote(tz_name)}', k.call_start_utc) AS call_start_local,
               k.segment_index, s.start_seconds, s.end_seconds, s.speaker, s.text,
               s.text_before AS context_before, s.text_after AS context_after
        FROM keys k JOIN segments s ON s.recording_id = k.recording_id AND s.segment_index = k.segment_index
        ORDER BY k.call_start_utc DESC NULLS LAST, k.recording_id, k.segment_index
    """
