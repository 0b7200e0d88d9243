"""The transfer sweep on every executor: the quick preset's results.csv is byte for byte the in-process one, whether its
jobs ran here, in two local processes or on a local two-worker Ray cluster; fine-tuning one network at a time instead of
eight side by side changes only the FT rows, by at most two test images at a learning rate where float32 rounding does
not grow (05_transfer: the algorithms are the same to 1e-9 in float64); a bad executor option is one line and exit 2."""
import json
import pandas as pd, pytest
from inadequate_nb.datasets import load_dataset
from conftest import cli

TRANSFER_ONLY = ['--set', 'analyses=["transfer"]', '--set', 'notebooks=[]', '--set', 'transfer.ft.lr=0.001', '--quiet']


@pytest.fixture(scope='module')
def in_process(tmp_path_factory):
    out = tmp_path_factory.mktemp('inprocess')
    cli('run', '--preset', 'quick', *TRANSFER_ONLY, '--out', out)
    return out


@pytest.mark.parametrize('backend', [['--executor', 'processes', '--workers', '2'], ['--executor', 'ray', '--workers', '2']], ids=['processes', 'ray'])
def test_same_results_as_in_process(in_process, tmp_path, backend):
    p = cli('run', '--preset', 'quick', *TRANSFER_ONLY, *backend, '--out', tmp_path/'run')
    assert '18 rows computed' in p.stdout  # every job ran on the executor, none was reused
    assert (tmp_path/'run'/'results.csv').read_bytes() == (in_process/'results.csv').read_bytes()
    again = cli('run', '--preset', 'quick', *TRANSFER_ONLY, *backend, '--out', tmp_path/'run')
    assert '0 rows computed, 18 reused' in again.stdout  # the rows landed in the result store: a rerun reuses them


def test_fine_tuning_one_at_a_time(in_process, tmp_path):
    cli('run', '--preset', 'quick', *TRANSFER_ONLY, '--ft-together', '1', '--out', tmp_path/'run')
    one, together = pd.read_csv(tmp_path/'run'/'results.csv'), pd.read_csv(in_process/'results.csv')
    ft = together['mode'] == 'ft'
    assert ft.sum() >= 2 and (one['mode'] == together['mode']).all()
    pd.testing.assert_frame_equal(one[~ft], together[~ft])  # FE and source rows: the same
    assert {json.loads(p).get('fine_tuned_together') for p in together.params[ft]} == {ft.sum()} and all('fine_tuned_together' not in p for p in one.params)
    assert (one.accuracy[ft] - together.accuracy[ft]).abs().max() <= 2/len(load_dataset('digits', 'test'))
    assert together.accuracy[ft].nunique() == ft.sum()  # the rows differ: a row given another's network would show


@pytest.mark.parametrize('args, says', [(['--executor', 'dask'], "unknown executor 'dask'; choose from inprocess, processes, ray"), (['--workers', '0', '--executor', 'processes'], 'give at least 1'),
                                        (['--address', 'auto'], 'options of --executor ray'),
                                        (['--ft-together', '0'], '--ft-together 0: give 1 or more')])
def test_bad_executor_options(tmp_path, args, says):
    p = cli('run', '--preset', 'quick', *TRANSFER_ONLY, *args, '--out', tmp_path/'run', check=False)
    assert p.returncode == 2 and says in p.stderr and p.stderr.strip().count('\n') == 0, p.stderr
    assert not (tmp_path/'run'/'results.csv').exists()
