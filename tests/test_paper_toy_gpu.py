"The time-boxed GPU script's parts that run anywhere: the data pack (byte-exact round trip), the FT job order, the whole flow on a CPU."
import gzip, importlib.util, io
import numpy as np, pytest
from PIL import Image
from conftest import ROOT

spec = importlib.util.spec_from_file_location('paper_toy_gpu', ROOT/'benchmarks'/'paper_toy_gpu.py')
ptg = importlib.util.module_from_spec(spec); spec.loader.exec_module(ptg)


def test_spread_covers_the_range_first():
    xs = [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40, 43]
    order = ptg.spread(xs)
    assert sorted(order) == xs and order[:3] == [0, 43, 6]  # ends, then the middle
    assert ptg.spread([5]) == [5] and ptg.spread([1, 2]) == [1, 2]


def _idx(path, magic, dims, data):
    header = np.array([0, 0, magic, len(dims)], np.uint8).tobytes() + b''.join(int(d).to_bytes(4, 'big') for d in dims)
    path.write_bytes(header + data.tobytes())


def test_pack_round_trip(tmp_path):
    root, rng = tmp_path/'data', np.random.default_rng(0)
    for split in ('train', 'test'):
        for c in ('cat', 'dog'):
            (root/'cifar10-jpg'/split/c).mkdir(parents=True)
            for i in range(3):
                Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(root/'cifar10-jpg'/split/c/f'{i:04d}.jpg')
    raw = root/'MNIST'/'raw'; raw.mkdir(parents=True)
    labels = np.repeat(np.arange(10, dtype=np.uint8), 200)  # 200 per digit: the three 100-per-digit draws leave some out
    train = rng.integers(1, 255, (len(labels), 28, 28), dtype=np.uint8)
    _idx(raw/'train-images-idx3-ubyte', 8, (len(labels), 28, 28), train)
    _idx(raw/'train-labels-idx1-ubyte', 8, (len(labels),), labels)
    _idx(raw/'t10k-images-idx3-ubyte', 8, (20, 28, 28), train[:20])
    _idx(raw/'t10k-labels-idx1-ubyte', 8, (20,), labels[:20])
    ptg.pack(root, tmp_path/'pack')
    out = tmp_path/'unpacked'; ptg.unpack(tmp_path/'pack', out)
    for p in (root/'cifar10-jpg').rglob('*.jpg'):  # the JPEG files come back byte for byte
        assert (out/p.relative_to(root)).read_bytes() == p.read_bytes()
    for f in ('train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        assert (out/'MNIST'/'raw'/f).read_bytes() == (raw/f).read_bytes()
    back = np.frombuffer((out/'MNIST'/'raw'/'train-images-idx3-ubyte').read_bytes()[16:], np.uint8).reshape(-1, 28, 28)
    kept = back.reshape(len(back), -1).any(1)
    assert 0 < (~kept).sum() < len(back) and (back[kept] == train[kept]).all()  # subset images intact, the rest zeroed


def test_unpack_refuses_a_corrupt_pack(tmp_path):
    root = tmp_path/'data'
    (root/'cifar10-jpg'/'train'/'a').mkdir(parents=True)
    for i in range(2): Image.new('RGB', (32, 32), (i*50, 0, 0)).save(root/'cifar10-jpg'/'train'/'a'/f'{i}.jpg')
    z = dict(np.load(ptg_pack_cifar_only(root, tmp_path/'pack')))
    z['data'] = z['data'].copy(); z['data'][-1] ^= 0xFF
    np.savez(tmp_path/'pack'/'cifar10-jpg.npz', **z)
    try: ptg.unpack(tmp_path/'pack', tmp_path/'out')
    except ValueError as e: assert 'checksum' in str(e)
    else: raise AssertionError('a corrupt pack was unpacked without complaint')


def ptg_pack_cifar_only(root, to):
    "Only the CIFAR part of `pack` (the fixture has no MNIST)."
    to.mkdir(parents=True, exist_ok=True)
    ptg.pack_cifar(root, to)
    return to/'cifar10-jpg.npz'


@pytest.mark.parametrize('overlap', ['--overlap', '--no-overlap'])
def test_run_on_cpu_writes_every_table(tmp_path, overlap):
    "The whole time-boxed flow on the quick preset: pre-training, then FE, spectral, scores and FT by worker processes."
    import json, subprocess, sys, tarfile
    import pandas as pd
    out, report = tmp_path/'run', tmp_path/'report'
    subprocess.run([sys.executable, str(ROOT/'benchmarks'/'paper_toy_gpu.py'), 'run', '--preset', 'quick', '--device', 'cpu',
                    '--out', str(out), '--report', str(report), '--budget', '150', '--reserve', '60', '--workers', '2',
                    '--ft-estimate', '10', overlap], check=True, env={**__import__('os').environ, 'PYTHONPATH': str(ROOT)}, timeout=300)
    t = json.loads((report/'timings.json').read_text())
    epochs = json.loads((report/'manifest.json').read_text())['config']['save_epochs']
    assert t['epochs'] == 3 and epochs == [0, 1, 3] and not t['unfinished'] and not t['skipped'] and not t['failed']
    df = pd.read_csv(report/'results.csv')
    for mode in ('fe_softmax', 'fe_logistic', 'ft'): assert sorted(df[df['mode'] == mode].epoch.unique()) == epochs, mode
    with tarfile.open(report/'run.tar.gz') as tar:
        names = set(tar.getnames())
        assert {'run/spectral.csv', 'run/assess.csv', 'run/results.csv', 'run/trajectory/manifest.json'} <= names
        assert not [n for n in names if n.endswith('.pt')]  # no checkpoints or features travel
        spectral = pd.read_csv(tar.extractfile('run/spectral.csv'))
    assert sorted(spectral.epoch.unique()) == epochs


def test_a_failing_job_does_not_stop_the_worker(tmp_path):
    "A job that raises is marked .failed, and the worker goes on to the next job."
    import argparse, time
    from inadequate_nb.core import RunLayout
    from inadequate_nb.pretrain import pretrain
    from inadequate_nb.experiments import load_experiment
    from inadequate_nb.runner import load_source
    preset, layout = load_experiment('quick'), RunLayout(tmp_path/'run')
    pretrain(preset.pretrain, *load_source(preset), layout.trajectory, progress=False)
    jobs = tmp_path/'run'/'jobs'; jobs.mkdir()
    ptg.post(jobs, 'fe', 99)  # no checkpoint at epoch 99: the job raises
    ptg.post(jobs, 'assess', 3)  # needs FE's features: computes them itself
    (jobs/'ALL_POSTED').touch()
    ptg.worker(argparse.Namespace(out=str(tmp_path/'run'), data_root=None, deadline=time.time() + 120, threads=1, nice=0,
                                  preset='quick', device='cpu', ft_estimate=10))
    assert [p.suffix for p in sorted(jobs.glob('1fe_*'))] == ['.failed'] and [p.suffix for p in jobs.glob('4assess_*')] == ['.done']
    assert (layout.root/'cache'/'assess-rows').is_dir()
