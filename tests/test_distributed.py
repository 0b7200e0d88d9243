"""torchrun with 2 processes on CPU (gloo): the same losses as one process with the same global batch, checkpoints
written once by rank 0, and a run that stopped after one epoch (its folder as a crash leaves it) resumed by torchrun.
One torchrun launch only (each costs about 10 s of process start-up on two cores)."""
import json, os, subprocess, sys
from collections import Counter
from pathlib import Path
import torch
from inadequate_nb.data import load_dataset
from inadequate_nb.distributed import DistributedConfig, distributed_pretrain
from inadequate_nb.models import load_checkpoint
from inadequate_nb.trajectory import Trajectory
from inadequate_nb.experiments import experiment_from_dict, experiment_toml

TORCHRUN = str(Path(sys.executable).parent/'torchrun')
SOURCE = {'n_train': 128, 'n_test': 64, 'size': 32}
# A tiny T2T-ViT: LayerNorm only, so the 2-process run computes exactly the single-process step up to the order of
# float32 summation (a BatchNorm network would normalise each rank's half batch with its own statistics).
CONFIG = dict(arch='t2t_vit_t_14', arch_kwargs={'img_size': 32, 'embed_dim': 32, 'depth': 2, 'num_heads': 2, 'token_dim': 16},
              epochs=3, save_epochs=[0, 1, 2, 3], batch_size=32, optimizer='adamw', lr=2e-3, weight_decay=0.05,
              warmup_epochs=1, crop_pad=2, eval_samples=128, seed=3)
# Tolerance: float32 reductions in another order (gloo all-reduce of two half-batch gradients vs one full-batch
# sum) differ by a few ulps per step; over 12 AdamW steps we measured at most 2.4e-7 in the loss.
LOSS_TOL, WEIGHT_TOL = 1e-5, 1e-5


def _torchrun(tmp, out, *extra):
    "What the runner launches for an experiment with `trainer = \"distributed\"` and two processes."
    e = experiment_from_dict({'name': 'ddp', 'source': {'dataset': 'shapes10', 'options': SOURCE}, 'targets': [{'dataset': 'digits'}],
                              'pretrain': {'trainer': 'distributed', **CONFIG}})
    (tmp/'experiment.toml').write_text(experiment_toml(e))
    env = dict(os.environ, INADEQUATE_NB_WRITE_AUDIT=str(tmp/'audit.log'), OMP_NUM_THREADS='1')
    cmd = [TORCHRUN, '--standalone', '--nproc_per_node', '2', '-m', 'inadequate_nb.cli', 'distributed-pretrain', '--experiment', str(tmp/'experiment.toml'),
           '--out', str(out), '--device', 'cpu', '--quiet', *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr


def _losses(out):
    return [l for e in range(1, CONFIG['epochs'] + 1) for l in json.loads((out/'log'/f'epoch_{e:04d}.json').read_text())['step_losses']]


def test_two_processes_match_one(tmp_path, monkeypatch):
    cfg = DistributedConfig(**CONFIG)
    train, test = load_dataset('shapes10', 'train', **SOURCE), load_dataset('shapes10', 'test', **SOURCE)
    single = distributed_pretrain(cfg, train, test, tmp_path/'single', progress=False)
    monkeypatch.setenv('INADEQUATE_NB_WRITE_AUDIT', str(tmp_path/'audit.log'))
    distributed_pretrain(cfg, train, test, tmp_path/'ddp', progress=False, stop_after=1)   # a run that died after epoch 1 ...
    assert (tmp_path/'ddp'/'resume.pt').is_file() and not Trajectory(tmp_path/'ddp').complete
    _torchrun(tmp_path, tmp_path/'ddp')                             # ... resumed by torchrun with 2 processes: epochs 2 and 3
    ddp = Trajectory(tmp_path/'ddp')
    assert ddp.complete and ddp.epochs == single.epochs == [0, 1, 2, 3]
    assert ddp.manifest['training']['world_size'] == 2 and ddp.manifest['training']['backend'] == 'gloo'
    assert ddp.manifest['run_hash'] == single.manifest['run_hash']

    a, b = _losses(single.path), _losses(ddp.path)
    assert len(a) == len(b) == 3*4
    assert max(abs(x - y) for x, y in zip(a[4:], b[4:])) < LOSS_TOL, (a, b)   # epochs 2-3: trained by the 2 processes
    for e in ddp.epochs:
        wa, wb = load_checkpoint(single.checkpoint_path(e))['model'], load_checkpoint(ddp.checkpoint_path(e))['model']
        assert max((wa[k] - wb[k]).abs().max().item() for k in wa) < WEIGHT_TOL
        assert abs(single.entry(e)['source_test_accuracy'] - ddp.entry(e)['source_test_accuracy']) < 1e-9

    writes = [l.split() for l in (tmp_path/'audit.log').read_text().splitlines()]
    assert {rank for rank, _ in writes} == {'0'}                     # rank 1 never wrote anything
    counts = Counter(name for _, name in writes)
    assert {n: c for n, c in counts.items() if n.startswith('epoch_') and n.endswith('.pt')} == {f'epoch_{e:04d}.pt': 1 for e in range(4)}
    assert not (tmp_path/'ddp'/'resume.pt').exists()
    assert not list((tmp_path/'ddp').glob('.*.tmp'))               # no stray temporaries: every write was atomic
    with torch.no_grad():                                           # the trajectory is one every later step reads
        x = load_dataset('shapes10', 'test', **SOURCE).images[:4]
        torch.testing.assert_close(ddp.load(3)(x), single.load(3)(x), atol=1e-4, rtol=0)
