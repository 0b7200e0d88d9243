"End to end: the spectral analysis (Table 1, Figures 4 and 5, the threshold map) in a preset run, sharing the transfer sweep's trajectory and feature cache."
import dataclasses, shutil
import pandas as pd
import pytest
import torch
import inadequate_nb.spectral as spectral
import inadequate_nb.transfer as transfer
from inadequate_nb.experiments import load_experiment
from inadequate_nb.runner import run_experiment
from inadequate_nb.statistics import best_checkpoint
from conftest import assert_drawn

QUICK = load_experiment('quick')

OPTIONS = dict(epochs=5, thresholds=[0.5, 0.8, 0.95], ft_epochs=1, tsne_samples=60)
NOTEBOOKS = ['table1_spectral', 'fig5_spectral_evolution', 'fig4_tsne', 'fig_spectral_threshold']
NAME = 'quick-spectral'


def preset(analyses, notebooks=(), **options):
    return dataclasses.replace(QUICK, name=NAME, analyses=list(analyses), notebooks=list(notebooks),
                               analysis_options={'spectral': dict(OPTIONS, **options)})

def run_preset(e, out, progress=False): return run_experiment(e, out, progress=progress)


def stamps(folder):
    return {p: p.stat().st_mtime_ns for p in folder.rglob('*') if p.is_file()}


def forbid_computing(monkeypatch):
    "Make every feature pass, fine-tuning, probe and t-SNE fail: a run that needs one of them errors."
    def boom(*a, **k): raise AssertionError('recomputed something that was cached')
    for mod, names in ((spectral, ['penultimate_features', 'fine_tune_group', 'softmax_probes', 'tsne_embedding']),
                       (transfer, ['penultimate_features', 'fine_tune', 'fine_tune_together', 'fe_accuracy'])):
        for n in names: monkeypatch.setattr(mod, n, boom)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp('spectral')
    run_preset(preset(['transfer']), out, progress=False)  # Figure 1's sweep alone first
    fe_features = stamps(out/'cache'/'features')
    r = run_preset(preset(['transfer', 'spectral'], NOTEBOOKS), out, progress=False)
    return out, fe_features, r


def test_tables_make_sense(run):
    out, _, r = run
    assert r.failures == []
    sp, res = pd.read_csv(out/'spectral.csv'), pd.read_csv(out/'results.csv')
    epochs, seeds = [0, 1, 3], [0, 1]
    best = best_checkpoint(res[res['mode'] == 'fe_logistic'].groupby('epoch').validation_accuracy.mean())  # chosen on validation, never on test
    assert set(sp[sp.is_best_fe].epoch) == {best} and set(sp[sp.is_final].epoch) == {3}
    assert (sp.best_fe_protocol == 'fe_logistic').all()
    fe = sp[(sp.sweep == 'components') & (sp['mode'] == 'fe')]
    assert len(fe) == len(epochs)*len(seeds)*(4 + 8)  # F repeated in 4 (centre, projection) slices + F_m, F_r in each
    assert set(fe.epoch) == set(epochs) and set(fe.centre) == {'raw', 'centred'} and set(fe.test_projection) == {'own', 'train_basis'}
    ft = sp[sp['mode'] == 'ft']
    assert set(ft.epoch) == {best, 3} and set(ft.seed) == {0} and (ft.ft_epochs == 1).all()
    assert len(ft) == len({best, 3})*12 and ft.ft_head_accuracy.between(0, 1).all()
    mp = sp[sp.sweep == 'threshold_map']
    assert len(mp) == len(epochs)*3*2*2 and set(mp.seed) == {0} and set(mp.test_projection) == {'own'}
    assert sp.accuracy.between(0, 1).all()
    # every slice is a complete triple, and the F probe is one result repeated across slices
    assert fe.groupby(['epoch', 'seed', 'centre', 'test_projection']).component.apply(lambda c: sorted(c) == ['F', 'F_m', 'F_r']).all()
    assert (fe[fe.component == 'F'].groupby(['epoch', 'seed']).accuracy.nunique() == 1).all()
    # k: at least one value for a positive threshold, at most the feature dimension (width 4: 32), more for a higher threshold
    parts = sp[sp.component != 'F']
    # the top k hold at least `threshold` of the sum of singular values, so (the largest values) at least as much of their squares
    assert parts.k_train.between(1, 32).all() and (parts[parts.component == 'F_m'].main_energy >= parts[parts.component == 'F_m'].threshold - 1e-9).all()
    for _, g in mp[mp.component == 'F_m'].groupby(['epoch', 'centre']):
        assert g.sort_values('threshold').k_train.is_monotonic_increasing
    # raw post-ReLU features: F_m carries more of the squared norm than in the centred split
    e = fe[fe.component == 'F_m'].groupby('centre').main_energy.mean()
    assert e['raw'] > e['centred']
    ts = pd.read_csv(out/'tsne.csv')
    assert ts.groupby(['epoch', 'mode']).size().tolist() == [60]*2*len({best, 3})
    assert ts.label.between(0, 9).all() and ts[['x', 'y']].notna().all().all()


def test_figures_and_tables_written(run):
    out, _, _ = run
    f = out/'figures'
    for name in (f'table1_{NAME}.md', f'table1_{NAME}.csv', f'table1_{NAME}_all_splits.md', f'table1_{NAME}_bars.png',
                 f'fig5_{NAME}.png', f'fig5_{NAME}.pdf', f'fig5_{NAME}_k.png', f'fig5_{NAME}_trend.md',
                 f'fig4_{NAME}.png', f'fig4_{NAME}.pdf', f'fig_spectral_threshold_{NAME}.png', f'fig_spectral_threshold_{NAME}_table.csv'):
        assert_drawn(f/name)
    t1 = (f/f'table1_{NAME}.md').read_text()
    for paper in ('96.47', '58.74', '27.77', '70.24'): assert paper in t1
    assert 'best FE' in t1 and 'FE on F_m' in t1 and '(n=2)' in t1
    for nb in NOTEBOOKS: assert (out/'notebooks'/f'{nb}.ipynb').is_file()
    assert f'table1_{NAME}' in (out/'REPORT.md').read_text()


def test_feature_cache_shared_with_transfer(run):
    out, fe_features, _ = run
    assert stamps(out/'cache'/'features') == fe_features  # no new FE feature file, none rewritten
    assert len(list((out/'cache'/'spectral-ft').glob('*.pt'))) == len(set(pd.read_csv(out/'spectral.csv').query('mode == "ft"').epoch))


def test_rerun_recomputes_nothing(run, monkeypatch):
    out, _, _ = run
    before, table = stamps(out/'cache'), pd.read_csv(out/'spectral.csv')
    forbid_computing(monkeypatch)
    r = run_preset(preset(['transfer', 'spectral'], NOTEBOOKS), out, progress=False)
    assert r.failures == [] and all(s['result'] == 'skipped' for s in r.steps if s['step'].startswith('notebook'))
    assert stamps(out/'cache') == before
    pd.testing.assert_frame_equal(pd.read_csv(out/'spectral.csv'), table)


def test_new_option_computes_only_new_rows(run, tmp_path, monkeypatch):
    out = tmp_path/'run'; shutil.copytree(run[0], out)
    rows = set((out/'cache'/'spectral-rows').glob('*.json'))
    monkeypatch.setattr(spectral, 'fine_tune_group', lambda *a, **k: (_ for _ in ()).throw(AssertionError('fine-tuned again')))
    run_preset(preset(['transfer', 'spectral'], thresholds=[0.5, 0.7, 0.8, 0.95]), out, progress=False)
    new = set((out/'cache'/'spectral-rows').glob('*.json')) - rows
    assert len(new) == 3*2  # threshold 0.7 of the map: 3 checkpoints x (raw, centred), one seed
    mp = pd.read_csv(out/'spectral.csv').query('sweep == "threshold_map"')
    assert sorted(mp.threshold.unique()) == [0.5, 0.7, 0.8, 0.95]


@pytest.mark.parametrize('options, message', [
    (dict(threshold=1.5), 'threshold=1.5 must lie in [0, 1]'),
    (dict(thresholds=[0.5, -0.1]), 'must lie in [0, 1]'),
    (dict(batch_size=5), 'batch_size=5 is smaller than the number of classes (10)'),
    (dict(test_projection='train'), "'own' or 'train_basis'"),
    (dict(best_protocol='fe_linear'), 'best_protocol'),
    (dict(colour='red'), 'analysis_options.spectral.colour: unknown key'),
])
def test_bad_options_fail_clearly(run, monkeypatch, options, message):
    out, _, _ = run
    forbid_computing(monkeypatch)
    before = (out/'experiment.toml').read_text()
    with pytest.raises(ValueError, match=None) as e: run_preset(preset(['transfer', 'spectral'], **options), out, progress=False)
    assert message in str(e.value)
    if 'batch_size' not in options:  # (the batch's class count is only known once the target is loaded)
        assert (out/'experiment.toml').read_text() == before  # refused before anything was written


def test_non_finite_features_fail_clearly(run, tmp_path):
    out = tmp_path/'run'; shutil.copytree(run[0], out)
    shutil.rmtree(out/'cache'/'spectral-rows')
    for p in sorted((out/'cache'/'features').glob('*.pt')):  # infinite features (a diverged checkpoint) in entries whose checksums hold
        e = torch.load(p, weights_only=True); e.pop('checksum'); e['features'][0, 0] = float('inf'); torch.save(dict(e, checksum=transfer._tensor_checksum(e)), p)
    with pytest.raises(ValueError) as e: run_preset(preset(['transfer', 'spectral']), out, progress=False)
    assert 'contains NaN or infinite values' in str(e.value) and 'of epoch' in str(e.value) and 'diverged checkpoint' in str(e.value)


def test_spectral_needs_transfer_results(tmp_path):
    with pytest.raises(FileNotFoundError) as e: run_preset(dataclasses.replace(preset(['spectral']), pretrain=dataclasses.replace(QUICK.pretrain, epochs=1, save_epochs=[0, 1])), tmp_path, progress=False)
    assert 'the spectral analysis needs the transfer results; list "transfer" before it' in str(e.value)
