"""Search through the ``segment_tokens`` index returns exactly what a scan of every segment's text returns."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from perftel.dataset import index, open_dataset, tokens, update_dataset
from perftel.errors import ConfigError
from perftel.storage import CompanyStorage
from tests.dataset_helpers import add_call

SP = "America/Sao_Paulo"
T0 = datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc)  # 23:30 local on Feb 28: local days matter
CALLS = [
    [
        ("agent", "Bom dia, em que posso ajudar?"),
        ("customer", "Quero informações sobre a minha conta, por favor."),
        ("agent", "Claro. O desconto é de 50% no plano_basico; contato amanhã."),
    ],
    [
        ("customer", unicodedata.normalize("NFD", "Preciso de INFORMAÇÕES já, minha conta!")),
        ("agent", "A segunda via do boleto sai hoje. Segunda via do boleto, certo?"),
        ("customer", "O valor é 500 reais; 50 % é muito."),
    ],
    [
        ("agent", "conta conta minha conta"),
        ("customer", "Boleto? boleto... BOLETO!"),
        ("agent", "Informacoes — sobre a fatura do mês (mês passado)."),
        ("customer", "it's O'Brien's 100%_off deal; DROP TABLE calls; --"),
    ],
    [
        ("customer", "Ação, coração e informação: ÇÃO"),
        ("agent", "segunda-feira via e-mail do boleto"),
        ("customer", ""),
    ],
]
QUERIES = [
    "informacoes",
    "INFORMAÇÕES",
    unicodedata.normalize("NFD", "informações"),
    "conta",
    "cont",
    '"minha conta"',
    '"conta minha"',
    '"conta conta"',
    '"minha conta" informacoes',
    '"minha conta',  # an unbalanced quote
    "boleto",
    '"segunda via do boleto"',
    '"segunda via" boleto',
    "segunda-feira",
    '"via e-mail"',
    "50%",
    "500",
    "plano_basico",
    "plano_b",
    "'; DROP TABLE calls; --",
    "O'Brien's",
    "100%_off",
    "acao",
    "ÇÃO",
    "mes passado",
    '"do mes"',
    "nada disso",
    "a",
]


@pytest.fixture
def ds(tmp_path):
    storage = CompanyStorage("acme", tmp_path).ensure()
    for n, lines in enumerate(CALLS * 3):
        add_call(storage, n, lines, started=T0 + timedelta(hours=7 * n))
    with open_dataset("acme", tmp_path, tz=SP) as dataset:
        yield dataset


def _same(ds, query, **kwargs):
    found = ds.search(query, limit=None, **kwargs)
    scanned = ds._search_scan(query, limit=None, **kwargs)
    assert found.to_dict("records") == scanned.to_dict("records"), (query, kwargs)
    return found


@pytest.mark.parametrize("query", QUERIES)
def test_token_index_matches_the_scan(ds, query):
    _same(ds, query)


def test_the_queries_are_not_all_empty(ds):
    counts = {q: len(ds.search(q, limit=None)) for q in QUERIES}
    assert counts["informacoes"] == 9 and counts['"segunda via do boleto"'] == 3
    assert counts['"conta conta"'] == 3 and counts["cont"] == 0 and counts['"conta minha"'] == 3
    assert counts["boleto"] == 9 and counts["segunda-feira"] == 3 and counts["plano_b"] == 0
    assert sum(1 for c in counts.values() if c) >= 20


@pytest.mark.parametrize("speaker", ["agent", "CUSTOMER", "nobody"])
@pytest.mark.parametrize(
    "days", [(None, None), ("2026-02-28", "2026-02-28"), ("2026-03-01", None), (None, "2026-03-01")]
)
def test_speaker_and_local_days_filter_alike(ds, speaker, days):
    for query in ["informacoes", '"minha conta"', "boleto", '"segunda via" boleto']:
        _same(ds, query, speaker=speaker, start=days[0], end=days[1])


@pytest.mark.parametrize("side", ["next", "prev"])
def test_phrases_found_from_either_word(ds, side):
    """A phrase's word pairs are found from the first word's rows (next_token) or the second's (prev_token)."""
    from perftel.dataset.search import search_terms, token_hits_sql

    for query in [
        '"segunda via do boleto"',
        '"conta conta"',
        '"minha conta" informacoes',
        '"sobre a fatura"',
    ]:
        terms = search_terms(query)
        words = [w for t in terms for w in t.split()]
        counts = {w: (len(words) - i if side == "prev" else i + 1) for i, w in enumerate(words)}
        hits, params = token_hits_sql(terms, "customer" if "informacoes" in query else None, counts)
        found = sorted(set(ds._con.execute(hits, params).fetchall()))
        scan = ds._search_scan(query, speaker="customer" if "informacoes" in query else None, limit=None)
        assert found == sorted(set(zip(scan.recording_id, scan.segment_index, strict=True))), (query, side)
        assert found or query == '"sobre a fatura"'


def test_limit_keeps_the_newest(ds):
    assert ds.search("boleto", limit=2).to_dict("records") == ds._search_scan("boleto", limit=2).to_dict(
        "records"
    )
    assert len(ds.search("boleto", limit=2)) == 2


def test_empty_query_is_refused(ds):
    with pytest.raises(ConfigError):
        ds.search(" ... %")


def test_index_follows_changed_deleted_and_compacted_files(tmp_path):
    storage = CompanyStorage("acme", tmp_path).ensure()
    for n in range(12):
        add_call(storage, n, CALLS[n % len(CALLS)])
        update_dataset("acme", tmp_path)  # one part per update: compaction merges them
    add_call(storage, 1, [("agent", "nova conversa sem a palavra")])  # changed: its old tokens retire
    storage.transcription_paths("goto_connect", "rec-2")[0].unlink()  # deleted
    update_dataset("acme", tmp_path)
    manifest = index.read_manifest(index.dataset_dir(storage))
    assert len(manifest["parts"]) < 12 and manifest["dead"]  # merged, with tombstones
    with open_dataset("acme", tmp_path, tz=SP, update=False) as ds:
        for query in QUERIES + ["nova conversa", '"sem a palavra"']:
            _same(ds, query)
        assert "call-1" not in set(ds.search("boleto").call_id) and "call-2" not in set(
            ds.search("conta").call_id
        )
        assert ds.search('"sem a palavra"').call_id.tolist() == ["call-1"]
        live = ds.sql("SELECT count(*) FROM segment_tokens").fetchall()[0][0]
        words = ds.sql(
            "SELECT sum(len(string_split(trim(text_search), ' '))) FROM segments WHERE text_search <> ''"
        )
        assert live == words.fetchall()[0][0]


def test_segment_token_table_is_sorted_and_positioned():
    segments = pa.table(
        {
            "company_id": ["acme"] * 3,
            "_vid": [7, 7, 8],
            "recording_id": ["r1", "r1", "r2"],
            "segment_index": pa.array([0, 1, 0], pa.int32()),
            "text_search": [" zebra a zebra ", "", " a "],
            "speaker": ["agent", "customer", "customer"],
        }
    )
    rows = tokens.segment_token_table(segments).to_pylist()
    assert [
        (
            r["token"],
            r["recording_id"],
            r["segment_index"],
            r["position"],
            r["_vid"],
            r["prev_token"],
            r["next_token"],
        )
        for r in rows
    ] == [
        ("a", "r1", 0, 1, 7, "zebra", "zebra"),
        ("a", "r2", 0, 0, 8, None, None),
        ("zebra", "r1", 0, 0, 7, None, "a"),
        ("zebra", "r1", 0, 2, 7, "a", None),
    ]
    assert [r["speaker"] for r in rows] == ["agent", "customer", "agent", "agent"]


def test_segment_token_table_equals_a_plain_python_index_on_unsorted_rows():
    # segments out of order, a repeated word, an empty and a missing text, non-ASCII tokens (sorted by
    # their UTF-8 bytes, as DuckDB and Arrow compare strings), and one (recording, segment) written twice
    texts = [" b a b ", None, " ß a ", "", " 10 a ", " a b ", " zz ", " a b "]
    recordings = ["r9", "r1", "r1", "r5", "r10", "r1", "r2", "r9"]
    indexes = [3, 0, 2, 0, 1, 1, 0, 3]
    segments = pa.table(
        {
            "company_id": ["acme"] * len(texts),
            "_vid": list(range(len(texts))),
            "recording_id": recordings,
            "segment_index": pa.array(indexes, pa.int32()),
            "text_search": texts,
            "speaker": [f"s{i}" for i in range(len(texts))],
        }
    )
    expected = []
    for row, text in enumerate(texts):
        words = (text or "").split()
        for pos, word in enumerate(words):
            prev = words[pos - 1] if pos else None
            following = words[pos + 1] if pos + 1 < len(words) else None
            expected.append((word, recordings[row], indexes[row], pos, row, prev, following, f"s{row}"))
    expected.sort(key=lambda r: (r[0].encode(), r[1], r[2]))  # stable: a segment's repeats in order
    rows = tokens.segment_token_table(segments).to_pylist()
    keys = ("token", "recording_id", "segment_index", "position", "_vid", "prev_token", "next_token")
    assert [(*(r[k] for k in keys), r["speaker"]) for r in rows] == expected


def test_token_parts_have_row_groups_a_lookup_can_skip(tmp_path):
    import pyarrow.parquet as pq

    storage = CompanyStorage("acme", tmp_path).ensure()
    for n in range(4):
        add_call(storage, n, CALLS[n])
    update_dataset("acme", tmp_path)
    root = index.dataset_dir(storage)
    (part,) = index.read_manifest(root)["parts"]
    meta = pq.ParquetFile(root / "parts" / part["id"] / "segment_tokens.parquet").metadata
    stats = meta.row_group(0).column(meta.schema.names.index("token")).statistics
    assert stats is not None and stats.has_min_max and stats.min <= stats.max
