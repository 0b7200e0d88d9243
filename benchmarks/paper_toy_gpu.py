"""The `paper-toy` preset (ResNet-18 at full width on all of CIFAR-10 -> MNIST-1000) on one GPU inside a fixed time budget.

`inadequate-nb reproduce --preset paper-toy` runs the paper's whole recipe (200 epochs, FT 100 epochs for every
checkpoint and seed); this script is its time-boxed form for a GPU lent for minutes:

1. it times a calibration slice of pre-training, then chooses the number of epochs E (at most the paper's 200) that
   fits the pre-training share of the budget; the schedule is the preset's (cosine, lr 0.1, batch 128), compressed to E
   epochs, and checkpoints are the preset's save epochs up to E plus E;
2. it runs FE (both probes, 3 seeds) of every checkpoint, then FT (the preset's 100 epochs) of as many
   (checkpoint, seed) pairs as the rest of the budget allows, in worker processes sharing the GPU; FT pairs are taken
   seed 0 first, checkpoints in a spread order, so a cut leaves a coarse but complete curve;
3. it writes results.csv, the trajectory manifest and timings.json (GPU, wall times, E) into --report.

Every step goes through the package's own resumable functions (`pretrain`, `transfer_sweep`), so the numbers are the
ones `inadequate-nb reproduce` would produce for the same checkpoints. `pack` makes the data small enough to travel:
the CIFAR-10 JPEG bytes in one file, and MNIST with the train images outside the three 100-per-digit subsets zeroed
(they are never read: FE and FT use only the subsets; test is complete).

    python benchmarks/paper_toy_gpu.py pack --data-root ../shared/data --to .devdata
    python benchmarks/paper_toy_gpu.py run --pack .devdata --out /tmp/paper-toy --report OUT --budget 480
"""
from __future__ import annotations
import argparse, gzip, hashlib, json, os, shutil, platform, subprocess, sys, time
from dataclasses import replace
from pathlib import Path
import numpy as np, torch

SEEDS = [0, 1, 2]


def pack(data_root:Path, to:Path):
    "CIFAR-10 JPEGs as one byte blob with names; MNIST raw files gzipped, unused train images zeroed."
    to.mkdir(parents=True, exist_ok=True)
    n_files, n_kept = pack_cifar(data_root, to), pack_mnist(data_root, to)
    print(f'packed {n_files} JPEGs and MNIST ({n_kept} train images kept) into {to}:',
          round(sum(p.stat().st_size for p in to.iterdir())/2**20, 1), 'MiB')


def pack_cifar(data_root:Path, to:Path) -> int:
    "`data_root/cifar10-jpg` as `to/cifar10-jpg.npz`: shared JPEG header once, the rest of each file, names, a checksum."
    files = sorted(p for p in (data_root/'cifar10-jpg').rglob('*.jpg'))
    blobs = [p.read_bytes() for p in files]
    head = os.path.commonprefix(blobs)  # the JPEG headers (tables, size) all files share: stored once, files rebuilt byte-exact
    tails = [b[len(head):] for b in blobs]
    np.savez(to/'cifar10-jpg.npz', names=np.frombuffer('\n'.join(str(p.relative_to(data_root)) for p in files).encode(), np.uint8),
             head=np.frombuffer(head, np.uint8), offsets=np.cumsum([0] + [len(b) for b in tails]),
             data=np.frombuffer(b''.join(tails), np.uint8), sha256=np.frombuffer(hashlib.sha256(b''.join(blobs)).digest(), np.uint8))
    return len(files)


def pack_mnist(data_root:Path, to:Path) -> int:
    "MNIST's raw files gzipped into `to`, the train images outside the preset's subsets (seeds 0-2) zeroed."
    from inadequate_nb.data import load_dataset, per_class_indices
    from inadequate_nb.reproduce import PRESETS
    raw = data_root/'MNIST'/'raw'
    train = load_dataset('mnist', 'train', data_root)
    n = PRESETS['paper-toy'].transfer.n_per_class
    keep = torch.cat([per_class_indices(train.labels, n, s) for s in SEEDS]).unique()
    imgs = np.fromfile(raw/'train-images-idx3-ubyte', dtype=np.uint8)
    header, pixels = imgs[:16], imgs[16:].reshape(-1, 28*28).copy()
    mask = np.zeros(len(pixels), bool); mask[keep.numpy()] = True; pixels[~mask] = 0
    for name, data in [('train-images-idx3-ubyte', np.concatenate([header, pixels.ravel()]).tobytes())] + [
            (f, (raw/f).read_bytes()) for f in ('train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')]:
        (to/f'{name}.gz').write_bytes(gzip.compress(data, 9))
    return len(keep)


def unpack(src:Path, root:Path):
    "The packed data back in the layouts `load_dataset` reads."
    z = np.load(src/'cifar10-jpg.npz'); off, data, head = z['offsets'], z['data'], z['head'].tobytes()
    names, digest = z['names'].tobytes().decode().split('\n'), hashlib.sha256()
    for i, name in enumerate(names):
        p, b = root/name, head + data[off[i]:off[i + 1]].tobytes()
        p.parent.mkdir(parents=True, exist_ok=True); p.write_bytes(b); digest.update(b)
    if digest.digest() != z['sha256'].tobytes(): raise ValueError(f'{src}: the unpacked JPEGs do not match the packed checksum')
    (root/'MNIST'/'raw').mkdir(parents=True, exist_ok=True)
    for f in src.glob('*.gz'): (root/'MNIST'/'raw'/f.stem).write_bytes(gzip.decompress(f.read_bytes()))


def spread(xs:list) -> list:
    "`xs` reordered so that every prefix covers the range evenly: ends first, then midpoints."
    order, seen, queue = [], set(), [(0, len(xs) - 1)]
    for i in (0, len(xs) - 1):
        if i not in seen: seen.add(i); order.append(xs[i])
    while queue:
        a, b = queue.pop(0)
        if b - a < 2: continue
        m = (a + b)//2
        if m not in seen: seen.add(m); order.append(xs[m])
        queue += [(a, m), (m, b)]
    return order + [x for i, x in enumerate(xs) if i not in seen]


def worker(args):
    "Take jobs from the job folder until none is left or the deadline is near; each job is one `transfer_sweep` call."
    from inadequate_nb.core import RunLayout
    from inadequate_nb.pretrain import Trajectory
    from inadequate_nb.reproduce import PRESETS, load_target
    from inadequate_nb.transfer import transfer_sweep
    torch.set_num_threads(args.threads)
    layout, preset = RunLayout(args.out), PRESETS[args.preset]
    traj = Trajectory(layout.trajectory)
    train, test = load_target(preset, args.data_root)
    jobs, ft_seconds = Path(args.out)/'jobs', None
    while True:
        todo = sorted(jobs.glob('*.job'))
        if not todo: return
        job = todo[0]
        try: mine = job.rename(job.with_suffix(f'.{os.getpid()}'))  # claim it atomically
        except FileNotFoundError: continue
        j = json.loads(mine.read_text())
        left = args.deadline - time.time()
        if left < 10 or (j['kind'] == 'ft' and ft_seconds and left < 1.2*ft_seconds):
            mine.rename(jobs/(mine.stem + '.skipped')); continue
        cfg = preset.transfer
        cfg = (replace(cfg, ft_seeds=0) if j['kind'] == 'fe' else replace(cfg, seeds=[j['seed']], ft_seeds=1, fe_protocols=[]))
        t0 = time.time()
        transfer_sweep(traj, train, test, cfg, layout, epochs=[j['epoch']], device=args.device, progress=False)
        if j['kind'] == 'ft': ft_seconds = time.time() - t0
        print(f"[{os.getpid()}] {j['kind']} epoch {j['epoch']} seed {j.get('seed', '-')}: {time.time() - t0:.1f} s", flush=True)
        mine.rename(jobs/(mine.stem + '.done'))


def run(args):
    from inadequate_nb.core import RunLayout, atomic_write_json
    from inadequate_nb.pretrain import Trajectory
    from inadequate_nb.reproduce import PRESETS, load_source
    start = time.time(); deadline = start + args.budget
    report = Path(args.report); report.mkdir(parents=True, exist_ok=True)
    timings = dict(device=torch.cuda.get_device_name(0) if args.device == 'cuda' else platform.processor() or 'cpu', preset=args.preset, torch=torch.__version__, python=platform.python_version(),
                   budget_s=args.budget)
    def save(**kw):
        timings.update(kw); timings['elapsed_s'] = round(time.time() - start, 1)
        atomic_write_json(report/'timings.json', timings); print(json.dumps(kw), flush=True)
    if args.pack:
        unpack(Path(args.pack), Path(args.data_root)); save(unpack_s=round(time.time() - start, 1))
    preset = PRESETS[args.preset]; layout = RunLayout(args.out)
    t = time.time(); train, test = load_source(preset, args.data_root); save(load_source_s=round(time.time() - t, 1))
    torch.backends.cudnn.benchmark = True
    done = layout.trajectory/'manifest.json'
    if done.is_file() and json.loads(done.read_text()).get('complete'):  # a finished trajectory in --out: go on to transfer
        traj = Trajectory(layout.trajectory); save(reused_trajectory_epochs=traj.epochs)
    else: traj = _pretrain_in_budget(args, preset, train, test, layout, deadline, save)
    (report/'manifest.json').write_text((layout.trajectory/'manifest.json').read_text())
    _transfer(args, preset, layout, report, deadline, start, traj, save)


def _pretrain_in_budget(args, preset, train, test, layout, deadline, save):
    "Calibrate, choose the epochs that fit, pre-train; the trajectory."
    from inadequate_nb.core import file_sha256
    from inadequate_nb.pretrain import pretrain, source_accuracy
    from inadequate_nb.models import build_model, save_checkpoint
    # calibration: two one-epoch slices of (up to) 12,800 images; the second (warm) one gives the speed
    cal = train.subset(torch.arange(min(12800, len(train)//2)), key=train.key + '[calibration]')
    cfg, cal_dir = replace(preset.pretrain, epochs=3, save_epochs=[]), Path(args.out)/'calibration'
    t = time.time(); pretrain(cfg, cal, test, cal_dir, progress=False, device=args.device, stop_after=1)
    t1 = time.time(); pretrain(cfg, cal, test, cal_dir, progress=False, device=args.device, stop_after=1)
    epoch_s = 1.1*(time.time() - t1)/len(cal)*len(train)  # 10% margin
    # one checkpoint costs a save (~ a load) and the accuracy passes of `_record`
    m = build_model(cfg.arch, train.num_classes, **cfg.arch_kwargs).to(args.device, memory_format=torch.channels_last)
    t2 = time.time(); source_accuracy(m, train, max_samples=cfg.eval_samples); source_accuracy(m, test)
    file_sha256(save_checkpoint(cal_dir/'timing.pt', m, cfg.arch, cfg.arch_kwargs, train.num_classes))
    record_s = 1.2*(time.time() - t2)
    pre_budget = args.pretrain_share*(deadline - time.time())
    saves = preset.pretrain.save_epochs
    def fits(E): return E*epoch_s + record_s*len([e for e in saves if e <= E] + [E]) <= pre_budget
    E = max(e for e in range(1, preset.pretrain.epochs + 1) if e == 1 or fits(e))
    save(first_slice_s=round(t1 - t, 1), epoch_s_estimate=round(epoch_s, 2), checkpoint_s_estimate=round(record_s, 2),
         pretrain_budget_s=round(pre_budget), epochs=E)
    config = replace(preset.pretrain, epochs=E, save_epochs=sorted({e for e in saves if e <= E} | {E}))
    t = time.time(); traj = pretrain(config, train, test, layout.trajectory, progress=False, device=args.device)
    save(pretrain_s=round(time.time() - t, 1), save_epochs=config.save_epochs,
         final_source_test_accuracy=traj.checkpoints[-1]['source_test_accuracy'])
    return traj


def _transfer(args, preset, layout, report, deadline, start, traj, save):
    "FE of every checkpoint, then FT of as many (checkpoint, seed) pairs as the budget allows, in worker processes."
    from inadequate_nb.core import atomic_write
    from inadequate_nb.transfer import results_frame
    # transfer: FE jobs for every checkpoint, then FT jobs (seed-major, checkpoints spread), shared by workers
    jobs = Path(args.out)/'jobs'; shutil.rmtree(jobs, ignore_errors=True); jobs.mkdir()
    n = 0
    for e in traj.epochs: (jobs/f'{n:04d}.job').write_text(json.dumps(dict(kind='fe', epoch=e))); n += 1
    for s in SEEDS[:preset.transfer.ft_seeds]:
        for e in spread(traj.epochs): (jobs/f'{n:04d}.job').write_text(json.dumps(dict(kind='ft', epoch=e, seed=s))); n += 1
    t = time.time(); stop = deadline - 20
    procs = [subprocess.Popen([sys.executable, __file__, 'worker', '--out', args.out, '--data-root', args.data_root,
                               '--preset', args.preset, '--device', args.device,
                               '--deadline', str(stop), '--threads', str(max(1, (os.cpu_count() or 2)//args.workers))])
             for _ in range(args.workers)]
    def gather():
        rows = [json.loads(p.read_text()) for p in layout.rows.glob('*.json')]
        df = results_frame([r for r in rows if r['mode'] != 'source' or r['seed'] == SEEDS[0]])  # FT jobs of other seeds repeat it
        atomic_write(layout.results, lambda p: df.to_csv(p, index=False))
        atomic_write(report/'results.csv', lambda p: df.to_csv(p, index=False))
        return df
    while any(p.poll() is None for p in procs): time.sleep(15); gather()  # partial results reach the report too
    df = gather()
    ft = df[df['mode'] == 'ft']
    save(transfer_s=round(time.time() - t, 1), workers=args.workers, rows=len(df), ft_runs=len(ft),
         ft_checkpoints=sorted(ft.epoch.unique().tolist()), ft_skipped=len(list(jobs.glob('*.skipped'))),
         wall_s=round(time.time() - start, 1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('pack'); p.add_argument('--data-root', type=Path, required=True); p.add_argument('--to', type=Path, required=True)
    p = sub.add_parser('run'); p.add_argument('--pack', default=None); p.add_argument('--data-root', default='/tmp/inadequate-data')
    p.add_argument('--out', required=True); p.add_argument('--report', required=True)
    p.add_argument('--budget', type=float, default=480, help='seconds for everything after start-up')
    p.add_argument('--pretrain-share', type=float, default=0.5, help='share of the remaining budget for pre-training')
    p.add_argument('--workers', type=int, default=6, help='transfer worker processes sharing the GPU')
    p = sub.add_parser('worker'); p.add_argument('--out', required=True); p.add_argument('--data-root', required=True)
    p.add_argument('--deadline', type=float, required=True); p.add_argument('--threads', type=int, default=2)
    for p in sub.choices.values():
        if p.prog.endswith(('run', 'worker')):
            p.add_argument('--preset', default='paper-toy', help='preset whose recipe is run (cifar-mnist for a CPU smoke test)')
            p.add_argument('--device', default='cuda')
    a = ap.parse_args(argv)
    {'pack': lambda: pack(a.data_root, a.to), 'run': lambda: run(a), 'worker': lambda: worker(a)}[a.cmd]()


if __name__ == '__main__': main()
