"""Every dataset reader on a tiny fixture that the test writes in that dataset's real on-disk layout.

Each image of class c is a constant image of grey level 20*c + 10 (sizes vary), so after decoding, resizing and
cropping its mean pixel says which class the reader gave it: a file paired with the wrong label is caught."""
import argparse, csv, json, pickle, struct
from pathlib import Path
import numpy as np, pytest, torch
from scipy.io import savemat
from PIL import Image
from inadequate_nb.data import load_dataset, DATASETS
import inadequate_nb.datasets as D

SIZES = [(40, 30), (24, 52), (33, 33)]  # (H, W): not square, not the output size


def level(c): return 20*c + 10


def img(path, c, i, png=False, size=None):
    "A constant image of class c's grey level: gray PNG (as MURA's) or RGB JPEG, of the i-th fixture size."
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = size or SIZES[i % len(SIZES)]
    (Image.new('L', (w, h), level(c)) if png else Image.new('RGB', (w, h), (level(c),)*3)).save(path, format='PNG' if png else 'JPEG')


def check(d, labels, classes, size=16):
    assert d.images.shape == (len(labels), 3, size, size) and d.images.dtype == torch.uint8
    assert d.labels.tolist() == labels and d.classes == classes
    means = d.images.float().mean((1, 2, 3))
    assert torch.allclose(means, torch.tensor([float(level(c)) for c in labels]), atol=2.5), (means, labels)


# --- builders: each writes the dataset's own files -------------------------------------------------------------

def make_cub(root):
    b = root/'CUB_200_2011'; rows = [(1, 1, 1), (2, 1, 0), (3, 2, 1), (4, 2, 0), (5, 3, 1)]  # id, class, is_train
    names = {1: '001.Black_footed_Albatross', 2: '002.Laysan_Albatross', 3: '003.Sooty_Albatross'}
    for i, c, _ in rows: img(b/'images'/names[c]/f'img_{i}.jpg', c - 1, i)
    (b/'images.txt').write_text(''.join(f'{i} {names[c]}/img_{i}.jpg\n' for i, c, _ in rows))
    (b/'image_class_labels.txt').write_text(''.join(f'{i} {c}\n' for i, c, _ in rows))
    (b/'train_test_split.txt').write_text(''.join(f'{i} {t}\n' for i, _, t in rows))
    (b/'classes.txt').write_text(''.join(f'{k} {v}\n' for k, v in names.items()))


def make_indoor(root):
    b = root/'indoor67'; train, test = [], []
    for c, name in enumerate(['airport_inside', 'bakery', 'kitchen']):
        for i in range(2):
            img(b/'Images'/name/f'{name}_{i}.jpg', c, i); (train if i == 0 else test).append(f'{name}/{name}_{i}.jpg')
    (b/'TrainImages.txt').write_text('\n'.join(train) + '\n'); (b/'TestImages.txt').write_text('\n'.join(test) + '\n')


def make_mura(root):
    b = root/'MURA-v1.1'
    for split in ('train', 'valid'):
        studies, paths = [], []
        for p, (part, lab) in enumerate([('XR_SHOULDER', 1), ('XR_WRIST', 0), ('XR_HAND', 1)]):
            study = f'MURA-v1.1/{split}/{part}/patient{p:05d}/study1_{"positive" if lab else "negative"}/'
            studies.append((study, lab))
            for j in range(2 if p != 1 else 1):
                paths.append(study + f'image{j + 1}.png'); img(root/paths[-1], lab, j, png=True)  # gray PNGs, as MURA's
        with open(b/f'{split}_labeled_studies.csv', 'w', newline='') as f: csv.writer(f).writerows(studies)
        (b/f'{split}_image_paths.csv').write_text('\n'.join(paths) + '\n')


def make_food(root, fmt='json'):
    b = root/'food-101'; classes = ['apple_pie', 'baby_back_ribs']
    split = {'train': {c: [f'{c}/{100 + i}' for i in range(2)] for c in classes}, 'test': {c: [f'{c}/{200}'] for c in classes}}
    for s in split.values():
        for c, rs in s.items():
            for i, r in enumerate(rs): img(b/'images'/f'{r}.jpg', classes.index(c), i)
    (b/'meta').mkdir(parents=True, exist_ok=True); (b/'meta'/'classes.txt').write_text('\n'.join(classes) + '\n')
    for k, v in split.items():
        if fmt == 'json': (b/'meta'/f'{k}.json').write_text(json.dumps(v))
        else: (b/'meta'/f'{k}.txt').write_text(''.join(f'{r}\n' for rs in v.values() for r in rs))


def make_aircraft(root):
    d = root/'fgvc-aircraft-2013b'/'data'; variants = ['707-320', 'A300B4', 'Cessna 172']
    (d/'images').mkdir(parents=True); (d/'variants.txt').write_text('\n'.join(variants) + '\n')
    rows = {'trainval': [('0034309', 0), ('0034958', 2), ('0037511', 1)], 'test': [('1025794', 2), ('1340192', 0)]}
    for split, rs in rows.items():
        for i, (n, c) in enumerate(rs): img(d/'images'/f'{n}.jpg', c, i)
        (d/f'images_variant_{split}.txt').write_text(''.join(f'{n} {variants[c]}\n' for n, c in rs))


def make_cars(root):
    b = root/'stanford_cars'; (b/'devkit').mkdir(parents=True)
    names = np.array(['AM General Hummer SUV 2000', 'Acura RL Sedan 2012', 'Audi TT RS Coupe 2012'], dtype=object)
    savemat(b/'devkit'/'cars_meta.mat', {'class_names': names.reshape(1, -1)})
    dt = [('bbox_x1', 'O'), ('bbox_y1', 'O'), ('bbox_x2', 'O'), ('bbox_y2', 'O'), ('class', 'O'), ('fname', 'O')]
    for folder, mat, rows in [('cars_train', b/'devkit'/'cars_train_annos.mat', [('00001.jpg', 3), ('00002.jpg', 1), ('00003.jpg', 2)]),
                              ('cars_test', b/'cars_test_annos_withlabels.mat', [('00001.jpg', 1), ('00002.jpg', 3)])]:
        for i, (f, c) in enumerate(rows): img(b/folder/f, c - 1, i)
        a = np.array([(1, 2, 30, 20, c, f) for f, c in rows], dtype=dt).reshape(1, -1)
        savemat(mat, {'annotations': a})


def make_flowers(root):
    b = root/'flowers-102'; labels = [1, 2, 1, 3, 2, 3, 1]  # image ids 1..7 (labels 1-based)
    for i, c in enumerate(labels, 1): img(b/'jpg'/f'image_{i:05d}.jpg', c - 1, i)
    savemat(b/'imagelabels.mat', {'labels': np.array([labels])})
    savemat(b/'setid.mat', {'trnid': np.array([[1, 2]]), 'valid': np.array([[4]]), 'tstid': np.array([[3, 5, 6, 7]])})


def make_imagenet(root):
    b = root/'imagenet'
    for split, n in (('train', 2), ('val', 1)):
        for c, w in enumerate(['n01440764', 'n01443537']):
            for i in range(n): img(b/split/w/f'{w}_{i}.JPEG', c, i)
    (b/'LOC_synset_mapping.txt').write_text('n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\n')


def make_cifar100(root):
    b = root/'cifar-100-python'; b.mkdir(parents=True)
    for split, labs in (('train', [0, 2, 1, 2]), ('test', [1, 0])):
        data = np.stack([np.full(3072, level(c), np.uint8) for c in labs])
        with open(b/split, 'wb') as f:
            pickle.dump({'data': data, 'fine_labels': labs, 'coarse_labels': [0]*len(labs), 'filenames': [b'x.png']*len(labs)}, f)
    with open(b/'meta', 'wb') as f: pickle.dump({'fine_label_names': ['apple', 'aquarium_fish', 'baby'], 'coarse_label_names': ['fruit']}, f)


def make_mnist(root):
    r = root/'MNIST'/'raw'; r.mkdir(parents=True)
    for prefix, labs in (('train', [3, 1, 4]), ('t10k', [1, 5])):
        x = np.stack([np.full((28, 28), level(c), np.uint8) for c in labs])
        (r/f'{prefix}-images-idx3-ubyte').write_bytes(struct.pack('>IIII', 2051, len(labs), 28, 28) + x.tobytes())
        (r/f'{prefix}-labels-idx1-ubyte').write_bytes(struct.pack('>II', 2049, len(labs)) + bytes(labs))


def make_cifar10_jpg(root):
    for split, labs in (('train', [0, 1, 1]), ('test', [1, 0])):
        for i, c in enumerate(labs): img(root/'cifar10-jpg'/split/['airplane', 'automobile'][c]/f'{i:04d}.jpg', c, i, size=(32, 32))


BUILDERS = {'cub200': make_cub, 'indoor67': make_indoor, 'mura': make_mura, 'food101': make_food, 'aircraft': make_aircraft,
            'cars': make_cars, 'flowers102': make_flowers, 'imagenet': make_imagenet, 'cifar100': make_cifar100,
            'mnist': make_mnist, 'cifar10': make_cifar10_jpg}


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp('data')
    for make in BUILDERS.values(): make(r)
    return r


def load(name, split, root, **kw): return load_dataset(name, split, root, size=16, workers=0, **kw)


def test_cub200(root):
    names = ['Black_footed_Albatross', 'Laysan_Albatross', 'Sooty_Albatross']
    check(load('cub200', 'train', root), [0, 1, 2], names); check(load('cub200', 'test', root), [0, 1], names)


def test_indoor67(root):
    check(load('indoor67', 'train', root), [0, 1, 2], ['airport_inside', 'bakery', 'kitchen'])
    check(load('indoor67', 'test', root), [0, 1, 2], ['airport_inside', 'bakery', 'kitchen'])


def test_mura_study_level_labels(root):
    tr = load('mura', 'train', root)
    check(tr, [1, 1, 0, 1, 1], ['normal', 'abnormal'])       # every image carries its study's label
    assert tr.attributes['study'].tolist() == [1, 1, 2, 0, 0]  # studies indexed in sorted order of their folders
    assert [D.MURA_BODY_PARTS[i] for i in tr.attributes['body_part'].tolist()] == ['XR_SHOULDER']*2 + ['XR_WRIST'] + ['XR_HAND']*2
    check(load('mura', 'test', root), [1, 1, 0, 1, 1], ['normal', 'abnormal'])  # the valid split


def test_food101_json_and_txt(root, tmp_path):
    check(load('food101', 'train', root), [0, 0, 1, 1], ['apple_pie', 'baby_back_ribs'])
    check(load('food101', 'test', root), [0, 1], ['apple_pie', 'baby_back_ribs'])
    make_food(tmp_path, 'txt'); check(load('food101', 'train', tmp_path), [0, 0, 1, 1], ['apple_pie', 'baby_back_ribs'])


def test_aircraft_variant_level(root):
    v = ['707-320', 'A300B4', 'Cessna 172']
    check(load('aircraft', 'train', root), [0, 2, 1], v); check(load('aircraft', 'test', root), [2, 0], v)


def test_stanford_cars(root):
    names = ['AM General Hummer SUV 2000', 'Acura RL Sedan 2012', 'Audi TT RS Coupe 2012']
    check(load('cars', 'train', root), [2, 0, 1], names); check(load('cars', 'test', root), [0, 2], names)


def test_flowers102_train_is_trn_plus_val(root):
    tr, te = load('flowers102', 'train', root), load('flowers102', 'test', root)
    assert tr.classes[:2] == ['pink primrose', 'hard-leaved pocket orchid'] and len(tr.classes) == 102
    check(tr, [0, 1, 2], tr.classes); check(te, [0, 1, 2, 0], te.classes)


def test_imagenet_folder_and_streaming(root):
    tr = load('imagenet', 'train', root)
    check(tr, [0, 0, 1, 1], ['tench', 'goldfish']); check(load('imagenet', 'test', root), [0, 1], ['tench', 'goldfish'])
    fl = D.image_files('imagenet', 'train', root)              # the streaming path: files, decoded per item
    ds = D.ImageFileDataset(fl, D.train_transform(24))
    x, y = ds[3]; assert x.shape == (3, 24, 24) and x.dtype == torch.uint8 and y == 1
    batch = next(iter(torch.utils.data.DataLoader(D.ImageFileDataset(fl, D.eval_transform(16)), batch_size=4)))
    assert torch.equal(batch[0], tr.images)                    # streamed eval images = the decoded tensor
    with pytest.raises(ValueError, match='stream the files'):
        load('imagenet', 'train', root, max_gib=1e-9)         # too large for memory: says how to stream instead


def test_cifar100_pickles(root):
    names = ['apple', 'aquarium_fish', 'baby']
    tr = load_dataset('cifar100', 'train', root)
    assert tr.images.shape == (4, 3, 32, 32) and tr.labels.tolist() == [0, 2, 1, 2] and tr.classes == names
    assert torch.allclose(tr.images.float().mean((1, 2, 3)), torch.tensor([10., 50, 30, 50]))
    assert load_dataset('cifar100', 'test', root).labels.tolist() == [1, 0]
    assert load_dataset('cifar100', 'train', root, label='coarse').classes == ['fruit']


def test_existing_mnist_and_cifar10(root):
    m = load_dataset('mnist', 'train', root)
    assert m.labels.tolist() == [3, 1, 4] and torch.allclose(m.images.float().mean((1, 2, 3)), torch.tensor([70., 30, 90]))
    c = load_dataset('cifar10', 'test', root)
    assert c.labels.tolist() == [0, 1] and c.classes == ['airplane', 'automobile']


def test_per_class_subset_decodes_only_the_subset(root):
    d = load('food101', 'train', root, n_per_class=1, seed=0)
    assert d.labels.tolist() == [0, 1] and '/per_class1/seed0' in d.key
    with pytest.raises(ValueError, match='fewer than the 3'): load('food101', 'train', root, n_per_class=3)


@pytest.mark.parametrize('name', sorted(BUILDERS))
def test_missing_dataset_names_layout_and_source(name, tmp_path):
    with pytest.raises(FileNotFoundError) as e: load_dataset(name, 'train', tmp_path)
    msg = str(e.value)
    assert str(tmp_path) in msg
    if name in D.SOURCES: assert DATASETS[name].layout in msg and D.SOURCES[name] in msg


def test_datasets_listing(root, tmp_path, capsys):
    table = '\n'.join(D.datasets_table(root))
    for name in BUILDERS:
        line = next(l for l in table.splitlines() if l.startswith(name + ' '))
        assert ' found' in line, line
    assert 'imagefolder' in table and 'embedded' in table
    empty = '\n'.join(D.datasets_table(tmp_path))
    assert 'Not found (layout expected under the data root):' in empty and 'CUB_200_2011/{images.txt' in empty
    from inadequate_nb.cli import main
    assert main(['datasets', '--data-root', str(root)]) == 0
    out = capsys.readouterr().out
    assert 'cub200       found (3 train / 2 test)' in out and 'mura         found (5 train / 5 test)' in out
