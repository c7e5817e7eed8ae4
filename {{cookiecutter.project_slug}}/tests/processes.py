"""The project in a child process: this interpreter, in the project directory."""

import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_python(arguments, environment):
    """Run this interpreter on `arguments` in the project directory, with
    `environment` alone: (exit code, stdout, stderr)."""
    result = subprocess.run(
        [sys.executable, *arguments],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout, result.stderr
