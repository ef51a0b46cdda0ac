"""What "the same data set" means in tests: one hash per data file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def snapshot(root: Path) -> dict[str, str]:
    """Hashes of every file, ignoring what differs per run by design (listing stamps, transcription times)
    and the derived dataset folder (rebuilt from these files; its own tests compare its tables)."""
    digests = {}
    for path in sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "metadata/calls_" not in str(p) and "dataset" not in p.relative_to(root).parts
    ):
        data = path.read_bytes()
        if path.parent.name == "transcriptions" and path.suffix == ".json":
            content = json.loads(data)
            content.pop("transcribed_at"), content.pop("processing_seconds", None)
            data = json.dumps(content, sort_keys=True).encode()
        digests[str(path.relative_to(root))] = hashlib.sha256(data).hexdigest()
    return digests
