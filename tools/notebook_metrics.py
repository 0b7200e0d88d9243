#!/usr/bin/env python3
"""The shape of the library notebooks and the package, in the numbers the redesign issue tracks: the largest module, the
exported cells (median length, how many are long), the share of exported cells with a test before the next exported
cell, public functions without parameter comments, long lines and statements joined with `;`, and import circles.

Usage: python3 tools/notebook_metrics.py [--root .]   (standard library only; reads nbs/*.ipynb and inadequate_nb/*.py)
"""
import argparse, ast, io, json, statistics, tokenize
from pathlib import Path

def cells(nb:Path) -> list[tuple[str, str]]:
    "(cell type, source) of each cell of a notebook."
    return [(c['cell_type'], ''.join(c['source'])) for c in json.loads(nb.read_text(encoding='utf-8'))['cells']]

def is_exported(src:str) -> bool: return any(l.strip() in ('#| export', '#|export', '#| exports') for l in src.splitlines()[:3])

def code_lines(src:str) -> list[str]: return [l for l in src.splitlines() if l.strip() and not l.lstrip().startswith('#|')]

def semicolon_lines(src:str) -> int:
    "Lines that join statements with `;` (semicolons in strings and comments do not count)."
    try: return len({t.start[0] for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type == tokenize.OP and t.string == ';'})
    except (tokenize.TokenError, IndentationError, SyntaxError): return 0

def undocumented_functions(src:str) -> tuple[int, int]:
    "(module-level public functions with parameters, those among them whose signature has no parameter comment)."
    try: tree = ast.parse(src)
    except SyntaxError: return 0, 0
    lines, n, bare = src.splitlines(), 0, 0
    for f in tree.body:
        if not isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) or f.name.startswith('_'): continue
        args = [a for a in f.args.args + f.args.kwonlyargs if a.arg not in ('self', 'cls')]
        if not args: continue
        n += 1
        body = f.body[0].lineno - 1 if f.body else f.lineno
        bare += not any('#' in l for l in lines[f.lineno - 1:body])
    return n, bare

def import_circles(pkg:Path) -> list[list[str]]:
    "Cycles among the package's modules through their `from .x` / `from pkg.x` imports at module level."
    name, graph = pkg.name, {}
    for p in pkg.glob('*.py'):
        if p.stem.startswith('_'): continue
        deps = set()
        for node in ast.parse(p.read_text(encoding='utf-8')).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                mod = node.module.removeprefix(f'{name}.') if node.module.startswith(f'{name}.') else (node.module if node.level else None)
                if mod: deps.add(mod.split('.')[0])
        graph[p.stem] = deps & {q.stem for q in pkg.glob('*.py')}
    circles, state = [], {}
    def visit(m, path):
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1: circles.append(path[path.index(d):] + [d])
            elif d not in state: visit(d, path + [d])
        state[m] = 2
    for m in sorted(graph):
        if m not in state: visit(m, [m])
    return circles

def metrics(root:Path) -> dict:
    nbs = sorted((root/'nbs').glob('[0-9]*.ipynb'))
    exported, tested, funcs, bare, long_lines, semis, all_lines = [], 0, 0, 0, 0, 0, 0
    for nb in nbs:
        cs = cells(nb)
        for i, (t, src) in enumerate(cs):
            if t != 'code': continue
            all_lines += len(src.splitlines()); long_lines += sum(len(l) > 120 for l in src.splitlines()); semis += semicolon_lines(src)
            if not is_exported(src): continue
            exported.append(len(code_lines(src)))
            n, b = undocumented_functions(src); funcs += n; bare += b
            for t2, s2 in cs[i + 1:]:
                if t2 != 'code': continue
                if is_exported(s2) or s2.lstrip().startswith('#| hide'): break
                tested += 1; break
    modules = {p.name: len(p.read_text(encoding='utf-8').splitlines()) for p in (root/'inadequate_nb').glob('*.py') if not p.stem.startswith('_')}
    big = max(modules, key=modules.get)
    return {'notebooks': len(nbs), 'largest module': f'{big} ({modules[big]} lines)', 'exported cells': len(exported),
            'median exported cell (code lines)': statistics.median(exported), 'exported cells over 15 lines': sum(n > 15 for n in exported),
            'exported cells with a test before the next exported cell': f'{tested} ({100*tested/len(exported):.0f}%)',
            'public functions with parameters / without parameter comments': f'{funcs} / {bare}',
            'code lines over 120 characters': f'{long_lines} of {all_lines} ({100*long_lines/max(1, all_lines):.1f}%)',
            'lines joining statements with ;': semis, 'import circles': import_circles(root/'inadequate_nb') or 'none'}

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); ap.add_argument('--root', default='.')
    for k, v in metrics(Path(ap.parse_args().root)).items(): print(f'{k}: {v}')
