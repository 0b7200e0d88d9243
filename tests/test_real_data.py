"The real loaders on ../shared/data (MNIST IDX files, CIFAR-10 JPEG folders), read-only."
import pytest, torch
from conftest import SHARED_DATA
from inadequate_nb.data import load_dataset, to_geometry, per_class_subset

needs_data = pytest.mark.skipif(not (SHARED_DATA/'MNIST').is_dir(), reason=f'real data not at {SHARED_DATA}: CI always has it')


@needs_data
def test_mnist_from_idx_files():
    tr, te = load_dataset('mnist', 'train', SHARED_DATA), load_dataset('mnist', 'test', SHARED_DATA)
    assert tr.images.shape == (60000, 1, 28, 28) and te.images.shape == (10000, 1, 28, 28)
    assert torch.bincount(tr.labels).min() > 5000
    sub = to_geometry(per_class_subset(tr, 100, seed=0), 32, 3)  # the paper's MNIST-1000 in the source's geometry
    assert sub.images.shape == (1000, 3, 32, 32) and torch.bincount(sub.labels).tolist() == [100]*10


@needs_data
def test_cifar10_from_jpeg_folders_is_decoded_once(tmp_path, monkeypatch):
    monkeypatch.setenv('INADEQUATE_NB_CACHE', str(tmp_path))
    te = load_dataset('cifar10', 'test', SHARED_DATA)
    assert te.images.shape == (10000, 3, 32, 32) and te.images.dtype == torch.uint8
    assert te.classes[:3] == ['airplane', 'automobile', 'bird'] and torch.bincount(te.labels).tolist() == [1000]*10
    assert len(list(tmp_path.glob('folder-*.pt'))) == 1
    again = load_dataset('cifar10', 'test', SHARED_DATA)  # from the cache
    assert torch.equal(again.images, te.images)
