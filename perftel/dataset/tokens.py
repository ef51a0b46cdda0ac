"""Search text and the ``segment_tokens`` index: the one normalisation a query and a segment share.

:func:`search_text` is the form search matches on (``" informacoes ja "`` for ``"Informações, já!"``);
:func:`search_text_array` computes it for a whole Arrow column; :func:`segment_token_table` turns a part's
``segments`` into its ``segment_tokens`` rows (one per word occurrence). Both use Arrow compute kernels
(Unicode NFKD, ``\\p{Mn}`` marks, Unicode categories of RE2), so the index and a query agree exactly.
"""

from __future__ import annotations

import pyarrow as pa

from perftel.dataset.schema import SEGMENT_TOKENS


def search_text_array(texts: pa.Array) -> pa.Array:
    """:func:`search_text` over a whole column at once (Arrow compute, vectorised)."""
    import pyarrow.compute as pc

    folded = pc.utf8_lower(pc.replace_substring_regex(pc.utf8_normalize(texts, "NFKD"), r"\p{Mn}+", ""))
    spaced = pc.utf8_trim(pc.replace_substring_regex(folded, r"[\p{P}\p{S}\p{Z}\p{C}]+", " "), " ")
    padded = pc.binary_join_element_wise(" ", spaced, " ", "")
    return pc.if_else(pc.equal(spaced, ""), "", padded)


def search_text(text: str) -> str:
    """The form search matches on: NFKD, accents (non-spacing marks) dropped, lowercased, every run of
    characters that are not letters or digits one space, padded with a space at both ends so that a
    whole word ``w`` is exactly the substring ``" w "``. ``"Informações, já!"`` → ``" informacoes ja "``.
    Segments' ``text_search`` column holds this form of ``text`` (computed per column at index time)."""
    return search_text_array(pa.array([text], pa.string()))[0].as_py()


def segment_token_table(segments: pa.Table) -> pa.Table:
    """``segments`` (with ``text_search`` filled) → ``segment_tokens``: one row per word occurrence,
    ``(token, recording_id, segment_index, position, prev_token, next_token, speaker)``, position counted from 0 within the segment, sorted
    by token then recording and segment. A token is one space-separated word of ``text_search``, so a
    whole word ``w`` is in a segment exactly when the row ``(search_text(w).strip(), segment)`` exists, and
    a phrase is in it exactly when each pair of neighbouring words sits at consecutive positions — found
    from either word's rows through ``next_token`` / ``prev_token`` (the word before / after, null at the
    segment's ends), so a phrase reads the rows of its rarer words only. Sorted by token, each Parquet
    row group covers a narrow range of tokens and its min/max statistics let a lookup skip the others.
    Keeps ``company_id`` and ``_vid`` so the views' tenant filter and tombstones apply as to ``segments``."""
    import numpy as np
    import pyarrow.compute as pc

    words = pc.split_pattern(pc.utf8_trim(segments.column("text_search"), " "), " ")
    flat = pc.list_flatten(words)
    parent = pc.list_parent_indices(words)
    if isinstance(flat, pa.ChunkedArray):
        flat, parent = flat.combine_chunks(), parent.combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(words), 0).to_numpy(zero_copy_only=False)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    position = np.arange(len(flat), dtype=np.int64) - starts
    # Sorting by integer keys, not strings: each word becomes its rank in the sorted vocabulary, each
    # segment its rank by (recording_id, segment_index); a stable sort keeps a segment's repeats in order.
    encoded = pc.dictionary_encode(flat)
    vocabulary = encoded.dictionary
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    word_rank = np.empty(len(vocabulary), np.int64)
    word_rank[pc.sort_indices(vocabulary).to_numpy()] = np.arange(len(vocabulary))
    segment_rank = np.empty(len(segments), np.int64)
    order = pc.sort_indices(segments, [("recording_id", "ascending"), ("segment_index", "ascending")])
    segment_rank[order.to_numpy()] = np.arange(len(segments))
    parent = parent.to_numpy(zero_copy_only=False)
    keep = np.flatnonzero(pc.not_equal(vocabulary, "").to_numpy(zero_copy_only=False)[codes])
    keys = word_rank[codes[keep]] * max(1, len(segments)) + segment_rank[parent[keep]]
    rows = keep[np.argsort(keys, kind="stable")]
    # the word before / after (null at the segment's ends), as vocabulary codes (-1: none)
    before = np.where(position[rows] == 0, -1, codes[np.maximum(rows - 1, 0)])
    after = np.where(
        position[rows] == (lengths[parent[rows]] - 1), -1, codes[np.minimum(rows + 1, len(codes) - 1)]
    )
    at = pa.array(parent[rows])

    def words_at(index: np.ndarray) -> pa.Array:
        return vocabulary.take(pa.array(index, mask=index < 0))

    return pa.table(
        {
            "company_id": pc.take(segments.column("company_id"), at),
            "_vid": pc.take(segments.column("_vid"), at),
            "token": words_at(codes[rows]),
            "recording_id": pc.take(segments.column("recording_id"), at),
            "segment_index": pc.take(segments.column("segment_index"), at),
            "position": pa.array(position[rows].astype(np.int32), pa.int32()),
            "prev_token": words_at(before),
            "next_token": words_at(after),
            "speaker": pc.take(segments.column("speaker"), at),
        },
        schema=SEGMENT_TOKENS,
    )
