"""A pipeline run in its own process, for the crash and concurrency tests.

CHILD_CREDENTIALS='{...}' python -m tests.reliability.child PROVIDER BASE_URL DATA_DIR
"""

from __future__ import annotations

import json
import os
import sys

from perftel import create_provider, run_pipeline
from tests.reliability.conftest import DAY, HeaderTranscriber

if __name__ == "__main__":
    provider_name, base_url, data_dir = sys.argv[1:4]
    credentials = json.loads(os.environ["CHILD_CREDENTIALS"])
    provider = create_provider(provider_name, "acme", base_url=base_url, credentials=credentials)
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=HeaderTranscriber(), data_dir=data_dir
    )
    print(json.dumps({"failed": sorted(f.item for f in result.failed), "calls": len(result.calls)}))
