"""Foundation benchmarks, measured side by side in one run (the machine is shared: compare ratios, not seconds).

(a) pre-training images/s of our loop (whole dataset as one uint8 tensor, batched augmentation, channels-last)
    against a plain PyTorch reference loop (Dataset of PIL images, per-sample torchvision transforms, DataLoader),
    same model, batch size and data;
(b) achieved training GFLOP/s as a fraction of an fp32 matmul peak measured in the same run;
(c) the cost of one FE evaluation of a checkpoint (load, feature pass over the target training images the seeds draw
    and the test images, probe, result row) as a multiple of one forward pass over those images (MNIST-1000 as in
    cifar-mnist when --data-root has MNIST, else the embedded digits);
(d) the wall time of the `toy` preset (skip with --skip-toy).

Usage: .venv/bin/python benchmarks/bench_foundation.py [--images 2560] [--sizes 16 32] [--width 8] [--skip-toy]
"""
import argparse, tempfile, time
from pathlib import Path
import torch, torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode
from inadequate_nb.core import RunLayout
from inadequate_nb.data import load_dataset, to_geometry
from inadequate_nb.models import build_model, penultimate_features
from inadequate_nb.pretrain import PretrainConfig, pretrain
from inadequate_nb.transfer import TransferConfig, transfer_sweep, drawn_training_images
from inadequate_nb.experiments import load_experiment
from inadequate_nb.runner import run_experiment

ap = argparse.ArgumentParser()
ap.add_argument('--images', type=int, default=2560, help='source images per timed epoch')
ap.add_argument('--sizes', type=int, nargs='+', default=[16, 32], help='image sides for (a) and (b): 16 is the toy preset, 32 cifar-mnist')
ap.add_argument('--size', type=int, default=32, help='image side for (c)')
ap.add_argument('--width', type=int, default=8, help='ResNet-18 width')
ap.add_argument('--batch', type=int, default=128)
ap.add_argument('--epochs', type=int, default=2, help='timed epochs per loop')
ap.add_argument('--skip-toy', action='store_true')
ap.add_argument('--data-root', default=str(Path(__file__).resolve().parent.parent.parent/'shared'/'data'), help='MNIST for (c), if there')
a = ap.parse_args()
torch.manual_seed(0)
print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; ResNet-18 width {a.width}, batch {a.batch}')

def ours(src, cfg):
    with tempfile.TemporaryDirectory() as d:
        t0 = time.time(); pretrain(cfg, src, src, Path(d)/'t', progress=False)
        return a.epochs*(len(src)//a.batch)*a.batch/(time.time() - t0)


def reference(src, size, workers):
    "The plain PyTorch loop: a Dataset of PIL images, per-sample torchvision transforms, a DataLoader."
    import torchvision.transforms as T
    from PIL import Image
    tf = T.Compose([T.RandomCrop(size, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.5,)*3, (0.25,)*3)])
    class DS(torch.utils.data.Dataset):
        def __init__(self): self.pil = [Image.fromarray(x.permute(1, 2, 0).numpy()) for x in src.images]
        def __len__(self): return len(self.pil)
        def __getitem__(self, i): return tf(self.pil[i]), int(src.labels[i])
    dl = torch.utils.data.DataLoader(DS(), batch_size=a.batch, shuffle=True, drop_last=True, num_workers=workers)
    model = build_model('cifar_resnet18', 10, width=a.width)
    model.normalise = torch.nn.Identity()  # the reference normalises in its transforms
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    model.train(); n = 0; t0 = time.time()
    for _ in range(a.epochs):
        for x, y in dl:
            loss = F.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step(); n += len(y)
    return n/(time.time() - t0)


def model_only(size, steps=40):
    "Training steps on one pre-made batch: no data handling at all, the ceiling of any loop with this model."
    model = build_model('cifar_resnet18', 10, width=a.width).to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randint(0, 255, (a.batch, 3, size, size), dtype=torch.uint8).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (a.batch,))
    for i in range(steps + 3):
        if i == 3: t0 = time.time()
        loss = F.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step()
    return steps*a.batch/(time.time() - t0)


def train_step_flops(size):
    model = build_model('cifar_resnet18', 10, width=a.width).train()
    x = torch.randint(0, 255, (a.batch, 3, size, size), dtype=torch.uint8); y = torch.randint(0, 10, (a.batch,))
    with FlopCounterMode(display=False) as fc:
        F.cross_entropy(model(x), y).backward()
    return fc.get_total_flops()/a.batch


def matmul_peak(n=2048, reps=10):
    x, y = torch.randn(n, n), torch.randn(n, n); x @ y
    t0 = time.time()
    for _ in range(reps): x @ y
    return 2*n**3*reps/(time.time() - t0)


peak = matmul_peak()
for size in a.sizes:
    src = load_dataset('shapes10', 'train', n_train=a.images, size=size)
    cfg = PretrainConfig(arch_kwargs={'width': a.width}, epochs=a.epochs, save_epochs=[], batch_size=a.batch, lr=0.05, flip=True, crop_pad=4)
    ours(src, cfg)  # warm-up
    ip_ours = ours(src, cfg); ip_ref0 = reference(src, size, 0); ip_ref2 = reference(src, size, 2)
    ip_ours = max(ip_ours, ours(src, cfg)); ref = max(ip_ref0, ip_ref2)
    print(f'(a) {size}px pre-training: ours {ip_ours:.0f} img/s; reference DataLoader + per-sample transforms {ip_ref0:.0f} img/s '
          f'(0 workers), {ip_ref2:.0f} img/s (2 workers); ours / faster reference = {ip_ours/ref:.2f}x (target >= 2x)')
    ceiling = max(model_only(size), model_only(size))  # best of two, as for ours
    print(f'(a) {size}px ceiling: the model alone (one pre-made batch, no data handling) trains {ceiling:.0f} img/s, so no data '
          f'pipeline can beat the reference by more than {ceiling/ref:.2f}x here; ours reaches {ip_ours/ceiling:.0%} of the ceiling')
    flops = train_step_flops(size)
    print(f'(b) {size}px training cost {flops/1e9:.4f} GFLOP per image (forward + backward); achieved {ip_ours*flops/1e9:.1f} GFLOP/s; '
          f'fp32 matmul peak in this run {peak/1e9:.1f} GFLOP/s; fraction {ip_ours*flops/peak:.3f}')

# (c) FE cost of one checkpoint against one forward pass over the images that evaluation uses
def fe_target():
    "The cifar-mnist target (MNIST-1000 from 60,000, all 10,000 test) if the data is there, else the embedded digits."
    root = Path(a.data_root)
    if (root/'MNIST'/'raw').is_dir():
        return load_dataset('mnist', 'train', root), load_dataset('mnist', 'test', root), 100
    return load_dataset('digits', 'train'), load_dataset('digits', 'test'), 60

with tempfile.TemporaryDirectory() as d:
    src = load_dataset('shapes10', 'train', n_train=a.images, size=a.size)
    traj = pretrain(PretrainConfig(arch_kwargs={'width': a.width}, epochs=1, save_epochs=[1], batch_size=a.batch), src, src, Path(d)/'t', progress=False)
    full, test, n = fe_target()
    full, test = (to_geometry(x, *traj.geometry) for x in (full, test))  # done once per run, not per checkpoint
    used, _ = drawn_training_images(full, n, [0])
    model = traj.load(1); penultimate_features(model, test.images[:512])  # warm-up
    def forward():
        t0 = time.time(); penultimate_features(model, used.images); penultimate_features(model, test.images); return time.time() - t0
    def evaluation(protocol, i):
        cfg = TransferConfig(n_per_class=n, seeds=[0], fe_protocols=[protocol], ft_seeds=0)
        t0 = time.time(); transfer_sweep(traj, full, test, cfg, RunLayout(Path(d)/f'{protocol}{i}'), checkpoints=[1], progress=False)
        return time.time() - t0
    for protocol in ('logistic', 'softmax'):  # interleaved, best of two each: the machine is shared
        fwd, fe = forward(), evaluation(protocol, 0)
        fwd, fe = min(fwd, forward()), min(fe, evaluation(protocol, 1))
        print(f'(c) FE ({protocol} probe) of one checkpoint on {full.key.split("/")[0]} ({len(used)} drawn of {len(full)} train + '
              f'{len(test)} test images; checkpoint load, feature pass, probe, result row): {fe:.2f} s; one forward pass over '
              f'those images: {fwd:.2f} s; ratio {fe/fwd:.2f}x (target <= 1.5x)')

if not a.skip_toy:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.time(); run_experiment(load_experiment('toy'), d, progress=False)
        print(f'(d) toy preset end to end (pre-training, FE over 3 seeds x 2 protocols, FT, figure): {time.time() - t0:.0f} s')
