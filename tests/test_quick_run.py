"End to end: the `quick` preset through the command line, as a user runs it."
import json
import pandas as pd
import pytest
from conftest import cli, assert_drawn


@pytest.fixture(scope='module')
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('quick')
    p = cli('reproduce', '--preset', 'quick', '--out', out, '--quiet')
    return out, p


def test_writes_results_figures_notebook_and_report(quick_run):
    out, p = quick_run
    df = pd.read_csv(out/'results.csv')
    # 3 checkpoints x (source + 2 seeds x 2 FE protocols + 1 FT)
    assert len(df) == 3*(1 + 2*2 + 1)
    assert set(df['mode']) == {'source', 'fe_softmax', 'fe_logistic', 'ft'}
    assert df.accuracy.between(0, 1).all()
    for col in ('checkpoint', 'target', 'seed', 'params', 'package_version', 'epoch'):
        assert df[col].notna().all(), col
    for f in ('fig1_quick.png', 'fig1_quick.pdf', 'fig1_quick_table.csv', 'fig1_quick_findings.md'):
        assert_drawn(out/'figures'/f)
    nb = json.loads((out/'notebooks'/'fig1_toy.ipynb').read_text())
    assert any('parameters' in c['metadata'].get('tags', []) for c in nb['cells'])
    assert any(c['metadata'].get('tags') == ['injected-parameters'] for c in nb['cells'])
    report = (out/'REPORT.md').read_text()
    assert '| pre-train |' in report and 'fig1_quick' in report


def test_rerun_recomputes_nothing(quick_run):
    out, _ = quick_run
    stamp = lambda: {p: p.stat().st_mtime_ns for p in out.rglob('*') if p.is_file() and p.suffix in ('.pt', '.json', '.ipynb')}
    before = stamp()
    p = cli('reproduce', '--preset', 'quick', '--out', out, '--quiet')
    assert stamp() == before  # no checkpoint, feature cache, result row or notebook was rewritten
    # every step says it reused what was there: count the work that ran
    assert 'pre-train: complete, nothing trained' in p.stdout
    assert 'transfer (digits): 0 rows computed, 18 reused' in p.stdout
    assert 'notebook fig1_toy: skipped' in p.stdout


def test_same_recipe_same_bytes(quick_run, tmp_path):
    "A second run of the quick preset into another folder: every table, figure and executed notebook byte for byte."
    a, _ = quick_run
    cli('run', '--preset', 'quick', '--out', tmp_path/'b', '--quiet')
    b = tmp_path/'b'
    files = sorted(p.relative_to(a) for p in a.rglob('*')
                   if p.is_file() and p.suffix in ('.csv', '.md', '.png', '.pdf', '.ipynb', '.toml') and p.name != 'REPORT.md')
    assert len(files) > 15 and 'results.csv' in map(str, files)
    from inadequate_nb.runner import notebook_path
    same = lambda f: (a/f).read_bytes().replace(notebook_path(a).encode(), b'OUT') == \
                     (b/f).read_bytes().replace(notebook_path(b).encode(), b'OUT')  # the notebooks name their folder
    differ = [str(f) for f in files if not same(f)]
    assert not differ, differ
    ra, rb = ((d/'REPORT.md').read_text().splitlines() for d in (a, b))
    other = [(x, y) for x, y in zip(ra, rb) if x != y and not (x.startswith('| ') or x.startswith('Total: '))]  # the steps' wall times
    assert len(ra) == len(rb) and not other, other
    ta, tb = (json.loads((d/'trajectory'/'manifest.json').read_text()) for d in (a, b))
    assert [c['content_sha256'] for c in ta['checkpoints']] == [c['content_sha256'] for c in tb['checkpoints']]


def test_a_notebook_leaves_the_working_directory_alone(quick_run, tmp_path):
    "Notebooks run side by side in threads of one process: executing one must not change the process's directory."
    import os, shutil, threading
    from inadequate_nb.core import RunLayout
    from inadequate_nb.runner import run_notebook, notebook_path
    out, _ = quick_run
    run = tmp_path/'run'; shutil.copytree(out, run)
    lay, seen, done = RunLayout(run), set(), threading.Event()
    def watch():
        while not done.is_set(): seen.add(os.getcwd())
    w = threading.Thread(target=watch); w.start()
    try: result = run_notebook('fig1_toy', lay, {'experiment': 'quick', 'stem': 'quick', 'out_dir': notebook_path(run)}, 'fig1_again')
    finally: done.set(); w.join()
    assert result == 'ran' and (run/'notebooks'/'fig1_again.ipynb').is_file()
    assert seen == {os.getcwd()}, f'the working directory changed during the execution: {sorted(seen)}'
