"""`import-trajectory`: torchvision and timm ResNet-50 files become a trajectory with the networks they hold; a file
that does not fit gives an error listing its keys; and an imported trajectory is swept end to end by a paper preset
(two targets, Figure 2 per target and the grid) without pre-training anything."""
import argparse, json, math
from dataclasses import replace
from pathlib import Path
import pandas as pd, pytest, torch, torchvision
from PIL import Image
from inadequate_nb.models import CheckpointError
from inadequate_nb.trajectory import Trajectory
from inadequate_nb.transfer import TransferConfig, FineTuneConfig
from inadequate_nb.backbones import T2TViT, IMAGENET_MEAN, IMAGENET_STD
from inadequate_nb.importing import import_trajectory
from inadequate_nb.cli import main
from inadequate_nb.experiments import load_experiment
from inadequate_nb.runner import run_experiment


def _import(*args): return main(['import-trajectory', *map(str, args)])


@pytest.fixture(scope='module')
def resnet_files(tmp_path_factory):
    "Three torchvision ResNet-50s saved as torchvision does, as timm's train.py does, and by a DDP script."
    d = tmp_path_factory.mktemp('r50'); torch.manual_seed(0)
    nets = [torchvision.models.resnet50().eval() for _ in range(3)]
    torch.save(nets[0].state_dict(), d/'resnet50_epoch_10.pth')                                   # bare, epoch in the name
    torch.save({'epoch': 20, 'arch': 'resnet50', 'state_dict': nets[1].state_dict(), 'args': argparse.Namespace(lr=0.1),
                'optimizer': {'state': {}, 'param_groups': []}}, d/'checkpoint-last.pth.tar')   # timm-style, epoch field
    torch.save({f'module.{k}': v for k, v in nets[2].state_dict().items()}, d/'ddp_e90.pt')      # DDP prefixes
    return d, nets


def test_torchvision_and_timm_resnet50(resnet_files, tmp_path):
    src, nets = resnet_files
    assert _import(src, '--arch', 'resnet50', '--out', tmp_path/'traj', '--source', 'imagenet') == 0
    t = Trajectory(tmp_path/'traj')
    assert t.epochs == [10, 20, 90] and t.complete and t.manifest['imported'] and t.geometry == (224, 3)
    assert t.manifest['arch_kwargs']['mean'] == list(IMAGENET_MEAN) and len(t.manifest['classes']) == 1000
    assert math.isnan(t.entry(10)['source_test_accuracy'])
    x = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    xn = (x.float()/255 - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))/torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        for e, net in zip(t.epochs, nets):
            m = t.load(e); torch.testing.assert_close(m(x), net(xn), atol=1e-4, rtol=1e-4)  # the same networks
            assert m.features(x).shape == (2, 2048)


def test_mismatched_keys_are_listed(resnet_files, tmp_path):
    src = tmp_path/'mixed'; src.mkdir()
    torch.save(torchvision.models.resnet18().state_dict(), src/'epoch_5.pth')
    with pytest.raises(CheckpointError) as e: import_trajectory(src, tmp_path/'t', 'resnet50', progress=False)
    msg = str(e.value)
    assert 'epoch_5.pth does not fit resnet50' in msg and 'missing keys' in msg and "'layer1.0.conv3.weight'" in msg
    assert 'shape mismatches' in msg and 'layer1.0.conv1.weight: file (64, 64, 3, 3) vs resnet50 (64, 64, 1, 1)' in msg
    sd = torchvision.models.resnet50().state_dict(); sd['extra.weight'] = torch.zeros(1)
    torch.save(sd, src/'epoch_5.pth')
    with pytest.raises(CheckpointError, match=r"1 unexpected keys \['extra.weight'\]"): import_trajectory(src, tmp_path/'t2', 'resnet50', progress=False)


TINY = {'img_size': 32, 'embed_dim': 16, 'depth': 1, 'num_heads': 2, 'token_dim': 8}


def _cub(root, n=4):
    "A small CUB-200-2011 in its real layout: two species, n images each, half for training."
    b = root/'CUB_200_2011'; lines, labels, split = [], [], []
    for c, name in enumerate(['001.Black_footed_Albatross', '002.Laysan_Albatross']):
        for i in range(n):
            k = len(lines) + 1; (b/'images'/name).mkdir(parents=True, exist_ok=True)
            Image.new('RGB', (40 + i, 36), (40 + 150*c, 90, 200 - 150*c)).save(b/'images'/name/f'{k}.jpg')
            lines.append(f'{k} {name}/{k}.jpg'); labels.append(f'{k} {c + 1}'); split.append(f'{k} {int(i < n//2)}')
    for f, l in (('images.txt', lines), ('image_class_labels.txt', labels), ('train_test_split.txt', split)):
        (b/f).write_text('\n'.join(l) + '\n')
    (b/'classes.txt').write_text('1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n')


def test_imported_trajectory_swept_by_paper_preset(tmp_path):
    "Official-style T2T-ViT files (timm dicts with EMA weights) -> import -> FE/FT on two targets -> Figure 2 notebooks."
    src = tmp_path/'ckpts'; src.mkdir(); torch.manual_seed(1)
    for e in (0, 5, 10):
        m = T2TViT(num_classes=3, **TINY)
        torch.save({'epoch': e, 'state_dict': m.state_dict(), 'state_dict_ema': m.state_dict(), 'args': argparse.Namespace(model='t2t_vit_t_14')},
                   src/f'checkpoint-{e}.pth.tar')
    run = tmp_path/'run'
    assert _import(src, '--arch', 't2t_vit_t_14', '--arch-kwargs', json.dumps(TINY), '--image-size', 32, '--ema',
                   '--out', tmp_path/'imported', '--source', 'imagenet') == 0
    data = tmp_path/'data'; _cub(data)
    tiny = '{' + ', '.join(f'{k} = {v}' for k, v in TINY.items()) + '}'
    e = load_experiment('paper-t2t', ['name="paper-mini"', f'trajectory="{tmp_path/"imported"}"', f'pretrain.arch_kwargs={tiny}',
                                      'targets=[{dataset = "digits"}, {dataset = "cub200", options = {size = 32}}, {dataset = "food101", options = {size = 32}}]',
                                      'transfer={n_per_class = 2, seeds = [0], fe_protocols = ["softmax"], fe_epochs = 3, ft_seeds = 1, validation_fraction = 0.0, ft = {epochs = 1}}'])
    r = run_experiment(e, run, data, progress=False, device='cpu')
    assert r.failures == [] and [s.split(':')[0] for s in r.skipped] == ['food101']   # absent: skipped and reported
    assert not any(s['step'].startswith('pre-train') for s in r.steps)
    df = pd.read_csv(run/'results.csv')
    assert set(df.target) == {'digits', 'cub200'} and sorted(df.epoch.unique()) == [0, 5, 10]
    assert set(df['mode']) == {'source', 'fe_softmax', 'ft'} and df[df['mode'] != 'source'].accuracy.between(0, 1).all()
    figs = run/'figures'
    for name in ('fig3_paper-mini-digits', 'fig3_paper-mini-cub200', 'fig3_paper-mini_grid'):
        assert (figs/f'{name}.png').stat().st_size > 10_000 and (figs/f'{name}.pdf').is_file()
    peaks = pd.read_csv(figs/'fig3_paper-mini_peaks.csv'); assert list(peaks.target) == ['digits', 'cub200']  # the experiment's order
    report = (run/'REPORT.md').read_text()
    assert 'imported: nothing was pre-trained' in report and 'food101' in report and 'fig3_paper-mini_grid' in report
    r2 = run_experiment(e, run, data, progress=False, device='cpu')                          # a second run recomputes nothing
    assert [s['result'] for s in r2.steps if s['step'].startswith('notebook')] == ['skipped']*3


def test_safetensors_files_and_hugging_face_folders_give_the_features_of_the_originals(tmp_path):
    "The formats people publish: .safetensors files named by epoch, and checkpoint-STEP/ folders (one sharded), imported."
    from safetensors.torch import save_file
    from inadequate_nb.models import CifarResNet18, penultimate_features
    torch.manual_seed(3); nets = [CifarResNet18(num_classes=5, width=4).eval() for _ in range(3)]
    st, hf = tmp_path/'st', tmp_path/'hf'; st.mkdir(); hf.mkdir()
    for e, n in zip((1, 4, 9), nets): save_file({k: v.contiguous() for k, v in n.state_dict().items()}, str(st/f'epoch_{e}.safetensors'))
    for step, n in zip((100, 200), nets[:2]):
        (hf/f'checkpoint-{step}').mkdir(); save_file(dict(n.state_dict()), str(hf/f'checkpoint-{step}'/'model.safetensors'))
    sd = nets[2].state_dict(); keys = list(sd); (hf/'checkpoint-300').mkdir()
    for i, part in enumerate((keys[:20], keys[20:])):
        torch.save({k: sd[k] for k in part}, hf/'checkpoint-300'/f'pytorch_model-0000{i + 1}-of-00002.bin')
    (hf/'checkpoint-300'/'pytorch_model.bin.index.json').write_text(json.dumps({'weight_map': {k: f'pytorch_model-0000{1 + (i >= 20)}-of-00002.bin' for i, k in enumerate(keys)}}))
    common = ['--arch', 'cifar_resnet18', '--arch-kwargs', '{"width": 4}', '--image-size', 16, '--mean', 0.5, 0.5, 0.5, '--std', 0.25, 0.25, 0.25]
    assert _import(st, *common, '--out', tmp_path/'t_st') == 0 and _import(hf, *common, '--out', tmp_path/'t_hf') == 0
    t_st, t_hf = Trajectory(tmp_path/'t_st'), Trajectory(tmp_path/'t_hf')
    assert t_st.epochs == [1, 4, 9] and t_st.manifest['position_unit'] == 'epoch'
    assert t_hf.epochs == [100, 200, 300] and t_hf.manifest['position_unit'] == 'step'  # steps, and the manifest says so
    x = torch.randint(0, 256, (6, 3, 16, 16), dtype=torch.uint8)
    for t, positions in ((t_st, (1, 4, 9)), (t_hf, (100, 200, 300))):
        for e, n in zip(positions, nets):
            torch.testing.assert_close(penultimate_features(t.load(e), x)[0], penultimate_features(n, x)[0], rtol=0, atol=0)
    assert main(['export-trajectory', str(tmp_path/'t_hf'), '--out', str(tmp_path/'exported')]) == 0
    assert sorted(p.name for p in (tmp_path/'exported').glob('*.safetensors')) == ['epoch_0100.safetensors', 'epoch_0200.safetensors', 'epoch_0300.safetensors']


def test_epochs_and_steps_do_not_mix(tmp_path):
    from safetensors.torch import save_file
    from inadequate_nb.models import CifarResNet18
    sd = dict(CifarResNet18(num_classes=2, width=4).state_dict())
    save_file(sd, str(tmp_path/'epoch_3.safetensors')); (tmp_path/'checkpoint-500').mkdir(); save_file(sd, str(tmp_path/'checkpoint-500'/'model.safetensors'))
    with pytest.raises(ValueError, match='mixes checkpoints named by epoch .* and by step'):
        import_trajectory(tmp_path, tmp_path/'t', 'cifar_resnet18', {'width': 4}, progress=False)
