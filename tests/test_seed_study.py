"A seed study (`inadequate-nb seeds`) on the quick preset: every analysis per pre-training seed, the tables over seeds, Figure 1 over seeds."
import pandas as pd
import pytest
from conftest import cli


@pytest.fixture(scope='module')
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp('seeds')
    p = cli('seeds', '--preset', 'quick', '--seeds', 0, 1, '--out', out, '--quiet', '--publish', out/'published')
    return out, p


def test_every_analysis_per_seed_and_the_tables_over_seeds(study):
    out, p = study
    a, b = (pd.read_csv(out/f'seed{s}'/'results.csv') for s in (0, 1))
    assert len(a) == len(b) == 3*(1 + 2*2 + 1)  # the quick preset's transfer sweep
    assert (a.checkpoint != b.checkpoint).all()  # another seed, other weights
    for table in ('results', 'assess', 'selection'):  # every analysis of the experiment ran for each seed, and is merged
        merged = pd.read_csv(out/f'{table}.csv')
        assert sorted(merged.pretrain_seed.unique()) == [0, 1], table
        assert len(merged) == sum(len(pd.read_csv(out/f'seed{s}'/f'{table}.csv')) for s in (0, 1)), table
    assert not (out/'seed0'/'notebooks').exists()  # the study draws, not each seed
    per_seed = pd.read_csv(out/'figures'/'fig1_seeds_quick_per_seed.csv')
    assert sorted(per_seed.pretrain_seed.unique()) == [0, 1] and set(per_seed['mode']) == {'fe_softmax', 'fe_logistic', 'ft'}
    # the per-seed table agrees with each run's own results
    for s, d in ((0, a), (1, b)):
        fe = d[d['mode'] == 'fe_logistic'].groupby('epoch').accuracy.mean()
        row = per_seed[(per_seed.pretrain_seed == s) & (per_seed['mode'] == 'fe_logistic')].iloc[0]
        best = max(e for e in fe.index if fe[e] == fe.max())  # ties: the later checkpoint
        assert row.best_epoch == best and abs(row.best - 100*fe.max()) < 1e-9 and row.peak_before_last == (best < 3)
    summary = pd.read_csv(out/'figures'/'fig1_seeds_quick_summary.csv')
    assert (summary.pretrain_seeds == 2).all()
    assert summary.set_index('mode').peak_before_last.to_dict() == per_seed.groupby('mode').peak_before_last.sum().to_dict()
    for f in ('fig1_seeds_quick.png', 'fig1_seeds_quick.pdf', 'fig1_seeds_quick_summary.md'):
        assert (out/'published'/'figures'/f).read_bytes() == (out/'figures'/f).read_bytes(), f
    assert (out/'published'/'notebooks'/'fig1_seeds.ipynb').is_file()
    assert (out/'published'/'seeds'/'seed1_results.csv').read_text() == (out/'seed1'/'results.csv').read_text()


def test_rerun_recomputes_nothing(study):
    out, _ = study
    run_files = lambda: [p for p in out.rglob('*') if p.is_file() and 'published' not in p.relative_to(out).parts]  # publishing copies again
    stamp = lambda: {p: p.stat().st_mtime_ns for p in run_files() if p.suffix in ('.pt', '.json', '.ipynb', '.png')}
    tables = lambda: {p: p.read_text() for p in run_files() if p.suffix == '.csv'}
    before, content = stamp(), tables()
    p = cli('seeds', '--preset', 'quick', '--seeds', 0, 1, '--out', out, '--quiet', '--publish', out/'published')
    assert stamp() == before and tables() == content
    assert p.stdout.count('0 rows computed, 18 reused') == 2 and p.stdout.count('complete, nothing trained') == 2


def test_one_seed_is_refused(tmp_path):
    p = cli('seeds', '--preset', 'quick', '--seeds', 3, 3, '--out', tmp_path, check=False)
    assert p.returncode == 2 and 'at least 2 distinct pre-training seeds' in p.stderr


def test_a_published_study_continues_without_its_run_folders(study, tmp_path):
    out, _ = study  # a fresh folder, as on another machine: seeds 0 and 1 come from the published tables, seed 2 is run
    p = cli('seeds', '--preset', 'quick', '--seeds', 0, 1, 2, '--out', tmp_path/'more', '--quiet', '--reuse', out/'published')
    assert p.stdout.count('taken from') == 2 and p.stdout.count('complete, nothing trained') == 0
    merged, published = pd.read_csv(tmp_path/'more'/'results.csv'), pd.read_csv(out/'published'/'results.csv')
    assert sorted(merged.pretrain_seed.unique()) == [0, 1, 2]
    pd.testing.assert_frame_equal(merged[merged.pretrain_seed < 2].reset_index(drop=True), published)
    assert not (tmp_path/'more'/'seed0'/'trajectory').exists() and (tmp_path/'more'/'seed2'/'trajectory').is_dir()
    bad = cli('seeds', '--preset', 'quick', '--set', 'pretrain.lr=0.2', '--seeds', 0, 1, '--out', tmp_path/'other', '--reuse', out/'published', check=False)
    assert bad.returncode == 2 and 'holds the results of another experiment (pretrain.lr' in bad.stderr


def test_seeds_in_two_processes_give_the_same_rows(study, tmp_path):
    out, _ = study  # --jobs 2: each seed in a worker process (executors.Processes), with the recipe's one thread
    p = cli('seeds', '--preset', 'quick', '--set', 'analyses=["transfer"]', '--set', 'notebooks=[]', '--seeds', 0, 1, '--jobs', 2,
            '--out', tmp_path/'two', '--quiet')
    assert 'pre-training seed 0: done' in p.stdout and 'pre-training seed 1: done' in p.stdout, p.stdout
    for s in (0, 1):
        assert (tmp_path/'two'/f'seed{s}'/'results.csv').read_bytes() == (out/f'seed{s}'/'results.csv').read_bytes(), s
