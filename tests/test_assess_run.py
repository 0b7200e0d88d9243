"End to end: the `assess` and `select` analyses, Figure 6 and `inadequate-nb select` on a quick run."
import math, shutil, warnings
from dataclasses import replace
import numpy as np, pandas as pd, pytest, torch
import inadequate_nb.transfer as transfer
from inadequate_nb.assess import assess_analysis, source_probabilities
from inadequate_nb.scores import SCORES, SET_SCORES, SCORE_TERMS, logme, leep
from inadequate_nb.cli import main
from inadequate_nb.core import RunLayout
from inadequate_nb.data import load_dataset, per_class_indices, to_geometry
from inadequate_nb.trajectory import Trajectory
from inadequate_nb.experiments import load_experiment
from inadequate_nb.runner import run_experiment
from conftest import assert_drawn

PRESET = load_experiment('quick', ['name="assess-test"'])
ALL_SCORES = list(SCORES) + list(SET_SCORES)  # NCTI's terms are rows of their own, and NCTI combines them over the checkpoints
SELECTORS = {'proxy_fe', 'proxy_ft', 'last_checkpoint', 'source_accuracy'} | set(ALL_SCORES) - SCORE_TERMS


def _run(out, mp):
    "run_experiment with every backbone feature pass counted."
    passes = []
    def counted(*a, **k): passes.append(1); return original(*a, **k)
    original = transfer.penultimate_features
    mp.setattr(transfer, 'penultimate_features', counted)
    r = run_experiment(PRESET, out, progress=False)
    return r, len(passes)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp('assess')
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # 3 checkpoints of a 3-epoch run: some scores may be constant
        r, passes = _run(out, mp)
    return out, r, passes


def _stamp(out):
    return {p: p.stat().st_mtime_ns for p in out.rglob('*') if p.is_file() and p.suffix in ('.pt', '.json', '.ipynb')}


def test_tables_and_figures(run):
    out, r, _ = run
    assert r.failures == []
    scores, results = pd.read_csv(out/'assess.csv'), pd.read_csv(out/'results.csv')
    epochs, seeds = sorted(results.epoch.unique()), PRESET.transfer.seeds
    assert len(scores) == len(epochs)*len(seeds)*len(ALL_SCORES)
    assert set(scores.score) == set(ALL_SCORES) and sorted(scores.epoch.unique()) == epochs and sorted(scores.seed.unique()) == seeds
    assert np.isfinite(scores.value).all() and scores.error.isna().all()
    agreement = pd.read_csv(out/'assess_agreement.csv', dtype={'seed': str})
    means = agreement[agreement.seed == 'mean']
    assert set(means['mode']) == {'fe_softmax', 'fe_logistic', 'ft'} and len(means) == 3*len(ALL_SCORES) and (means.n == len(epochs)).all()
    seed_ag = pd.read_csv(out/'assess_seed_agreement.csv')  # pairs of seeds: FE has 2 seeds, FT (ft_seeds=1) none
    assert set(seed_ag['mode']) == {'fe_softmax', 'fe_logistic'} and len(seed_ag) == 2 and (seed_ag.n == len(epochs)).all()
    sel = pd.read_csv(out/'selection.csv')
    assert set(sel.selector) == SELECTORS and set(sel['mode']) == {'fe_softmax', 'fe_logistic', 'ft'}
    assert sel.selected_epoch.isin(epochs).all() and sel.best_epoch.isin(epochs).all()
    assert (sel[sel.selector == 'last_checkpoint'].selected_epoch == max(epochs)).all()
    values = pd.read_csv(out/'selection_values.csv')
    proxies = values[values.kind == 'proxy']
    assert len(proxies) == 2*len(epochs)*len(seeds) and proxies.value.between(0, 1).all()
    for f in ('fig6_assess-test.png', 'fig6_assess-test.pdf', 'fig6_assess-test_fe_logistic.png', 'fig6_assess-test_tau.md',
              'fig6_assess-test_tau.csv', 'fig6_assess-test_selection.md', 'fig6_assess-test_proxies.png', 'fig6_assess-test_findings.md'):
        assert_drawn(out/'figures'/f)
    assert 'logme' in (out/'figures'/'fig6_assess-test_tau.md').read_text() and 'one seed against another' in (out/'figures'/'fig6_assess-test_tau.md').read_text()
    assert (out/'notebooks'/'fig6_assessment.ipynb').is_file()


def test_regret_recomputed_by_hand(run):
    "The regret table agrees with a direct computation from selection_values.csv and results.csv."
    out, _, _ = run
    sel, values, results = (pd.read_csv(out/f) for f in ('selection.csv', 'selection_values.csv', 'results.csv'))
    for r in sel.itertuples():
        truth = results[results['mode'] == r.mode].groupby('epoch').accuracy.mean()
        v = values[values.selector == r.selector].groupby('epoch').value.mean()
        chosen = max(e for e in v.index if v[e] == v.max())
        assert r.selected_epoch == chosen and math.isclose(r.regret, truth.max() - truth[chosen], abs_tol=1e-12)


def test_scores_are_those_of_the_fe_training_subsets(run, tmp_path):
    "assess.csv holds the scores of exactly the images the FE probes trained on (same geometry, same per-class draw)."
    out, _, _ = run
    traj, train = Trajectory(out/'trajectory'), load_dataset('digits', 'train')
    train = to_geometry(train, *traj.geometry)
    scores = pd.read_csv(out/'assess.csv')
    e, seed = traj.epochs[-1], PRESET.transfer.seeds[1]
    entry = transfer.FeatureCache(tmp_path).get(traj, e, train)  # the whole split, recomputed outside the run
    idx = per_class_indices(train.labels, PRESET.transfer.n_per_class, seed, train.classes)
    got = scores[(scores.epoch == e) & (scores.seed == seed)].set_index('score').value
    assert math.isclose(got['logme'], logme(entry['features'][idx], entry['labels'][idx]), rel_tol=1e-12)
    assert math.isclose(got['leep'], leep(source_probabilities(entry['logits'])[idx.numpy()], entry['labels'][idx]), rel_tol=1e-12)


def test_no_extra_feature_pass(run):
    out, _, passes = run
    n = len(Trajectory(out/'trajectory').epochs)
    assert passes == 2*n  # the transfer sweep's train and test passes; assess and select read the cache
    assert len(list((out/'cache'/'features').glob('*.pt'))) == 2*n


def test_rerun_recomputes_nothing(run, capsys):
    out, _, _ = run
    before, tables = _stamp(out), {f: (out/f).read_text() for f in ('assess.csv', 'assess_agreement.csv', 'assess_seed_agreement.csv', 'selection.csv', 'selection_values.csv')}
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        r, passes = _run(out, mp)
    assert passes == 0 and r.failures == []
    assert _stamp(out) == before  # no checkpoint, feature, result row, score row, proxy row or notebook rewritten
    assert {f: (out/f).read_text() for f in tables} == tables
    assert 'notebook fig6_assessment: skipped' in capsys.readouterr().out


def _select(*argv):
    return main(['select', *map(str, argv)])


def test_select_command(run, capsys):
    out, _, _ = run
    before = _stamp(out)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        assert _select('--run', out, '--ft-epochs', 1, '--quiet') == 0  # the run's own experiment.toml says how to load the target
    text = capsys.readouterr().out
    sel = pd.read_csv(out/'selection.csv').set_index(['selector', 'mode'])
    assert f"recommended for FE: epoch {sel.loc[('proxy_fe', 'fe_logistic'), 'selected_epoch']} " in text
    assert f"recommended for FT: epoch {sel.loc[('proxy_ft', 'ft'), 'selected_epoch']} " in text
    assert all(s in text for s in SELECTORS) and 'regret' in text
    assert _stamp(out) == before  # every row was already there


def test_select_command_errors(run, tmp_path, capsys):
    out, _, _ = run
    assert _select('--run', tmp_path) == 2
    assert 'experiment.toml does not exist' in capsys.readouterr().err
    assert _select('--run', out, '--fraction', 0.01, '--quiet') == 2
    assert 'leaves 0 to train the proxy' in capsys.readouterr().err


def _copy_context(out, tmp_path, **transfer_changes):
    "An AnalysisContext on a copy of the run, without its score rows."
    shutil.copytree(out, tmp_path/'run'); shutil.rmtree(tmp_path/'run'/'cache'/'assess-rows')
    layout = RunLayout(tmp_path/'run')
    return transfer.AnalysisContext(Trajectory(layout.trajectory), load_dataset('digits', 'train'), load_dataset('digits', 'test'), layout,
                                    replace(PRESET.transfer, **transfer_changes), 'digits', progress=False)


def test_diverged_checkpoint_gets_nan_scores_and_the_reason(run, tmp_path):
    "NaN features of one checkpoint: its feature scores are NaN with the reason, the sweep goes on, agreements count the rest."
    ctx = _copy_context(run[0], tmp_path)
    train, _ = transfer.drawn_training_images(to_geometry(ctx.target_train, *ctx.trajectory.geometry), ctx.transfer.n_per_class, ctx.transfer.seeds)
    e = ctx.trajectory.epochs[-1]; cache = transfer.FeatureCache(ctx.layout.features)
    p = cache.path(ctx.trajectory.identity(e), train); entry = torch.load(p, weights_only=True)
    entry['features'][:, 0] = float('nan'); torch.save(dict(entry, checksum=transfer._tensor_checksum(entry)), p)  # NaN, as from a diverged checkpoint
    with pytest.warns(RuntimeWarning, match='recorded as NaN'):
        tables = assess_analysis(ctx)
    df = tables['assess']
    bad = df[df.epoch == e]; feature_scores = [n for n, s in SCORES.items() if s.needs == 'features'] + list(SET_SCORES)
    assert bad[bad.score.isin(feature_scores)].value.isna().all() and bad[bad.score.isin(feature_scores)].error.str.contains('NaN').all()
    assert np.isfinite(bad[~bad.score.isin(feature_scores)].value).all() and np.isfinite(df[df.epoch != e].value).all()
    ag = tables['assess_agreement'].astype({'seed': str})
    assert (ag[ag.score == 'logme'].n == 2).all() and ag[ag.score == 'logme'].kendall_tau.isna().all()  # 2 finite checkpoints < 3
    assert (ag[ag.score == 'leep'].n == 3).all()


def test_one_sample_per_class_is_an_error(run, tmp_path):
    ctx = _copy_context(run[0], tmp_path, n_per_class=1)
    with pytest.raises(ValueError, match='has 1 sample'):
        assess_analysis(ctx)
    assert not (ctx.layout.root/'cache'/'assess-rows').exists()  # stopped before any work


def test_components(run):
    "Feature scores on F, F_m and F_r: the F rows are the assess rows, the parts differ from them, the summary names a component."
    from inadequate_nb.assess import COMPONENTS
    out, r, _ = run
    rows, scores = pd.read_csv(out/'components.csv'), pd.read_csv(out/'assess.csv')
    feature = [n for n, s in SCORES.items() if s.needs == 'features'] + list(SET_SCORES)
    epochs, seeds = sorted(scores.epoch.unique()), PRESET.transfer.seeds
    assert len(rows) == len(epochs)*len(seeds)*len(COMPONENTS)*len(feature) and set(rows.score) == set(feature)
    key = ['score', 'epoch', 'seed']
    whole = rows[rows.component == 'F'].merge(scores, on=key, suffixes=('', '_assess'))
    assert len(whole) == len(epochs)*len(seeds)*len(feature) and np.allclose(whole.value, whole.value_assess, rtol=1e-12, atol=0)
    residual = rows[rows.component == 'F_r'].merge(scores, on=key, suffixes=('', '_assess'))
    assert not np.allclose(residual.value, residual.value_assess)
    summary = pd.read_csv(out/'components_summary.csv', keep_default_na=False)
    assert set(summary['mode']) == {'fe_softmax', 'fe_logistic', 'ft'} and len(summary) == 3*len(feature)
    assert set(summary.follows) <= set(COMPONENTS) | {''}
    md = (out/'figures'/'fig6_assess-test_components.md').read_text()
    assert all(n in md for n in feature) 
    assert_drawn(out/'figures'/'fig6_assess-test_components.png')


def test_assess_models_on_one_run_is_the_checkpoint_agreement(run, tmp_path):
    "Every checkpoint of one run as a model: the models' agreement is the run's own agreement on the seed means."
    from conftest import cli
    out, _, _ = run
    p = cli('assess-models', out, '--checkpoints', 'all', '--out', tmp_path/'m')
    assert '3 models on digits' in p.stdout and '| logme | ft |' in p.stdout
    models, agreement = pd.read_csv(tmp_path/'m_models.csv'), pd.read_csv(tmp_path/'m_agreement.csv')
    assert len(models) == 3 and set(SCORES) <= set(models.columns)
    own = pd.read_csv(out/'assess_agreement.csv', dtype={'seed': str}).query('seed == "mean"')
    both = agreement.merge(own, on=['score', 'mode'], suffixes=('', '_run'))
    assert len(both) == len(own) and np.allclose(both.pearson_r, both.pearson_r_run, equal_nan=True) and np.allclose(both.weighted_tau, both.weighted_tau_run, equal_nan=True)
    bad = cli('assess-models', out, check=False)  # one run's last checkpoint is one model: too few
    assert bad.returncode == 2 and bad.stderr.count('\n') == 1 and 'at least 3' in bad.stderr
