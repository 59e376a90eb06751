"""Every Lambda cold start imports ``app``: it must register every route and handler without importing what
only some functions need. Guards the laziness by what a fresh interpreter has loaded, never by timing
(bench/cold_start.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Loaded on first use, not by ``import app``: boto3/botocore's session machinery and the adapters built by
# ``chalicelib.deps.build``; the feed downloader's network stack; the XML feed parser; the eS.js mapper; the
# use cases of the jobs that are not running. (csv cannot be on the list: pydantic's plugin loader imports
# importlib.metadata, which imports csv, the first time a model is built.)
LAZY = [
    "boto3",
    "botocore.session",
    "botocore.client",
    "chalicelib.aws",
    "chalicelib.storage.dynamo",
    "chalicelib.storage.queue",
    "chalicelib.providers.feed_download",
    "http.client",
    "ssl",
    "urllib.request",
    "xml.etree.ElementTree",
    "chalicelib.tracking.esputnik",
    "chalicelib.services.consumer",
    "chalicelib.services.maintenance",
]

PROBE = textwrap.dedent(
    """
    import json, sys
    from pydantic.json_schema import GenerateJsonSchema

    generated = []
    original = GenerateJsonSchema.generate_definitions

    def counting(self, inputs):
        generated.append(len(inputs))
        return original(self, inputs)

    GenerateJsonSchema.generate_definitions = counting

    import app
    from chalicelib.api import docs

    print(json.dumps({
        "loaded": sorted(sys.modules),
        "schemas_generated": len(generated),
        "document_built": docs._document.cache_info().currsize,
        "routes": len(app.app.routes),
    }))
    """
)


def _import_app() -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_import_app_leaves_the_heavy_modules_for_first_use():
    result = _import_app()
    loaded = set(result["loaded"])  # type: ignore[call-overload]
    assert [m for m in LAZY if m in loaded] == []
    assert result["routes"]  # the routes are still registered at import


def test_no_json_schema_is_generated_at_import():
    result = _import_app()
    assert result["schemas_generated"] == 0
    assert result["document_built"] == 0
