"A run killed in the middle resumes from its finished checkpoints and cached results."
import json, os, signal, subprocess, sys, time
from conftest import ROOT

SCRIPT = '''
import sys
from inadequate_nb.experiments import load_experiment
from inadequate_nb.runner import run_experiment
e = load_experiment('quick', ['name="resume-test"', 'pretrain.epochs=8', 'pretrain.save_epochs=[0, 1, 2, 4, 6, 8]', 'notebooks=[]', 'analyses=["transfer"]'])
run_experiment(e, sys.argv[1], progress=True)
'''


def _checkpoints(traj):
    m = traj/'manifest.json'
    return json.loads(m.read_text())['checkpoints'] if m.exists() else []


def test_killed_run_resumes_without_redoing_work(tmp_path):
    out = tmp_path/'run'; traj = out/'trajectory'
    proc = subprocess.Popen([sys.executable, '-c', SCRIPT, str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not any(c['epoch'] == 2 for c in _checkpoints(traj)):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    done = {c['epoch']: c['sha256'] for c in _checkpoints(traj)}
    assert 2 in done and 8 not in done, done  # killed in the middle of pre-training
    assert not json.loads((traj/'manifest.json').read_text())['complete']
    # every file under a final name is finished: every listed checkpoint loads and matches its hash
    from inadequate_nb.trajectory import Trajectory
    t = Trajectory(traj)
    for e in done: t.load(e)
    mtimes = {e: t.checkpoint_path(e).stat().st_mtime_ns for e in done}
    p = subprocess.run([sys.executable, '-c', SCRIPT, str(out)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    t = Trajectory(traj)
    assert t.complete and t.epochs == [0, 1, 2, 4, 6, 8]
    for e in done:  # finished checkpoints were kept, not retrained
        assert t.checkpoint_path(e).stat().st_mtime_ns == mtimes[e]
        assert t.entry(e)['sha256'] == done[e]
    assert not (traj/'resume.pt').exists()
    assert not list(traj.glob('*.tmp')), 'a temporary file was left under the final folder'


def test_killed_sweep_keeps_its_rows(tmp_path):
    out = tmp_path/'run'
    proc = subprocess.Popen([sys.executable, '-c', SCRIPT, str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = out/'cache'/'rows'
    deadline = time.time() + 300
    while time.time() < deadline and len(list(rows.glob('*.json'))) < 6:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in rows.glob('*.json')}
    assert len(before) >= 6
    p = subprocess.run([sys.executable, '-c', SCRIPT, str(out)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    after = {p.name: p.stat().st_mtime_ns for p in rows.glob('*.json')}
    assert all(after[k] == v for k, v in before.items())  # rows done before the kill were not recomputed
    assert len(after) == 6*(1 + 2*2 + 1)
