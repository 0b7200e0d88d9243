import os, sys, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent/'shared'/'data'
CLI = [str(Path(sys.executable).parent/'inadequate-nb')]  # the console script setup.py installs


def pytest_configure(config):
    "Under pytest-xdist (`make test` runs one worker per core) a worker and the runs it starts use one CPU thread each, not all cores."
    if os.environ.get('PYTEST_XDIST_WORKER'):
        for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(v, '1')
        import torch; torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    "Each test session decodes image folders into its own cache, never into the user's."
    monkeypatch.setenv('INADEQUATE_NB_CACHE', str(tmp_path_factory.getbasetemp()/'cache'))


def cli(*args, check=True, **kw):
    "Run the `inadequate-nb` command line; return the completed process."
    p = subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT, **kw)
    if check and p.returncode != 0: raise AssertionError(f'exit {p.returncode}\n{p.stdout}\n{p.stderr}')
    return p


def assert_drawn(path):
    "A written output holds something: a PNG is a readable image with marks on it (not one flat colour), a PDF has a page, a table has rows."
    path = Path(path)
    assert path.is_file(), f'{path} was not written'
    if path.suffix == '.png':
        import numpy as np
        from PIL import Image
        img = np.asarray(Image.open(path).convert('L'), dtype=float)
        assert min(img.shape) >= 50, f'{path} is only {img.shape} pixels'
        assert (img < 200).mean() > 0.01 and img.std() > 5, f'{path} is blank (no marks on it)'
    elif path.suffix == '.pdf':
        head = path.read_bytes()
        assert head.startswith(b'%PDF') and b'/Page' in head, f'{path} is not a PDF with a page'
    elif path.suffix in ('.csv', '.md'):
        assert len(path.read_text().strip().splitlines()) >= 2, f'{path} has no rows'
    else:
        assert path.stat().st_size > 0, path
