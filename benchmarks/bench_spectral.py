"""Benchmark: the spectral analysis of a whole trajectory (every checkpoint, FE probes on F, F_m and F_r) on cached
features, against the feature pass that fills the cache, on the same run.

    python benchmarks/bench_spectral.py [--run runs/toy] [--threads 1]

The run folder is copied to a temporary folder first (nothing is written into it). Without a finished toy run, a
short toy trajectory (6 epochs) is pre-trained and swept first. Timed, each from scratch:
  1. the feature pass: penultimate features of every checkpoint on the target's train and test splits, into an
     empty feature cache (loading each checkpoint included);
  2. the spectral FE sweep at the paper's threshold (every checkpoint x seed x raw/centred x own/train-basis test
     projection, probes on F, F_m, F_r) from the cached features, with an empty result store;
  3. the threshold map (10 thresholds x raw/centred, one seed) the same way;
  4. for scale, one checkpoint's component probes trained one at a time with `component_probe`, the per-probe path.
"""
import argparse, dataclasses, functools, shutil, sys, tempfile, time
from pathlib import Path
import torch
from inadequate_nb.core import RunLayout
from inadequate_nb.trajectory import Trajectory
from inadequate_nb.data import to_geometry
from inadequate_nb.transfer import FeatureCache, ResultStore
from inadequate_nb.experiments import load_experiment
from inadequate_nb.runner import run_experiment, load_target
from inadequate_nb.data import per_class_indices
from inadequate_nb.spectral import SpectralConfig, spectral_fe_sweep, component_probe

ROOT = Path(__file__).resolve().parent.parent
print = functools.partial(print, flush=True)


def prepare(run: Path, tmp: Path) -> Path:
    "A copy of a finished toy run, or a short toy run pre-trained here."
    dest = tmp/'run'
    if (run/'trajectory'/'manifest.json').is_file():
        shutil.copytree(run, dest, ignore=shutil.ignore_patterns('notebooks', 'figures'))
        print(f'copied {run} to {dest}')
    else:
        p = load_experiment('toy', ['name="toy-bench"', 'notebooks=[]', 'analyses=["transfer"]', 'pretrain.epochs=6',
                                    'pretrain.save_epochs=[0, 1, 2, 3, 4, 6]', 'transfer.fe_protocols=["logistic"]', 'transfer.ft_seeds=0'])
        print(f'no finished run at {run}: pre-training a 6-epoch toy trajectory in {dest}')
        run_experiment(p, dest, progress=False)
    return dest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--run', default=str(ROOT/'runs'/'toy'), help='a finished toy run folder (copied, never written)')
    ap.add_argument('--threads', type=int, default=None, help='torch threads for the feature pass (default: torch default)')
    a = ap.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    preset = load_experiment('toy')
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp); lay = RunLayout(prepare(Path(a.run), tmp))
        traj = Trajectory(lay.trajectory)
        tr, te = (to_geometry(d, *traj.geometry) for d in load_target(preset, 0))
        seeds, npc = preset.transfer.seeds, preset.transfer.n_per_class
        print(f'{len(traj.epochs)} checkpoints {traj.epochs}; target train {len(tr)}, test {len(te)}; '
              f'{npc} per class, seeds {seeds}; torch threads {torch.get_num_threads()}')

        fresh = FeatureCache(tmp/'fresh-features'); t0 = time.perf_counter()
        for e in traj.epochs:
            fresh.get(traj, e, tr); fresh.get(traj, e, te)
        t_feat = time.perf_counter() - t0
        print(f'1. feature pass: {t_feat:.1f} s ({fresh.computed} passes, {t_feat/len(traj.epochs):.2f} s per checkpoint)')

        cache = FeatureCache(lay.features)  # the run's cache (written by the transfer sweep)
        config = SpectralConfig()
        nprobe = len(traj.epochs)*len(seeds)*(1 + 2*len(config.centre)*len(config.test_projection))
        t0 = time.perf_counter()
        rows = spectral_fe_sweep(traj, tr, te, config, cache, ResultStore(tmp/'rows-a'), seeds, npc, threshold_map=False, progress=False)
        t_fe = time.perf_counter() - t0
        assert cache.computed == 0, 'the spectral sweep ran a feature pass: the cache was not shared'
        print(f'2. spectral FE sweep at threshold {config.threshold}: {t_fe:.1f} s ({nprobe} probes of {config.epochs} epochs, '
              f'{len(rows)} rows, {1000*t_fe/nprobe:.0f} ms per probe), {t_fe/t_feat:.2f}x the feature pass')

        cm = dataclasses.replace(config, test_projection=['own'])
        nmap = len(traj.epochs)*len(cm.thresholds)*len(cm.centre)*2
        t0 = time.perf_counter()
        spectral_fe_sweep(traj, tr, te, dataclasses.replace(cm, threshold=0.8), cache, ResultStore(tmp/'rows-b'), seeds[:1], npc, progress=False)
        t_map = time.perf_counter() - t0
        print(f'3. FE sweep + threshold map, one seed, own projection: {t_map:.1f} s (map: {nmap} probes)')

        e = traj.epochs[-1]; f_tr, f_te = cache.get(traj, e, tr), cache.get(traj, e, te)
        idx = per_class_indices(tr.labels, npc, seeds[0], tr.classes); t0 = time.perf_counter()
        for c in config.centre:
            for p in config.test_projection:
                component_probe(f_tr['features'][idx], f_tr['labels'][idx], f_te['features'], f_te['labels'], config.threshold,
                                test_projection=p, centre=c, shuffle_seed=seeds[0])
        t_one = time.perf_counter() - t0; n_one = 3*len(config.centre)*len(config.test_projection)
        print(f'4. one checkpoint and seed probe by probe (component_probe): {t_one:.1f} s for {n_one} probes '
              f'({1000*t_one/n_one:.0f} ms per probe; the batched sweep: {1000*t_fe/nprobe:.0f} ms)')
        print(f'\nsummary: feature pass {t_feat:.1f} s | spectral FE sweep {t_fe:.1f} s ({t_fe/t_feat:.2f}x) | '
              f'with threshold map (1 seed) {t_map:.1f} s')
    return 0


if __name__ == '__main__': sys.exit(main())
