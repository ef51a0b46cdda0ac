"""Two companies in one data folder: a dataset opened for one never returns the other's rows."""

from __future__ import annotations

import pytest

from perftel.dataset import index, open_dataset, update_dataset
from perftel.storage import CompanyStorage
from tests.dataset_helpers import add_call

LINES = [("agent", "Bom dia, segredo comercial"), ("customer", "Minha conta, por favor")]


@pytest.fixture
def two(tmp_path):
    acme, rival = CompanyStorage("acme", tmp_path).ensure(), CompanyStorage("rival", tmp_path).ensure()
    for n in range(3):
        add_call(acme, n, LINES, words=True)
    for n in range(100, 104):  # other call ids, and one the same as acme's
        add_call(rival, n, LINES, words=True)
    add_call(rival, 0, LINES)
    update_dataset("acme", tmp_path)
    update_dataset("rival", tmp_path)
    return tmp_path


def test_every_method_and_view_sees_one_company(two):
    with open_dataset("acme", two) as ds:
        assert set(ds.calls().company_id) == {"acme"} and len(ds.calls()) == 3
        assert set(ds.segments().company_id) == {"acme"} and len(ds.segments()) == 6
        assert set(ds.transcripts().company_id) == {"acme"} and len(ds.transcripts()) == 3
        assert len(ds.search("conta")) == 3 and set(ds.search("segredo").call_id) == {
            "call-0",
            "call-1",
            "call-2",
        }
        for table in ds.tables:
            ids = {r[0] for r in ds.sql(f"SELECT DISTINCT company_id FROM {table}").fetchall()}
            assert ids <= {"acme"}, table
        assert ds.sql("SELECT count(*) FROM calls").fetchall() == [(3,)]
        assert ds.calls_per_day().calls.sum() == 3 and ds.talk_seconds_per_agent().calls.sum() == 3
    with open_dataset("rival", two) as ds:
        assert len(ds.calls()) == 5 and set(ds.calls().company_id) == {"rival"}


def test_sql_cannot_reach_the_other_tenants_files(two, tmp_path):
    import duckdb

    rival_parts = index.dataset_dir(CompanyStorage("rival", two)) / "parts"
    some_part = next(p for p in rival_parts.rglob("calls.parquet"))
    with open_dataset("acme", two) as ds:
        for query in [
            f"SELECT * FROM read_parquet('{some_part}')",
            f"SELECT * FROM '{some_part}'",
            f"SELECT * FROM read_parquet('{index.dataset_dir(CompanyStorage('acme', two))}/parts/../../../rival/dataset/parts/*/calls.parquet')",
            f"SELECT * FROM read_json_auto('{two}/rival/calls/metadata/detail_call-100.json')",
            f"COPY calls TO '{tmp_path}/leak.csv'",
            f"ATTACH '{tmp_path}/x.duckdb'",
        ]:
            with pytest.raises(duckdb.Error):
                ds.sql(query).fetchall()
        for setting in ["SET enable_external_access = true", f"SET allowed_directories = ['{two}']"]:
            with pytest.raises(duckdb.Error):
                ds.sql(setting)
        assert len(ds.calls()) == 3  # still works after the refusals
