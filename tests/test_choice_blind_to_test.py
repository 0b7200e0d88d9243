"""The checkpoint chosen for every claim never reads the test split: permuting the target's test labels changes the test
accuracies and leaves the validation accuracies, and so every choice, exactly as they were."""
import dataclasses
import pandas as pd, pytest, torch
import inadequate_nb.runner as runner
from inadequate_nb.experiments import load_experiment
from inadequate_nb.statistics import corrected_gains
from inadequate_nb.viz import chosen_epoch
from inadequate_nb.spectral import best_fe_epoch

E = load_experiment('quick', ['name="blind"', 'analyses=["transfer"]', 'notebooks=[]'])


def _run(out, permute:bool, mp):
    original = runner.load_target
    def load(e, i, *a, **k):
        tr, te = original(e, i, *a, **k)
        if permute: te = dataclasses.replace(te, labels=te.labels[torch.randperm(len(te.labels), generator=torch.Generator().manual_seed(0))])
        return tr, te
    mp.setattr(runner, 'load_target', load)
    runner.run_experiment(E, out, progress=False)
    return pd.read_csv(out/'results.csv')


def test_permuted_test_labels_change_no_choice(tmp_path):
    with pytest.MonkeyPatch.context() as mp: honest = _run(tmp_path/'honest', False, mp)
    with pytest.MonkeyPatch.context() as mp: shuffled = _run(tmp_path/'shuffled', True, mp)
    key = ['mode', 'epoch', 'seed']
    both = honest.merge(shuffled, on=key, suffixes=('', '_shuffled'))
    transfer = both[both['mode'] != 'source']
    assert len(transfer) and (transfer.accuracy != transfer.accuracy_shuffled).any(), 'the permutation did not reach the test split'
    pd.testing.assert_series_equal(transfer.validation_accuracy, transfer.validation_accuracy_shuffled, check_names=False)
    for mode in ('fe_logistic', 'fe_softmax', 'ft'):
        assert chosen_epoch(honest, mode)[0] == chosen_epoch(shuffled, mode)[0], mode
        rows = lambda d: d[d['mode'] == mode].rename(columns={'seed': 'subset', 'validation_accuracy': 'validation', 'accuracy': 'test'}).assign(run=0)
        assert list(corrected_gains(rows(honest)).chosen) == list(corrected_gains(rows(shuffled)).chosen), mode
    assert best_fe_epoch(honest) == best_fe_epoch(shuffled)
