"End to end: imprinting, retrieval and MoCo-v2 as analyses of a (miniature) preset run, with their paper notebooks."
import json
import pandas as pd
import pytest
from dataclasses import replace
from inadequate_nb.experiments import load_experiment
from inadequate_nb.runner import run_experiment
from inadequate_nb.trajectory import Trajectory
from conftest import assert_drawn

NOTEBOOKS = ['table4_imprinting', 'table2_retrieval', 'table3_selection', 'fig7_moco']
OPTIONS = {
    'imprinting': dict(shots=[1, 2, 5], draws=2, tune_epochs=1),
    'retrieval': dict(n_train=160, n_val=60, n_test=60, epochs=3, seeds=[0]),
    'moco': dict(source_options=dict(n_train=512, n_test=256), epochs=2, save_epochs=[0, 1, 2], batch_size=64, queue_size=128,
                 dim=16, bn_splits=2, eval_samples=512, arch_kwargs={'width': 4}),
}


def _experiment():
    return replace(load_experiment('quick', ['name="apps"']), analyses=['transfer', 'imprinting', 'retrieval', 'moco'],
                   analysis_options=OPTIONS, notebooks=NOTEBOOKS)


@pytest.fixture(scope='module')
def apps_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('apps')
    r = run_experiment(_experiment(), out, progress=False)
    return out, r


def test_tables_figures_and_notebooks(apps_run):
    out, r = apps_run
    assert r.failures == [], r.failures
    imp = pd.read_csv(out/'imprinting.csv')
    # 3 checkpoints x 2 modes x (base, proxy + 3 N x 2 draws x {all, novel})
    assert len(imp) == 3*2*(2 + 3*2*2) and imp.accuracy.between(0, 1).all()
    assert set(imp.metric) == {'all', 'novel', 'base', 'proxy'} and set(imp['mode']) == {'fe', 'ft'}
    ret = pd.read_csv(out/'retrieval.csv')
    assert len(ret) == 3*2 and set(ret.training) == {'full', 'proxy'}
    assert (ret.rsum - ret[['i2t_r1', 'i2t_r5', 'i2t_r10', 't2i_r1', 't2i_r5', 't2i_r10']].sum(axis=1)).abs().max() < 1e-6
    assert set(ret[ret.training == 'proxy'].train_images) == {40}  # 25% of 160
    moco = pd.read_csv(out/'moco.csv')
    assert set(moco.pretraining) == {'moco-v2'} and sorted(moco.epoch.unique()) == [0, 1, 2]
    assert set(moco['mode']) == {'source', 'fe_softmax', 'fe_logistic'}  # FE only: no fine-tuning by default
    t = Trajectory(out/'trajectory-moco')
    assert t.complete and t.manifest['method'] == 'moco-v2' and t.geometry == Trajectory(out/'trajectory').geometry
    for name in NOTEBOOKS:
        nb = json.loads((out/'notebooks'/f'{name}.ipynb').read_text())
        assert any(c['metadata'].get('tags') == ['injected-parameters'] for c in nb['cells'])
    for f in ('table4_apps_fe.md', 'table4_apps_ft.csv', 'table4_apps.png', 'table4_apps_findings.md', 'table2_apps.md',
              'table2_apps.pdf', 'table2_apps_findings.csv', 'table3_apps.md', 'table3_apps.png', 'table3_apps_findings.md',
              'fig7_apps.png', 'fig7_apps.pdf', 'fig7_apps_table.md', 'fig7_apps_findings.md'):
        assert_drawn(out/'figures'/f)
    report = (out/'REPORT.md').read_text()
    assert 'imprinting' in report and 'table2_apps' in report and 'fig7_apps' in report


def test_features_are_shared_and_rerun_recomputes_nothing(apps_run):
    out, _ = apps_run
    sup, moco = Trajectory(out/'trajectory'), Trajectory(out/'trajectory-moco')
    # one cache folder, per checkpoint of either trajectory: the digits the FE seeds draw and the test split (shared by
    # FE and imprinting); per supervised checkpoint also imprinting's own pool (all of train here) and the three
    # retrieval splits: nothing computed twice
    n = len(list((out/'cache'/'features').glob('*.pt')))
    assert n == 2*len(sup.epochs) + 2*len(moco.epochs) + len(sup.epochs) + 3*len(sup.epochs), n
    stamp = lambda: {p: p.stat().st_mtime_ns for p in out.rglob('*') if p.is_file() and p.suffix in ('.pt', '.json')}
    before = stamp()
    r = run_experiment(_experiment(), out, progress=False)
    assert r.failures == [] and stamp() == before
