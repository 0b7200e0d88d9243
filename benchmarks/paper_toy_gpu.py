"""The `paper-toy` preset (ResNet-18 at full width on all of CIFAR-10 -> MNIST-1000) on one GPU inside a fixed time budget.

`inadequate-nb reproduce --preset paper-toy` runs the paper's whole recipe (200 epochs, FT 100 epochs for every
checkpoint and seed); this script is its time-boxed form for a GPU lent for minutes:

1. it times a calibration slice of pre-training (one and two epochs from scratch; the difference is an epoch without
   fixed costs), then chooses the number of epochs E (at most the paper's 200) that leaves `--reserve` seconds of the
   budget; the schedule is the preset's (cosine, lr 0.1, batch 128), compressed to E epochs if E < 200, with bfloat16
   autocast (`--amp`, on by default); checkpoints are the preset's save epochs up to E, plus E;
2. worker processes (started at once, at a lower CPU priority than the training process, each with its share of the
   cores for every thread pool) run, for every checkpoint as soon as it is written (`--no-overlap`: once pre-training
   has finished): FE (both probes, 3 seeds), the spectral FE sweep (Table 1's component probes and the
   threshold map, probes on the CPU) and the transferability scores; once pre-training has finished, FT (the preset's
   100 epochs) of as many (checkpoint, seed) pairs as the budget allows, seed 0 first over checkpoints in a spread
   order, so a cut leaves a coarse but complete curve;
3. it writes into --report: results.csv, the trajectory manifest, timings.json (GPU, wall times, E) and run.tar.gz
   (every table and row store of the run, without checkpoints and features), with spectral.csv and assess.csv when
   every checkpoint's spectral and score jobs finished.

Every step goes through the package's own resumable functions (`pretrain`, `transfer_sweep`, `spectral_fe_sweep`,
`score_checkpoints`), so the numbers are the ones `inadequate-nb reproduce` would produce for the same checkpoints.
`pack` makes the data small enough to travel: the CIFAR-10 JPEG bytes in one file, and MNIST with the train images
outside the three 100-per-digit subsets zeroed (they are never read: FE and FT use only the subsets; test is complete).

    python benchmarks/paper_toy_gpu.py pack --data-root ../shared/data --to .devdata
    python benchmarks/paper_toy_gpu.py run --pack .devdata --out /tmp/paper-toy --report OUT --budget 540
    python benchmarks/paper_toy_gpu.py run --preset quick --device cpu --out /tmp/q --report /tmp/q-report --budget 120  # CPU smoke run
"""
from __future__ import annotations
import argparse, gzip, hashlib, json, os, shutil, platform, subprocess, sys, tarfile, threading, time, traceback
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
    from inadequate_nb.experiments import load_experiment
    raw = data_root/'MNIST'/'raw'
    train = load_dataset('mnist', 'train', data_root)
    n = load_experiment('paper-toy').transfer.n_per_class
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


# every worker's thread pools sized to its share of the cores: 8 workers that each start a BLAS pool as large as the
# machine (16 threads) left a 16-core GPU machine so oversubscribed that FE did not finish and training slowed 3x
BLAS_THREADS = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')
PRIORITY = {'fe': 1, 'spectral': 2, 'ft0': 3, 'assess': 4, 'ft': 5}  # job files sort by this: FE first, then spectral, ...


def post(jobs:Path, kind:str, epoch:int, seed:int|None=None, order:int=0):
    "Write one job file; its name sorts by priority (seed-0 FT before the scores, other FT seeds last), then `order`."
    prio = PRIORITY['ft0' if kind == 'ft' and seed == SEEDS[0] else kind]
    name = f'{prio}{kind}_{order:03d}_{epoch:04d}_{"-" if seed is None else seed}'
    if not any(jobs.glob(name + '.*')):  # written whole, then renamed into place: a worker never reads half a job file
        from inadequate_nb.core import atomic_write_text
        atomic_write_text(jobs/f'{name}.job', json.dumps(dict(kind=kind, epoch=epoch, seed=seed)))


def done(jobs:Path, kind:str, epoch:int) -> bool: return any(jobs.glob(f'{PRIORITY[kind]}{kind}_*_{epoch:04d}_*.done'))


def spectral_options(preset) -> dict:
    "The preset's spectral options for the FE sweep alone (no FT-side rows, no t-SNE: those need fine-tuning)."
    return dict(preset.analysis_options.get('spectral', {}), ft_seeds=0, tsne_samples=0)


def worker(args):
    "Take jobs from the job folder until the main process has posted all and none is left, or the deadline is near."
    from inadequate_nb.core import RunLayout
    from inadequate_nb.experiments import load_experiment
    from inadequate_nb.runner import load_target
    os.nice(args.nice)  # while the main process pre-trains, it goes first
    torch.set_num_threads(args.threads)
    layout, preset = RunLayout(args.out), load_experiment(args.preset)
    train, test = load_target(preset, 0, args.data_root)
    jobs, ft_seconds = Path(args.out)/'jobs', args.ft_estimate
    while True:
        todo = sorted(jobs.glob('*.job'))
        if not todo:
            if (jobs/'ALL_POSTED').exists() or time.time() > args.deadline: return
            time.sleep(1); continue
        job = todo[0]
        try: mine = job.rename(job.with_suffix(f'.{os.getpid()}'))  # claim it atomically
        except FileNotFoundError: continue
        j, left = json.loads(mine.read_text()), args.deadline - time.time()
        if left < 10 or (j['kind'] == 'ft' and left < 1.2*ft_seconds):
            mine.rename(jobs/(mine.stem + '.skipped')); continue
        t0 = time.time()
        try: ft_seconds = run_job(j, args, layout, preset, train, test, ft_seconds, t0)
        except Exception:  # one kind of job failing must not take the other kinds down with the worker
            traceback.print_exc(); mine.rename(jobs/(mine.stem + '.failed')); continue
        print(f"[{os.getpid()}] {j['kind']} epoch {j['epoch']} seed {j['seed']}: {time.time() - t0:.1f} s", flush=True)
        mine.rename(jobs/(mine.stem + '.done'))


def run_job(j:dict, args, layout, preset, train, test, ft_seconds:float, t0:float) -> float:
    "Run one job through the package's own functions; the FT time estimate, updated by an FT job."
    from inadequate_nb.data import to_geometry
    from inadequate_nb.trajectory import Trajectory
    from inadequate_nb.spectral import SpectralConfig, spectral_fe_sweep
    from inadequate_nb.transfer import transfer_sweep, AnalysisContext, FeatureCache, ResultStore
    from inadequate_nb.assess import score_checkpoints
    traj, cfg = Trajectory(layout.trajectory), preset.transfer  # re-read: the trajectory grows
    if j['kind'] == 'fe':
        transfer_sweep(traj, train, test, replace(cfg, ft_seeds=0), layout, checkpoints=[j['epoch']], device=args.device, progress=False)
    elif j['kind'] == 'ft':
        transfer_sweep(traj, train, test, replace(cfg, seeds=[j['seed']], ft_seeds=1, fe_protocols=[]), layout, checkpoints=[j['epoch']],
                       device=args.device, progress=False)
        ft_seconds = time.time() - t0
    elif j['kind'] == 'spectral':  # as `spectral_analysis` calls it; the probes on the CPU, so the GPU stays with training
        tr, te = (to_geometry(d, *traj.geometry) for d in (train, test))
        sc = SpectralConfig(**spectral_options(preset))
        spectral_fe_sweep(traj, tr, te, sc, FeatureCache(layout.features, args.device), ResultStore(layout.root/'cache'/'spectral-rows'),
                          list(sc.seeds if sc.seeds is not None else cfg.seeds), cfg.n_per_class, checkpoints=[j['epoch']],
                          device='cpu', progress=False, drawn_seeds=cfg.seeds)
    elif j['kind'] == 'assess':
        score_checkpoints(AnalysisContext(traj, train, test, layout, cfg, device=args.device, progress=False), checkpoints=[j['epoch']])
    return ft_seconds


def run(args):
    from inadequate_nb.core import RunLayout, atomic_write_json
    from inadequate_nb.trajectory import Trajectory
    from inadequate_nb.experiments import load_experiment
    from inadequate_nb.runner import load_source
    start = time.time(); deadline = start + args.budget
    report = Path(args.report); report.mkdir(parents=True, exist_ok=True)
    timings = dict(device=torch.cuda.get_device_name(0) if args.device == 'cuda' else platform.processor() or 'cpu', preset=args.preset,
                   torch=torch.__version__, python=platform.python_version(), cpus=os.cpu_count(), budget_s=args.budget, amp=args.amp,
                   workers=args.workers)
    def save(**kw):
        timings.update(kw); timings['elapsed_s'] = round(time.time() - start, 1)
        atomic_write_json(report/'timings.json', timings); print(json.dumps(kw), flush=True)
    if args.pack:
        unpack(Path(args.pack), Path(args.data_root)); save(unpack_s=round(time.time() - start, 1))
    preset = load_experiment(args.preset); layout = RunLayout(args.out)
    jobs = Path(args.out)/'jobs'; shutil.rmtree(jobs, ignore_errors=True); jobs.mkdir(parents=True)
    threads = max(1, (os.cpu_count() or 2)//args.workers)
    procs = [subprocess.Popen([sys.executable, __file__, 'worker', '--out', args.out, '--data-root', args.data_root, '--preset', args.preset,
                               '--device', args.device, '--deadline', str(deadline - 20), '--ft-estimate', str(args.ft_estimate),
                               '--threads', str(threads), '--nice', '10'], env={**os.environ, **{v: str(threads) for v in BLAS_THREADS}})
             for _ in range(args.workers)]  # they load the target now and take analysis jobs as checkpoints appear
    posted, stop = set(), threading.Event()
    def post_analyses():
        "Post FE for every new checkpoint, and spectral + scores for every checkpoint whose FE is done."
        if not (layout.trajectory/'manifest.json').is_file(): return
        for e in Trajectory(layout.trajectory).epochs:
            if ('fe', e) not in posted: post(jobs, 'fe', e); posted.add(('fe', e))
            if ('spectral', e) not in posted and done(jobs, 'fe', e):
                post(jobs, 'spectral', e); post(jobs, 'assess', e); posted.add(('spectral', e))
    def watch():
        while not stop.is_set(): post_analyses(); stop.wait(2)
    watcher = threading.Thread(target=watch, daemon=True)
    if args.overlap: watcher.start()  # analyses of each checkpoint while pre-training goes on
    t = time.time(); train, test = load_source(preset, args.data_root); save(load_source_s=round(time.time() - t, 1))
    torch.backends.cudnn.benchmark = True
    mf = layout.trajectory/'manifest.json'
    if mf.is_file() and json.loads(mf.read_text()).get('complete'):  # a finished trajectory in --out: go on to transfer
        traj = Trajectory(layout.trajectory); save(reused_trajectory_epochs=traj.epochs)
    else: traj = _pretrain_in_budget(args, preset, train, test, layout, deadline, save)
    if not args.overlap: watcher.start()
    del train, test
    (report/'manifest.json').write_text(mf.read_text())
    for i, e in enumerate(spread(traj.epochs)):  # FT once pre-training has left the GPU: seed 0 over the spread checkpoints first
        for s in SEEDS[:preset.transfer.ft_seeds]: post(jobs, 'ft', e, s, order=i)
    while time.time() < deadline - 20 and len(posted) < 2*len(traj.epochs) and any(p.poll() is None for p in procs):
        time.sleep(2)  # spectral and score jobs wait for their checkpoint's FE
    stop.set(); watcher.join(); post_analyses(); (jobs/'ALL_POSTED').touch()
    _finish(args, preset, layout, report, start, deadline, traj, procs, jobs, save)


def _pretrain_in_budget(args, preset, train, test, layout, deadline, save):
    "Calibrate, choose the epochs that fit, pre-train; the trajectory."
    from inadequate_nb.core import file_sha256
    from inadequate_nb.pretrain import pretrain, source_accuracy
    from inadequate_nb.models import build_model, save_checkpoint
    # calibration on (up to) 12,800 images: a warm-up slice (cuDNN autotuning, first allocations), then one and two epochs
    # from scratch; their difference is the time of an epoch without the fixed costs of a call
    cal = train.subset(torch.arange(min(12800, len(train)//2)), key=train.key + '[calibration]')
    cfg, cal_dir = replace(preset.pretrain, epochs=3, save_epochs=[], amp=args.amp), Path(args.out)/'calibration'
    shutil.rmtree(cal_dir, ignore_errors=True)
    def timed(name, n):
        t = time.time(); pretrain(cfg, cal, test, cal_dir/name, progress=False, device=args.device, stop_after=n); return time.time() - t
    try: warm = timed('warm', 1)
    except Exception as e:  # bfloat16 autocast unusable here: train in float32 rather than lose the run, and say so
        if not args.amp: raise
        args.amp, cfg = False, replace(cfg, amp=False); save(amp=False, amp_error=f'{type(e).__name__}: {e}')
        shutil.rmtree(cal_dir, ignore_errors=True); warm = timed('warm', 1)
    one = timed('one', 1); two = timed('two', 2)
    epoch_s = 1.1*max(two - one, 0.5*one)/len(cal)*len(train)  # 10% margin
    # one checkpoint costs a save (~ a load) and the accuracy passes of `_record`
    m = build_model(cfg.arch, train.num_classes, **cfg.arch_kwargs).to(args.device, memory_format=torch.channels_last)
    t2 = time.time(); source_accuracy(m, train, max_samples=cfg.eval_samples); source_accuracy(m, test)
    file_sha256(save_checkpoint(cal_dir/'timing.pt', m, cfg.arch, cfg.arch_kwargs, train.num_classes))
    record_s = 1.2*(time.time() - t2)
    pre_budget = deadline - time.time() - args.reserve
    saves = preset.pretrain.save_epochs
    def fits(E): return E*epoch_s + record_s*len([e for e in saves if e <= E] + [E]) <= pre_budget
    E = max(e for e in range(1, preset.pretrain.epochs + 1) if e == 1 or fits(e))
    save(calibration_s=dict(warm=round(warm, 2), one=round(one, 2), two=round(two, 2)), epoch_s_estimate=round(epoch_s, 2),
         checkpoint_s_estimate=round(record_s, 2), pretrain_budget_s=round(pre_budget), epochs=E)
    config = replace(preset.pretrain, epochs=E, save_epochs=sorted({e for e in saves if e <= E} | {E}), amp=args.amp)
    t = time.time(); traj = pretrain(config, train, test, layout.trajectory, progress=False, device=args.device)
    save(pretrain_s=round(time.time() - t, 1), save_epochs=config.save_epochs,
         final_source_test_accuracy=traj.checkpoints[-1]['source_test_accuracy'])
    return traj


def _finish(args, preset, layout, report, start, deadline, traj, procs, jobs, save):
    "Wait for the workers (results reach the report as they come), then write the spectral and score tables if complete."
    from inadequate_nb.core import atomic_write
    from inadequate_nb.transfer import AnalysisContext, results_frame
    from inadequate_nb.runner import load_target, write_table
    from inadequate_nb.spectral import spectral_analysis
    from inadequate_nb.assess import assess_analysis
    t = time.time()
    def gather():
        rows = [json.loads(p.read_text())['row'] for p in layout.rows.glob('*.json')]
        df = results_frame([r for r in rows if r['mode'] != 'source' or r['seed'] == SEEDS[0]])  # FT jobs of other seeds repeat it
        atomic_write(layout.results, lambda p: df.to_csv(p, index=False))
        atomic_write(report/'results.csv', lambda p: df.to_csv(p, index=False))
        pack_rows(layout, report)
        return df
    while any(p.poll() is None for p in procs) and time.time() < deadline - 10: time.sleep(10); gather()
    for p in procs:
        if p.poll() is None: p.kill()  # past the deadline: what they finished is in the row stores
    df = gather()
    ft = df[df['mode'] == 'ft']
    save(wait_s=round(time.time() - t, 1), rows=len(df), ft_runs=len(ft), ft_checkpoints=sorted(ft.epoch.unique().tolist()),
         skipped=sorted(p.stem for p in jobs.glob('*.skipped')), failed=sorted(p.stem for p in jobs.glob('*.failed')),
         unfinished=sorted(p.stem for p in jobs.glob('*.job')))
    ctx = AnalysisContext(traj, *load_target(preset, 0, args.data_root), layout, preset.transfer, device=args.device, progress=False)
    ctx.tables['results'] = df
    for kind, analyse in (('spectral', lambda: spectral_analysis(ctx, **spectral_options(preset))), ('assess', lambda: assess_analysis(ctx))):
        missing = [e for e in traj.epochs if not done(jobs, kind, e)]
        if missing: save(**{f'{kind}_table': f'not written: epochs {missing} unfinished'}); continue
        t = time.time()
        for name, table in analyse().items(): write_table(layout, name, table)
        save(**{f'{kind}_table_s': round(time.time() - t, 1)})
    pack_rows(layout, report)
    save(wall_s=round(time.time() - start, 1))


def pack_rows(layout, report:Path):
    "Everything of the run but checkpoints and features (tables, row stores, manifest, logs) as OUT/run.tar.gz."
    def small(info): return None if info.name.endswith('.pt') or '/cache/features' in info.name or '/jobs' in info.name else info
    tmp = report/'run.tar.gz.partial'
    with tarfile.open(tmp, 'w:gz') as tar: tar.add(layout.root, arcname='run', filter=small)
    os.replace(tmp, report/'run.tar.gz')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('pack'); p.add_argument('--data-root', type=Path, required=True); p.add_argument('--to', type=Path, required=True)
    p = sub.add_parser('run'); p.add_argument('--pack', default=None); p.add_argument('--data-root', default='/tmp/inadequate-data')
    p.add_argument('--out', required=True); p.add_argument('--report', required=True)
    p.add_argument('--budget', type=float, default=480, help='seconds for everything after start-up')
    p.add_argument('--reserve', type=float, default=150, help='seconds kept after pre-training for FT and the tables')
    p.add_argument('--workers', type=int, default=8, help='worker processes for FE, spectral, scores and FT')
    p.add_argument('--amp', action=argparse.BooleanOptionalAction, default=True, help='bfloat16 autocast in pre-training (GPU)')
    p.add_argument('--overlap', action=argparse.BooleanOptionalAction, default=True,
                   help='analyse each checkpoint while pre-training goes on (--no-overlap: only after it)')
    p = sub.add_parser('worker'); p.add_argument('--out', required=True); p.add_argument('--data-root', required=True)
    p.add_argument('--deadline', type=float, required=True); p.add_argument('--threads', type=int, default=2)
    p.add_argument('--nice', type=int, default=10)
    for p in sub.choices.values():
        if p.prog.endswith(('run', 'worker')):
            p.add_argument('--preset', default='paper-toy', help='preset whose recipe is run (quick or cifar-mnist for a CPU smoke test)')
            p.add_argument('--device', default='cuda')
            p.add_argument('--ft-estimate', type=float, default=80, help='seconds one FT job takes, until one has been timed')
    a = ap.parse_args(argv)
    {'pack': lambda: pack(a.data_root, a.to), 'run': lambda: run(a), 'worker': lambda: worker(a)}[a.cmd]()


if __name__ == '__main__': main()
