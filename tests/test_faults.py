"""Nothing silent, nothing lost: damaged files are named, never used; errors of the input or the environment are one
line with exit status 2; Ctrl-C stops cleanly and the same command continues; files take the user's umask; the
checkpoint identity is the weights' hash; the same recipe writes the same bytes."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest, torch
from conftest import cli, ROOT, CLI

TINY = ['--set', 'pretrain.epochs=2', '--set', 'pretrain.save_epochs=[0, 1, 2]', '--set', 'analyses=["transfer"]', '--set', 'notebooks=["fig1_toy"]']


def one_line_error(p, *fragments):
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stderr.startswith('inadequate-nb: error: ') and p.stderr.count('\n') == 1 and 'Traceback' not in p.stderr, p.stderr
    for f in fragments: assert f in p.stderr, (f, p.stderr)


@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp('finished')/'run'
    cli('run', '--preset', 'quick', *TINY, '--out', out, '--quiet')
    return out


def copy_of(run, tmp_path):
    import shutil
    shutil.copytree(run, tmp_path/'run', symlinks=True); return tmp_path/'run'


def test_truncated_checkpoint_in_a_finished_run_is_named_not_used(finished, tmp_path):
    run = copy_of(finished, tmp_path)
    p = run/'trajectory'/'epoch_0001.pt'; p.write_bytes(p.read_bytes()[:p.stat().st_size//2])
    r = cli('run', '--preset', 'quick', *TINY, '--out', run, '--quiet', check=False)
    one_line_error(r, 'epoch_0001.pt does not match the hash', 'delete the folder', 'run the same command again')


def test_deleting_the_damaged_trajectory_retrains_and_reuses_every_row(finished, tmp_path):
    "The recovery the message offers: same seed, same weights, so every cached row and feature is found again."
    run = copy_of(finished, tmp_path)
    import shutil; shutil.rmtree(run/'trajectory')
    r = cli('run', '--preset', 'quick', *TINY, '--out', run, '--quiet')
    assert 'pre-train: trained 2 epochs' in r.stdout and '0 rows computed, 18 reused' in r.stdout


def test_damaged_result_row_is_recomputed_with_a_warning(finished, tmp_path):
    run = copy_of(finished, tmp_path)
    rows = sorted((run/'cache'/'rows').glob('*.json'))
    rows[0].write_text(rows[0].read_text()[:40])  # a row cut short (a full disk, a crash of the file system)
    rows[1].write_text(rows[1].read_text().replace('"accuracy": 0.', '"accuracy": 1.'))  # a row changed by hand
    r = cli('run', '--preset', 'quick', *TINY, '--out', run, '--quiet')
    assert r.stderr.count('inadequate-nb: warning: result row') == 2 and r.stderr.count('is damaged') == 2 and 'recomputing it' in r.stderr
    assert '2 rows computed, 16 reused' in r.stdout
    pd.testing.assert_frame_equal(pd.read_csv(run/'results.csv'), pd.read_csv(finished/'results.csv'))


def test_damaged_cached_features_are_recomputed_with_a_warning(finished, tmp_path):
    run = copy_of(finished, tmp_path)
    f = sorted((run/'cache'/'features').glob('*.pt'))[0]
    e = torch.load(f, weights_only=True); e['features'][0, 0] += 1; torch.save(e, f)  # the checksum no longer holds
    for p in (run/'cache'/'rows').glob('*.json'): p.unlink()  # so that the features are read again
    r = cli('run', '--preset', 'quick', *TINY, '--out', run, '--quiet')
    assert 'cached features' in r.stderr and 'are damaged' in r.stderr
    pd.testing.assert_frame_equal(pd.read_csv(run/'results.csv'), pd.read_csv(finished/'results.csv'))


def test_truncated_manifest_names_the_file(finished, tmp_path):
    run = copy_of(finished, tmp_path)
    m = run/'trajectory'/'manifest.json'; m.write_text(m.read_text()[:200])
    one_line_error(cli('run', '--preset', 'quick', *TINY, '--out', run, '--quiet', check=False), 'manifest.json is damaged (not valid JSON', 'delete the folder')


def test_out_under_a_file(tmp_path):
    (tmp_path/'file').write_text('x')
    one_line_error(cli('run', '--preset', 'quick', *TINY, '--out', tmp_path/'file'/'x', check=False), 'is a file, not a folder', 'choose another --out')


def test_a_second_process_on_the_same_folder_is_refused(tmp_path):
    from inadequate_nb.core import FolderLock
    with FolderLock(tmp_path/'run', 'a run of quick'):
        one_line_error(cli('run', '--preset', 'quick', *TINY, '--out', tmp_path/'run', check=False), 'is in use by a run of quick')


@pytest.mark.parametrize('content, message', [(b'', 'cannot be read as a PyTorch checkpoint'), (b'not a checkpoint at all', 'cannot be read as a PyTorch checkpoint')])
def test_import_of_a_garbage_checkpoint_is_one_line(tmp_path, content, message):
    (tmp_path/'src').mkdir(); (tmp_path/'src'/'epoch_1.pt').write_bytes(content)
    one_line_error(cli('import-trajectory', tmp_path/'src', '--arch', 'cifar_resnet18', '--out', tmp_path/'t', check=False), 'epoch_1.pt', message, 'remove it from the folder')
    assert not (tmp_path/'t').exists()


def test_notebook_parameters_of_the_wrong_type_fail_in_the_first_cell(finished, tmp_path):
    import papermill
    with pytest.raises(papermill.PapermillExecutionError) as e:
        papermill.execute_notebook(str(ROOT/'nbs'/'paper'/'fig1_toy.ipynb'), str(tmp_path/'out.ipynb'), parameters={'out_dir': 123},
                                   cwd=str(ROOT/'nbs'/'paper'), progress_bar=False, kernel_name='python3')
    assert 'bad notebook parameter: out_dir=123 must be a string' in str(e.value)


def test_files_take_the_users_umask(tmp_path):
    p = subprocess.run(['sh', '-c', f'umask 002 && exec "$@"', 'sh', *CLI, 'run', '--preset', 'quick', *TINY, '--out', str(tmp_path/'run'), '--quiet'],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    modes = {f.relative_to(tmp_path).as_posix(): f.stat().st_mode & 0o777 for f in (tmp_path/'run').rglob('*') if f.is_file() and f.name != '.lock'}
    assert modes and set(modes.values()) == {0o664}, {k: oct(v) for k, v in modes.items() if v != 0o664}


def test_ctrl_c_stops_cleanly_and_the_same_command_continues(tmp_path):
    out = tmp_path/'run'
    args = [*CLI, 'run', '--preset', 'quick', '--set', 'pretrain.epochs=30', '--set', 'pretrain.save_epochs=[0, 10, 20, 30]',
            '--set', 'analyses=["transfer"]', '--set', 'notebooks=[]', '--out', str(out)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (out/'trajectory'/'epoch_0010.pt').exists(): time.sleep(0.05)
    t0 = time.time(); proc.send_signal(signal.SIGINT); _, err = proc.communicate(timeout=60)
    assert time.time() - t0 < 10 and proc.returncode == 130, (proc.returncode, err)
    assert 'interrupted: ' in err and 'steps saved; run the same command again to continue' in err and 'Traceback' not in err, err
    assert not [p for p in out.rglob('*') if p.name.endswith('.tmp')], 'a temporary file was left behind'
    p = subprocess.run(args + ['--quiet'], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert 'pre-train: trained' in p.stdout and 'trained 30 epochs' not in p.stdout  # it continued, it did not start again


def test_data_changed_under_the_same_name_is_refused(tmp_path):
    "A target read from an image folder; one image edited after the run: its cached results would be of the old data."
    from PIL import Image
    for split in ('train', 'test'):
        for c in ('a', 'b'):
            (tmp_path/'imgs'/split/c).mkdir(parents=True)
            for i in range(12): Image.new('RGB', (8, 8), (20*i, 200 if c == 'a' else 0, 0)).save(tmp_path/'imgs'/split/c/f'{i}.png')
    args = ['run', '--preset', 'quick', *TINY, '--set', f'targets=[{{dataset = "imagefolder", options = {{path = "{tmp_path/"imgs"}"}}}}]',
            '--set', 'transfer.n_per_class=10', '--set', 'notebooks=[]', '--out', tmp_path/'run', '--quiet']
    env = dict(os.environ, INADEQUATE_NB_CACHE=str(tmp_path/'decoded'))
    cli(*args, env=env)
    Image.new('RGB', (8, 8), (255, 255, 255)).save(tmp_path/'imgs'/'test'/'a'/'0.png')
    one_line_error(cli(*args, env=env, check=False), 'the data changed since', 'imagefolder', 'use another --out')
