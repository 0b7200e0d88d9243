"The rules of imprinting, retrieval and MoCo-v2 against independent reference implementations, and bad input."
import collections, json, math
import pytest, torch, torch.nn as nn, torch.nn.functional as F
from inadequate_nb.core import RunLayout
from inadequate_nb.data import ImageData, load_dataset
from inadequate_nb.pretrain import PretrainConfig, pretrain
from inadequate_nb.transfer import AnalysisContext
from inadequate_nb.imprinting import imprint_weights, draw_shots, imprinting_analysis, ImprintingConfig
from inadequate_nb.retrieval import recall_at_k, Vocabulary, build_vocabulary, RetrievalSplit, read_coco_captions, coco_retrieval, retrieval_analysis
from inadequate_nb.selfsup import KeyQueue, momentum_update, info_nce_logits, MocoConfig, moco_analysis


# --- weight imprinting ---

@pytest.mark.parametrize('seed', [0, 1, 2])
def test_imprinted_weights_are_normalised_class_means(seed):
    g = torch.Generator().manual_seed(seed)
    f, y = torch.randn(40, 7, generator=g)*torch.rand(40, 1, generator=g)*5, torch.randint(0, 4, (40,), generator=g)
    classes = [c for c in range(4) if (y == c).any()]
    w = imprint_weights(f, y, classes).double()
    for row, c in zip(w, classes):
        z = torch.stack([v/v.norm() for v, l in zip(f.double(), y) if l == c]).mean(0)
        assert torch.allclose(row, z/z.norm(), atol=1e-6)


def test_shots_are_per_class_and_nested():
    y = torch.arange(5).repeat_interleave(8)
    for n in (1, 3, 8):
        idx = draw_shots(y, [1, 3], n, seed=4)
        assert torch.bincount(y[idx], minlength=5).tolist() == [0, n, 0, n, 0]
    assert set(draw_shots(y, [3], 3, seed=4).tolist()) < set(draw_shots(y, [3], 5, seed=4).tolist())


def test_more_shots_than_a_class_has():
    with pytest.raises(ValueError, match="class 'cat' has 2 training images, fewer than the 5 shots asked for; ask for at most 2"):
        draw_shots(torch.tensor([0, 0, 1, 1, 1, 1, 1]), [0, 1], 5, class_names=['cat', 'dog'])


# --- retrieval ---

def _brute_recall(s, ci, ks):
    "Recall@K by sorting every row and column with Python's sorted (score descending, then index)."
    N, M = len(s), len(s[0])
    i2t = [min(sorted(range(M), key=lambda j: (-s[i][j], j)).index(j) for j in range(M) if ci[j] == i) for i in range(N)]
    t2i = [sorted(range(N), key=lambda i: (-s[i][j], i)).index(ci[j]) for j in range(M)]
    r = {f'i2t_r{k}': 100*sum(x < k for x in i2t)/N for k in ks} | {f't2i_r{k}': 100*sum(x < k for x in t2i)/M for k in ks}
    return r | {'rsum': sum(r.values())}


@pytest.mark.parametrize('seed,N,extra,levels', [(0, 7, 0, 1000), (1, 9, 13, 4), (2, 15, 30, 3), (3, 5, 20, 2)])
def test_recall_at_k_matches_brute_force(seed, N, extra, levels):
    g = torch.Generator().manual_seed(seed)
    ci = torch.cat([torch.arange(N), torch.randint(0, N, (extra,), generator=g)])
    s = torch.randint(0, levels, (N, len(ci)), generator=g).float()  # few levels: many ties
    got, want = recall_at_k(s, ci, ks=(1, 3, 5)), _brute_recall(s.tolist(), ci.tolist(), (1, 3, 5))
    assert got.keys() == want.keys()
    for k in want: assert math.isclose(got[k], want[k], abs_tol=1e-4), (k, got[k], want[k])


def test_bad_captions_are_refused():
    v = build_vocabulary(['a red disk', 'a blue ring'], max_length=5)
    with pytest.raises(ValueError, match=r"caption 1 is empty \(no words\)"):
        v.encode(['a red disk', '   '])
    with pytest.raises(ValueError, match='caption 0 has 7 words, more than the limit of 5'):
        v.encode(['a very red disk on the left', 'a disk'])
    with pytest.raises(ValueError, match='no captions'):
        build_vocabulary([])


def test_caption_pointing_at_no_image():
    im = ImageData(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.zeros(2, dtype=torch.long), ['x'], 'two')
    with pytest.raises(ValueError, match='caption 2 points at image 2, but the split has images 0..1'):
        RetrievalSplit(im, ['a', 'b', 'c'], [0, 1, 2])
    with pytest.raises(ValueError, match='caption 0 points at image -1'):
        RetrievalSplit(im, ['a', 'b'], [-1, 1])


def test_coco_annotation_pointing_at_no_image(tmp_path):
    ann = tmp_path/'captions_val2014.json'
    ann.write_text(json.dumps({'images': [{'id': 1, 'file_name': 'a.jpg'}],
                               'annotations': [{'id': 5, 'image_id': 1, 'caption': 'x'}, {'id': 6, 'image_id': 42, 'caption': 'y'}]}))
    with pytest.raises(ValueError, match='caption annotation 6 points at image id 42'):
        read_coco_captions(ann)
    with pytest.raises(FileNotFoundError, match=r'coco/annotations/captions_\{train2014,val2014\}.json'):
        coco_retrieval(tmp_path)


# --- MoCo-v2 ---

def test_queue_is_a_fifo_of_the_newest_keys():
    "Against a deque model: after any sequence of pushes the queue holds exactly the newest `size` keys."
    g = torch.Generator().manual_seed(0)
    q = KeyQueue(1, 6, g); model = collections.deque(q.keys[:, 0].tolist(), maxlen=6)
    order = collections.deque(range(6))  # slot of the oldest entry first
    value = 100.
    for n in [1, 3, 2, 6, 4, 5, 1]:
        keys = torch.arange(value, value + n).view(n, 1); value += n
        q.push(keys); model.extend(keys[:, 0].tolist())
        assert sorted(q.keys[:, 0].tolist()) == sorted(model)
    with pytest.raises(ValueError, match='make queue_size at least the batch size'):
        q.push(torch.zeros(7, 1))


def test_momentum_update_closed_form():
    "t updates towards a fixed query give k_t = m^t k_0 + (1 - m^t) q."
    qn, kn = nn.Linear(4, 3), nn.Linear(4, 3).requires_grad_(False)
    k0 = [p.clone() for p in kn.parameters()]
    for _ in range(5): momentum_update(kn, qn, 0.8)
    for pk, p0, pq in zip(kn.parameters(), k0, qn.parameters()):
        assert torch.allclose(pk, 0.8**5*p0 + (1 - 0.8**5)*pq.detach(), atol=1e-6)


def test_info_nce_positive_first():
    g = torch.Generator().manual_seed(0)
    q = F.normalize(torch.randn(4, 8, generator=g), dim=1)
    logits, target = info_nce_logits(q, q, -q, temperature=0.5)
    assert torch.allclose(logits[:, 0], torch.full((4,), 2.0)) and (target == 0).all()
    assert (logits.argmax(1) == 0).all()  # a key equal to the query beats everything


def test_bad_moco_configs():
    with pytest.raises(ValueError, match='queue must hold at least one batch'):
        MocoConfig(batch_size=64, queue_size=32)
    with pytest.raises(ValueError, match='not divisible by bn_splits=3'):
        MocoConfig(batch_size=64, bn_splits=3)


# --- the analyses refuse bad options before any work ---

@pytest.fixture(scope='module')
def tiny_ctx(tmp_path_factory):
    lay = RunLayout(tmp_path_factory.mktemp('tiny'))
    tr, te = load_dataset('shapes10', 'train', n_train=128, size=8), load_dataset('shapes10', 'test', n_test=64, size=8)
    traj = pretrain(PretrainConfig(arch_kwargs={'width': 4}, epochs=1, save_epochs=[1], batch_size=64, lr=0.05), tr, te, lay.trajectory, progress=False)
    return AnalysisContext(traj, load_dataset('digits', 'train'), load_dataset('digits', 'test'), lay, None, progress=False)


def test_analyses_refuse_bad_options(tiny_ctx):
    with pytest.raises(ValueError, match='fewer than the 400 shots asked for'):
        imprinting_analysis(tiny_ctx, shots=[1, 400])
    with pytest.raises(ValueError, match=r"imprinting modes must be 'fe' \(frozen features\) or 'ft'"):
        imprinting_analysis(tiny_ctx, modes=['finetuned'])
    with pytest.raises(ValueError, match='at least one base and one novel'):
        imprinting_analysis(tiny_ctx, n_base=10)
    with pytest.raises(ValueError, match="'shapes10' \\(embedded\\) or 'coco'"):
        retrieval_analysis(tiny_ctx, dataset='flickr')
    with pytest.raises(ValueError, match='proxy_fraction=0 must lie in'):
        retrieval_analysis(tiny_ctx, proxy_fraction=0)
    with pytest.raises(ValueError, match='more than the limit of 3'):
        retrieval_analysis(tiny_ctx, n_train=20, n_val=10, n_test=10, max_length=3)
    with pytest.raises(ValueError, match='fewer than one batch of 256'):
        moco_analysis(tiny_ctx, source_options=dict(n_train=100, n_test=20), batch_size=256)
    assert not (tiny_ctx.layout.root/'imprinting.csv').exists() and not (tiny_ctx.layout.root/'retrieval.csv').exists()
