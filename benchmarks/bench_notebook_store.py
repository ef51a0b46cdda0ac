"""Peak memory of a notebook process that charts a month and searches, on the dataset (issue 16, ≤ 500 MB).

Uses the synthetic store ``benchmarks/bench_dataset.py`` leaves under ``/tmp/perftel-bench-dataset/<N>``
(company ``bench``, calls over 2025). In one fresh process: open the dataset, notebook 04's work for June
(summary, the five charts from their SQL aggregates, talk time, the calls table), then the explorer on
June with the Words filter set twice (``Dataset.search``) and one call opened, then a search over all
history. Prints wall seconds per step and the peak RSS (VmHWM) as JSON::

    python benchmarks/bench_notebook_store.py [--data-dir /tmp/perftel-bench-dataset/100000]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date

from perftel import notebook as nb
from perftel.evaluate import peak_rss_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/perftel-bench-dataset/100000")
    parser.add_argument("--company", default="bench")
    args = parser.parse_args()
    steps: dict[str, float] = {}
    t = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = round(now - t, 2)
        steps[name[:-2] + "_peak_mb"] = round(peak_rss_mb(), 1)
        t = now

    ds = nb.open_dataset(args.company, args.data_dir, update=False)
    step("open_s")
    start, end = "2025-06-01", "2025-06-30"
    summary = nb.store_summary(ds, start, end)
    figures = nb.store_figures(ds, start, end)
    calls = nb.store_calls(ds, start, end)
    step("month_summary_charts_calls_s")
    explorer = nb.CallExplorer(ds, start=date(2025, 6, 1), end=date(2025, 6, 30))
    step("explorer_month_s")
    explorer.words.value = "boleto"
    step("explorer_word_s")
    explorer.words.value = '"segunda via do boleto"'
    step("explorer_phrase_s")
    hits = ds.search("boleto")
    step("search_all_history_s")
    print(
        json.dumps(
            {
                **steps,
                "month_calls": len(calls),
                "calls_counted": int(summary.set_index("measure").loc["Calls", "value"]),
                "charts": len(figures),
                "explorer_rows_with_phrase": len(explorer.rows),
                "search_hits_capped": len(hits),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
