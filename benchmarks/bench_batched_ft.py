#!/usr/bin/env python
"""Images per second of fine-tuning K networks one after another (`fine_tune`) and side by side
(`fine_tune_together`), measured in the same run, alternately, on the same data and threads.

The networks are the toy's (CIFAR ResNet-18 of width 8) on digits at the toy's 16 pixels, with the toy's FT recipe
(batch 32, lr 0.05, crop padding 2): `--size 32` measures the cifar-mnist geometry instead. The weights are freshly
drawn (the speed of a step does not depend on them). Each of `--rounds` rounds times the K networks one at a time,
then the same K together; the ratio is total images over total seconds of each. The last line is `ratio N.NNx`.

Usage: .venv/bin/python benchmarks/bench_batched_ft.py [--networks 8 --width 8 --size 16 --images 600 --epochs 2 --rounds 2 --threads 2]
"""
import argparse, time
import torch
from inadequate_nb.data import load_dataset, to_geometry
from inadequate_nb.models import build_model
from inadequate_nb.transfer import FineTuneConfig, fine_tune, fine_tune_together

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--networks', type=int, default=8, help='K, the networks fine-tuned (default 8)')
    p.add_argument('--width', type=int, default=8); p.add_argument('--size', type=int, default=16)
    p.add_argument('--images', type=int, default=600, help="training images per network (the toy's: 600)")
    p.add_argument('--epochs', type=int, default=2); p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    train = to_geometry(load_dataset('digits', 'train'), a.size, 3)
    subsets = [train.subset(torch.randperm(len(train), generator=torch.Generator().manual_seed(k))[:a.images]) for k in range(a.networks)]
    nets = [build_model('cifar_resnet18', 10, width=a.width) for _ in range(a.networks)]
    cfg = FineTuneConfig(epochs=a.epochs)
    seeds = list(range(a.networks))
    images = a.networks*a.epochs*(a.images//cfg.batch_size)*cfg.batch_size  # images trained on per measurement
    fine_tune_together(nets[:2], subsets[:2], FineTuneConfig(epochs=1), seeds[:2]); fine_tune(nets[0], subsets[0], FineTuneConfig(epochs=1))  # warm-up
    seconds = {'one at a time': 0.0, 'together': 0.0}
    print(f'{a.networks} networks of width {a.width}, {a.size} px, {a.images} images each, {a.epochs} epochs, batch {cfg.batch_size}, '
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
