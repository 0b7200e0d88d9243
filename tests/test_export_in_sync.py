"The package is exactly what the notebooks export: nobody edited inadequate_nb/ by hand."
import shutil, subprocess, sys
from pathlib import Path
from conftest import ROOT


def test_nbdev_export_changes_nothing(tmp_path):
    for f in ('settings.ini',): shutil.copy(ROOT/f, tmp_path/f)
    shutil.copytree(ROOT/'nbs', tmp_path/'nbs')
    shutil.copytree(ROOT/'inadequate_nb', tmp_path/'inadequate_nb', ignore=shutil.ignore_patterns('__pycache__'))
    exe = Path(sys.executable).parent/'nbdev_export'
    subprocess.run([str(exe)], cwd=tmp_path, check=True, capture_output=True)
    for f in sorted((ROOT/'inadequate_nb').glob('*.py')):
        assert (tmp_path/'inadequate_nb'/f.name).read_text() == f.read_text(), f'{f.name} differs from what the notebooks export: run nbdev_export'
    assert sorted(p.name for p in (tmp_path/'inadequate_nb').glob('*.py')) == sorted(p.name for p in (ROOT/'inadequate_nb').glob('*.py'))


def test_readme_is_generated_from_index_notebook():
    p = subprocess.run([sys.executable, str(ROOT/'tools'/'make_readme.py'), '--check'], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
