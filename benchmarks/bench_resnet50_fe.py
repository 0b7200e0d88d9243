"""The feature pass of a ResNet-50 trajectory at 224 pixels on this CPU, and what it implies for the paper's full sweep.

A 3-checkpoint ResNet-50 trajectory (torchvision state dicts, imported with `import_trajectory`) is run over a
balanced subset of CIFAR-10 test images from ../shared/data (decoded once, cached), upsampled to 224 x 224, through
`FeatureCache.get` (the code path of every FE measurement): penultimate features and source logits, batch 64.
After one untimed warm-up batch, the images/s of the timed passes are printed (mean and spread over the 3
checkpoints), and the estimate they imply for the paper's ResNet-50 sweep (Figure 2):

  feature passes = checkpoints x (train + test images of the nine targets)
  FT passes      = checkpoints x FT epochs x train images x 3 (forward + backward ~ 3 forward passes)

divided by an images/s rate. The CPU rate is measured here; one GPU's rate cannot be measured in this session (no
GPU is available to it), so it is **assumed**: --gpu-rate (default 2,500 images/s, a bfloat16 channels-last eager
PyTorch ResNet-50 forward pass on one A100/H100-class GPU, a conservative figure; pass your own measured number).

Usage: .venv/bin/python benchmarks/bench_resnet50_fe.py [--per-class 8] [--batch 64] [--gpu-rate 2500]
"""
import argparse, os, statistics, tempfile, time
from pathlib import Path
import torch, torchvision
from inadequate_nb.core import file_sha256
from inadequate_nb.data import load_dataset, per_class_subset, to_geometry
from inadequate_nb.transfer import FeatureCache
from inadequate_nb.importing import import_trajectory
from inadequate_nb.experiments import load_experiment
import inadequate_nb.datasets  # noqa: F401 (registers the datasets)

ROOT = Path(__file__).resolve().parent.parent.parent/'shared'/'data'
# (train, test) images of the paper's nine targets, by their standard splits (the readers' descriptions)
TARGET_SIZES = {'cifar10': (50000, 10000), 'cifar100': (50000, 10000), 'food101': (75750, 25250), 'aircraft': (6667, 3333),
                'cars': (8144, 8041), 'cub200': (5994, 5794), 'flowers102': (2040, 6149), 'indoor67': (5360, 1340), 'mura': (36808, 3197)}

ap = argparse.ArgumentParser()
ap.add_argument('--per-class', type=int, default=8, help='CIFAR-10 test images per class (10 classes)')
ap.add_argument('--batch', type=int, default=64, help='images per forward pass')
ap.add_argument('--gpu-rate', type=float, default=2500.0, help='ASSUMED images/s of one GPU for the ResNet-50 forward pass at 224')
ap.add_argument('--data-root', default=str(ROOT))
a = ap.parse_args()
torch.manual_seed(0)
print(f'torch {torch.__version__}, {torch.get_num_threads()} CPU threads, no GPU used; load average at start {os.getloadavg()[0]:.1f} '
      f'on {os.cpu_count()} cores (the machine is shared: images per CPU-second is the steadier figure)')

data = to_geometry(per_class_subset(load_dataset('cifar10', 'test', a.data_root), a.per_class, seed=0), 224, 3)
print(f'{len(data)} CIFAR-10 test images at {tuple(data.images.shape[1:])} ({data.key})')

with tempfile.TemporaryDirectory() as d:
    d = Path(d); (d/'ckpts').mkdir()
    for e in (10, 50, 90): torch.save(torchvision.models.resnet50().state_dict(), d/'ckpts'/f'resnet50_epoch_{e}.pth')
    traj = import_trajectory(d/'ckpts', d/'traj', 'resnet50', progress=False)
    cache = FeatureCache(d/'features', batch_size=a.batch)
    warm = traj.load(traj.epochs[0])
    with torch.no_grad(): warm.features(data.images[:a.batch])                       # warm-up, untimed
    rates, cpu_rates = [], []
    for e in traj.epochs:
        model = traj.load(e)
        t0, c0 = time.perf_counter(), time.process_time(); out = cache.get(traj, e, data, model)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        assert out['features'].shape == (len(data), 2048) and out['logits'].shape == (len(data), 1000)
        rates.append(len(data)/dt); cpu_rates.append(len(data)/dc)
    assert cache.computed == 3

cpu = statistics.mean(rates); sd = statistics.stdev(rates)
print(f'feature pass (FeatureCache.get, batch {a.batch}): {cpu:.1f} images/s (sd {sd:.1f} over {len(rates)} checkpoints: '
      f"{', '.join(f'{r:.1f}' for r in rates)}); {statistics.mean(cpu_rates):.2f} images per CPU-second; "
      f'load average at the end {os.getloadavg()[0]:.1f}')

p = load_experiment('paper-resnet50')
ckpts, ft = len(p.pretrain.save_epochs), p.transfer.ft
train, test = sum(s[0] for s in TARGET_SIZES.values()), sum(s[1] for s in TARGET_SIZES.values())
fe_images = ckpts*(train + test)
ft_images = ckpts*p.transfer.ft_seeds*ft.epochs*train*3
print(f'\nThe paper sweep ({p.name}): {ckpts} checkpoints x 9 targets ({train:,} train + {test:,} test images per checkpoint)')
print(f'  FE feature passes: {fe_images:,} images;  FT ({ft.epochs} epochs, {p.transfer.ft_seeds} seed): {ft_images:,} forward-pass equivalents')
for name, rate in (('this CPU (measured)', cpu), (f'one GPU (ASSUMED {a.gpu_rate:,.0f} images/s)', a.gpu_rate)):
    print(f'  on {name}: FE features {fe_images/rate/3600:,.1f} h, FT {ft_images/rate/3600:,.0f} h, total {(fe_images + ft_images)/rate/3600:,.0f} h')
print('  (the probes on cached features, the decoding of the targets once, and the 90-epoch ImageNet pre-training '
      f'- {90*1_281_167*3:,} forward-pass equivalents - are not included)')
