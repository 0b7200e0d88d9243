"""The package's import graph: no circle, and no module imports one of a higher layer (DESIGN.md section 5).

Every `import` and `from ... import` is counted, at the top of a module or inside a function."""
import ast
from pathlib import Path
from conftest import ROOT

PACKAGE = ROOT/'inadequate_nb'
LAYERS = {  # 0 core; 1 data and models; 2 science (and the formatting the notebooks share); 3 training; 4 analyses; 5 experiments; 6 runner; 7 command line
    'core': 0, 'executors': 0, 'data': 1, 'datasets': 1, 'models': 1, 'backbones': 1, 'probes': 2, 'statistics': 2, 'scores': 2, 'viz': 2,
    'trajectory': 3, 'pretrain': 3, 'distributed': 3, 'importing': 3,
    'transfer': 4, 'spectral': 4, 'assess': 4, 'imprinting': 4, 'retrieval': 4, 'selfsup': 4, 'claims': 4,
    'experiments': 5, 'runner': 6, 'cli': 7,
}


def imports() -> dict:
    "Module -> the package's modules it imports."
    graph = {}
    for f in sorted(PACKAGE.glob('*.py')):
        if f.stem.startswith('_'): continue
        names = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ''
                if node.level: mod = 'inadequate_nb.' + mod if mod else 'inadequate_nb'
                if mod == 'inadequate_nb': names |= {a.name for a in node.names}
                elif mod.startswith('inadequate_nb.'): names.add(mod.split('.')[1])
            elif isinstance(node, ast.Import):
                names |= {a.name.split('.')[1] for a in node.names if a.name.startswith('inadequate_nb.')}
        graph[f.stem] = sorted(n for n in names if n != f.stem and not n.startswith('_'))
    return graph


def test_every_module_has_a_layer():
    assert sorted(imports()) == sorted(LAYERS), 'a module was added or removed: give it a layer in LAYERS (and in the README)'


def test_no_import_circle():
    graph, state, circles = imports(), {}, []
    def visit(m, path):
        state[m] = 'open'
        for n in graph.get(m, []):
            if state.get(n) == 'open': circles.append(path[path.index(n):] + [n])
            elif n not in state: visit(n, path + [n])
        state[m] = 'done'
    for m in graph:
        if m not in state: visit(m, [m])
    assert not circles, 'import circles: ' + '; '.join(' -> '.join(c) for c in circles)


def test_nothing_imports_upward():
    upward = [f'{m} (layer {LAYERS[m]}) imports {n} (layer {LAYERS[n]})' for m, ns in imports().items() for n in ns if LAYERS[n] > LAYERS[m]]
    assert not upward, '\n'.join(upward)


def test_argparse_only_in_the_command_line():
    users = [f.stem for f in PACKAGE.glob('*.py') if 'ArgumentParser' in f.read_text() and f.stem != 'cli']
    assert not users, f'argparse parsers outside cli.py: {users}'
