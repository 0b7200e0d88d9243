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


@needs_data
def test_mnistm_is_mnist_over_cifar_photographs(tmp_path, monkeypatch):
    "The derived MNIST-M-like target: MNIST's labels, each digit blended with a seeded CIFAR-10 image of the same split."
    import torch.nn.functional as F
    from inadequate_nb.data import blend_digits
    monkeypatch.setenv('INADEQUATE_NB_CACHE', str(tmp_path))
    m, digits, photos = (load_dataset(n, 'test', SHARED_DATA) for n in ('mnistm', 'mnist', 'cifar10'))
    assert m.images.shape == (10000, 3, 32, 32) and torch.equal(m.labels, digits.labels) and m.classes == digits.classes
    x, which = blend_digits(F.pad(digits.images, (2, 2, 2, 2)), photos.images, seed=1)  # the test split's stream of seed 0
    assert torch.equal(x, m.images)
    border = m.images[:, :, 0, :]  # the padding row: the photograph itself (maybe mirrored)
    p = photos.images[which][:, :, 0, :]
    assert (torch.equal(border[0], p[0]) or torch.equal(border[0], p[0].flip(-1)))
    assert not torch.equal(load_dataset('mnistm', 'test', SHARED_DATA, seed=1).images, m.images)  # another seed, other photographs


@needs_data
def test_some_classes_of_cifar10_relabelled(tmp_path, monkeypatch):
    monkeypatch.setenv('INADEQUATE_NB_CACHE', str(tmp_path))
    te = load_dataset('cifar10', 'test', SHARED_DATA, classes=['truck', 'cat'])
    assert te.classes == ['truck', 'cat'] and torch.bincount(te.labels).tolist() == [1000, 1000] and len(te) == 2000
    with pytest.raises(ValueError, match=r"'kat' is not a class of cifar10 \(its classes: airplane, automobile, bird"):
        load_dataset('cifar10', 'test', SHARED_DATA, classes=['kat'])
