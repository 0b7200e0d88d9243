#!/usr/bin/env python
"""Images per second of fine-tuning K networks one after another (`fine_tune`) and side by side
(`fine_tune_together`), measured in the same run, alternately, on the same data and threads.

The networks are K checkpoints of a pre-training run of the toy's recipe (CIFAR ResNet-18 of width 8 on shapes10 at
16 pixels; `--trajectory DIR` takes an existing trajectory's last K checkpoints instead, e.g. runs/toy/trajectory),
fine-tuned on digits with the toy's FT recipe (batch 32, lr 0.05, crop padding 2). Pre-trained weights matter: on
this CPU, one-at-a-time fine-tuning of freshly drawn networks was 2.5x slower than of pre-trained ones, while the
side-by-side speed did not change, so a benchmark on random weights overstates the gain. Each of `--rounds` rounds
times the K networks one at a time, then the same K together; the ratio is total images over total seconds of
each. The last line is `ratio N.NNx`.

Usage: .venv/bin/python benchmarks/bench_batched_ft.py [--networks 8 --trajectory DIR --images 600 --epochs 2 --rounds 2 --threads 2]
"""
import argparse, tempfile, time
import torch
from inadequate_nb.data import load_dataset, to_geometry
from inadequate_nb.pretrain import PretrainConfig, pretrain
from inadequate_nb.trajectory import Trajectory
from inadequate_nb.transfer import FineTuneConfig, fine_tune, fine_tune_together

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--networks', type=int, default=8, help='K, the networks fine-tuned (default 8)')
    p.add_argument('--trajectory', help="a trajectory folder whose last K checkpoints to fine-tune (default: pre-train K epochs of the toy's recipe)")
    p.add_argument('--images', type=int, default=600, help="training images per network (the toy's: 600)")
    p.add_argument('--epochs', type=int, default=2); p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.trajectory: traj = Trajectory(a.trajectory)
    else:
        src = [load_dataset('shapes10', split, n_train=5000, n_test=1000, size=16) for split in ('train', 'test')]
        t = time.perf_counter()
        traj = pretrain(PretrainConfig(arch_kwargs={'width': 8}, epochs=a.networks, save_epochs=list(range(1, a.networks + 1)), batch_size=128, lr=0.1),
                        *src, tempfile.mkdtemp(), progress=False)
        print(f'pre-trained {a.networks} epochs of the toy recipe in {time.perf_counter() - t:.0f} s')
    nets = [traj.load(e) for e in traj.epochs[-a.networks:]]
    size, width = traj.geometry[0], nets[0].feature_dim//8
    train = to_geometry(load_dataset('digits', 'train'), *traj.geometry)
    subsets = [train.subset(torch.randperm(len(train), generator=torch.Generator().manual_seed(k))[:a.images]) for k in range(a.networks)]
    cfg = FineTuneConfig(epochs=a.epochs)
    seeds = list(range(a.networks))
    images = a.networks*a.epochs*(a.images//cfg.batch_size)*cfg.batch_size  # images trained on per measurement
    fine_tune_together(nets[:2], subsets[:2], FineTuneConfig(epochs=1), seeds[:2]); fine_tune(nets[0], subsets[0], FineTuneConfig(epochs=1))  # warm-up
    seconds = {'one at a time': 0.0, 'together': 0.0}
    print(f'{a.networks} checkpoints (epochs {traj.epochs[-a.networks:]}) of width {width}, {size} px, {a.images} images each, {a.epochs} epochs, batch {cfg.batch_size}, '
          f'{a.threads} threads; {a.rounds} alternating rounds')
    for r in range(a.rounds):
        t = time.perf_counter(); [fine_tune(n, s, cfg, k) for n, s, k in zip(nets, subsets, seeds)]; dt = time.perf_counter() - t
        seconds['one at a time'] += dt; print(f'  round {r + 1} one at a time: {images/dt:,.0f} images/s')
        t = time.perf_counter(); fine_tune_together(nets, subsets, cfg, seeds); dt = time.perf_counter() - t
        seconds['together'] += dt; print(f'  round {r + 1} together:      {images/dt:,.0f} images/s')
    rate = {k: a.rounds*images/v for k, v in seconds.items()}
    print(f"one at a time {rate['one at a time']:,.0f} images/s, together {rate['together']:,.0f} images/s")
    print(f"ratio {rate['together']/rate['one at a time']:.2f}x")

if __name__ == '__main__':
    main()
