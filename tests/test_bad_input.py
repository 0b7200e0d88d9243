"Bad input gets a clear error that says what was wrong and what to do."
import pickle
import pytest, torch
from conftest import cli, ROOT
from inadequate_nb.data import load_dataset
from inadequate_nb.models import CifarResNet18, save_checkpoint, load_checkpoint, model_from_checkpoint, CheckpointError, CHECKPOINT_FORMAT


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'cifar11'; known datasets: .*cifar10.*digits.*mnist.*shapes10"):
        load_dataset('cifar11')


def test_missing_data_root_names_layout_and_download_flag(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'MNIST/raw.*--download'):
        load_dataset('mnist', 'train', tmp_path)
    with pytest.raises(FileNotFoundError, match=r'cifar10-jpg/\{train,test\}.*--download'):
        load_dataset('cifar10', 'train', tmp_path)
    with pytest.raises(ValueError, match='pass a data root'):
        load_dataset('cifar10', 'train')


def test_cli_reports_missing_data_without_traceback(tmp_path):
    p = cli('reproduce', '--preset', 'cifar-mnist', '--out', tmp_path/'run', '--data-root', tmp_path, '--quiet', check=False)
    assert p.returncode == 2
    assert 'inadequate-nb: error:' in p.stderr and 'cifar10-jpg' in p.stderr and 'Traceback' not in p.stderr


def test_unknown_preset(tmp_path):
    p = cli('reproduce', '--preset', 'imagenet-in-5-minutes', '--out', tmp_path, check=False)
    assert p.returncode == 2 and 'known presets: quick, toy' in p.stderr


def _ckpt(path, width=4):
    save_checkpoint(path, CifarResNet18(num_classes=3, width=width), 'cifar_resnet18', {'width': width}, 3, epoch=1)
    return path


def test_truncated_checkpoint_names_the_file(tmp_path):
    p = _ckpt(tmp_path/'epoch_0001.pt')
    p.write_bytes(p.read_bytes()[: p.stat().st_size//2])
    with pytest.raises(CheckpointError, match='epoch_0001.pt is truncated or corrupt'):
        load_checkpoint(p)


def test_garbage_file_is_refused(tmp_path):
    p = tmp_path/'x.pt'; p.write_bytes(b'not a checkpoint at all')
    with pytest.raises(CheckpointError, match='x.pt'):
        load_checkpoint(p)


def test_checkpoint_of_another_architecture(tmp_path):
    c = load_checkpoint(_ckpt(tmp_path/'a.pt'))
    with pytest.raises(CheckpointError, match="'cifar_resnet18' checkpoint, but a 'resnet50' was expected"):
        model_from_checkpoint(c, arch='resnet50', path='a.pt')
    c['arch_kwargs'] = {'width': 8}  # same name, other shapes: the keys that disagree are listed
    with pytest.raises(CheckpointError, match=r'shape mismatches \[.stem.0.weight'):
        model_from_checkpoint(c, path='a.pt')


def test_pickle_carrying_code_is_refused_and_never_run(tmp_path):
    marker = tmp_path/'pwned'
    class Evil:
        def __reduce__(self): return (open, (str(marker), 'w'))
    torch.save({'format': CHECKPOINT_FORMAT, 'model': Evil()}, tmp_path/'evil.pt')
    with pytest.raises(CheckpointError, match='refused'):
        load_checkpoint(tmp_path/'evil.pt')
    assert not marker.exists()
