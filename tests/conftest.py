import os, sys, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent/'shared'/'data'
CLI = [str(Path(sys.executable).parent/'inadequate-nb')]  # the console script setup.py installs


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    "Each test session decodes image folders into its own cache, never into the user's."
    monkeypatch.setenv('INADEQUATE_NB_CACHE', str(tmp_path_factory.getbasetemp()/'cache'))


def cli(*args, check=True, **kw):
    "Run the `inadequate-nb` command line; return the completed process."
    p = subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT, **kw)
    if check and p.returncode != 0: raise AssertionError(f'exit {p.returncode}\n{p.stdout}\n{p.stderr}')
    return p
