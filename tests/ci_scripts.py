"""Run a generated CI file's shell script with a stand-in `uv`, to see what CDK gets."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any


def run_with_recording_uv(
    script: str, tmp_path: Path, variables: dict[str, str], cwd: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Run a CI shell script, in ``cwd``, whose `uv` only records CDK_OUTDIR and
    CDK_CONTEXT_JSON."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "contexts.jsonl"
    uv = bin_dir / "uv"
    uv.write_text(
        "#!/bin/sh\n"
        'printf \'{"out": "%s", "context": %s}\\n\' "$CDK_OUTDIR" "$CDK_CONTEXT_JSON"'
        f' >> "{record}"\n'
    )
    uv.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **variables}
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, check=True)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    return {line["out"]: line["context"] for line in lines}
