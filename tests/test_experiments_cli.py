"""Experiments as data, through the command line as a user types it: `show` writes a file that runs as the preset does,
an experiment file of one's own (other classes, other targets) runs without any code change, `--set` changes a key,
and every kind of bad input is one line with exit status 2 and nothing written."""
import pandas as pd
import pytest
from conftest import cli

SMALL = ['--set', 'pretrain.epochs=2', '--set', 'pretrain.save_epochs=[0, 2]', '--set', 'analyses=["transfer"]', '--set', 'notebooks=[]']
COLUMNS = ['target', 'epoch', 'mode', 'seed', 'accuracy', 'validation_accuracy', 'checkpoint']


def test_show_then_run_gives_the_presets_rows(tmp_path):
    p = cli('show', 'quick')
    (tmp_path/'my.toml').write_text(p.stdout)
    cli('run', tmp_path/'my.toml', *SMALL, '--out', tmp_path/'from-file', '--quiet')
    cli('run', '--preset', 'quick', *SMALL, '--out', tmp_path/'from-preset', '--quiet')
    a, b = (pd.read_csv(tmp_path/d/'results.csv') for d in ('from-file', 'from-preset'))
    pd.testing.assert_frame_equal(a[COLUMNS], b[COLUMNS])
    assert set(a.experiment) == set(b.experiment)  # one recipe, one hash


OWN = '''
name = "my-shapes"
description = "someone else's experiment: five shapes as the source, the other five and some digits as targets"
threads = 1
analyses = ["transfer"]

[source]
dataset = "shapes10"
classes = ["disk", "ring", "square", "frame", "triangle"]
options = {n_train = 600, n_test = 200, size = 8}

[pretrain]
arch_kwargs = {width = 4}
epochs = 2
save_epochs = [0, 1, 2]
batch_size = 32
lr = 0.05
eval_samples = 256

[[targets]]
dataset = "shapes10"
name = "other-shapes"
classes = ["plus", "ellipse", "half-disk", "star", "crescent"]
options = {n_train = 600, n_test = 200, size = 8, seed = 3}

[[targets]]
dataset = "digits"
name = "seven-and-one"
classes = ["7", "1"]
per_class = 15

[transfer]
n_per_class = 12
seeds = [0, 1]
fe_protocols = ["logistic"]
ft_seeds = 1

[transfer.ft]
epochs = 1
'''


def test_an_experiment_file_of_ones_own(tmp_path):
    (tmp_path/'own.toml').write_text(OWN)
    p = cli('run', tmp_path/'own.toml', '--out', tmp_path/'run', '--quiet')
    df = pd.read_csv(tmp_path/'run'/'results.csv')
    assert set(df.target) == {'other-shapes', 'seven-and-one'}
    # per target: 3 checkpoints x (source + 2 seeds x 1 probe + 1 FT)
    assert (df.groupby('target').size() == 3*(1 + 2 + 1)).all()
    assert set(df[df.target == 'seven-and-one'].n_per_class) == {15} and set(df[df.target == 'other-shapes'].n_per_class) == {12}
    assert "[classes=7,1]" in df[df.target == 'seven-and-one'].target_train.iloc[0]
    figs = {f.name for f in (tmp_path/'run'/'figures').glob('*.png')}
    assert {'fig1_my-shapes-other-shapes.png', 'fig1_my-shapes-seven-and-one.png', 'fig2_my-shapes_grid.png'} <= figs  # the defaults
    report = (tmp_path/'run'/'REPORT.md').read_text()
    assert '## Target `other-shapes`' in report and '## Target `seven-and-one`' in report
    manifest = pd.read_json(tmp_path/'run'/'trajectory'/'manifest.json', typ='series')
    assert manifest['classes'] == ['disk', 'ring', 'square', 'frame', 'triangle']


@pytest.mark.parametrize('args, message', [
    (['--set', 'pretrain.epoch=60'], "pretrain.epoch: unknown key (did you mean 'epochs'?)"),
    (['--set', 'pretrain.epochs="60"'], 'pretrain.epochs: expected an integer, got a string "60"'),
    (['--set', 'targets.0.dataset="cifar11"'], "targets[0].dataset: unknown dataset 'cifar11' (did you mean 'cifar10'?)"),
    (['--set', 'targets.0.classes=["7", "kat"]'], "targets[0].classes: 'kat' is not a class of digits (its classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)"),
    (['--set', 'pretrain.arch="resnet19"'], "pretrain.arch: unknown architecture 'resnet19'"),
    (['--set', 'analyses=["transfer", "asess"]'], "analyses[1]: unknown analysis 'asess' (did you mean 'assess'?)"),
    (['--set', 'notebooks=["fig1_tyo"]'], "notebooks[0]: no paper notebook 'fig1_tyo'"),
    (['--set', 'analysis_options.select.fraction=2.0'], 'analysis_options.select'),
    (['--set', 'targets.1.dataset="digits"'], "targets[1]: targets[0] is also named 'digits': give each target its own name"),
    (['--set', 'transfer.validation_fraction=1.5'], 'transfer: validation_fraction=1.5 must lie in [0, 1)'),
    (['--set', 'targets.0.per_class=500'], "targets[0].per_class: class '0' has 107 images, fewer than the 500 per class asked for"),
    (['--set', 'pretrain'], 'write it as key.path=value'),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path/'run'
    p = cli('run', '--preset', 'quick', *args, '--out', out, '--quiet', check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.startswith('inadequate-nb: error: ') and p.stderr.count('\n') == 1 and 'Traceback' not in p.stderr, p.stderr
    assert message in p.stderr, p.stderr
    assert not out.exists()


def test_a_missing_key_and_a_malformed_file(tmp_path):
    (tmp_path/'no-targets.toml').write_text('name = "x"\n[source]\ndataset = "digits"\n')
    p = cli('run', tmp_path/'no-targets.toml', '--out', tmp_path/'a', check=False)
    assert p.returncode == 2 and 'targets: missing (an experiment needs at least one [[targets]] table)' in p.stderr
    (tmp_path/'broken.toml').write_text('name = "x"\n[source\n')
    p = cli('run', tmp_path/'broken.toml', '--out', tmp_path/'b', check=False)
    assert p.returncode == 2 and 'broken.toml: not valid TOML' in p.stderr
    p = cli('show', 'tyo', check=False)
    assert p.returncode == 2 and "unknown preset 'tyo' (did you mean 'toy'?)" in p.stderr
    assert not (tmp_path/'a').exists() and not (tmp_path/'b').exists()


def test_another_recipe_in_a_run_folder_is_refused(tmp_path):
    cli('run', '--preset', 'quick', *SMALL, '--out', tmp_path/'run', '--quiet')
    p = cli('run', '--preset', 'quick', *SMALL, '--set', 'pretrain.lr=0.2', '--out', tmp_path/'run', check=False)
    assert p.returncode == 2 and 'holds the results of another experiment (pretrain.lr: 0.05 -> 0.2)' in p.stderr and 'another --out' in p.stderr
    p = cli('run', '--preset', 'quick', *SMALL, '--set', 'notebooks=["fig1_toy"]', '--out', tmp_path/'run', '--quiet')  # what to draw may change
    assert 'notebook fig1_toy: ran' in p.stdout


def test_presets_lists_every_file():
    p = cli('presets')
    names = [l.split()[0] for l in p.stdout.splitlines()]
    assert names[:3] == ['quick', 'toy', 'cifar-mnist'] and {'cifar-multi', 'paper-toy', 'paper-resnet50', 'paper-t2t'} <= set(names)
