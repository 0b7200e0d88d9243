#!/usr/bin/env python3
"""README.md from nbs/index.ipynb (nbdev's readme_nb) without Quarto: markdown cells as they are, code cells
as fenced Python blocks, hidden cells (`#| hide`) left out. `--check` exits 1 if README.md is out of date.

The results are not typed into the notebook: its markdown holds directives that this script fills from the committed
tables (the documentation site does the same), so every number of the results comes from a CSV under figures/.

    {{table PATH | columns=a,b,c | where=col:value;col2:value | header=A,B,C | format=.2f}}
    {{value PATH | where=col:value | column=c | format=.2f}}

`columns` may name `ci`, shown as `[ci_low, ci_high]`; `where` keeps the rows whose cells equal the values (`col:a/b`:
either; all rows when left out); a `value` directive must match exactly one row. A directive that cannot be filled (a missing file, a
column, no row) stops the script with a message that names it."""
import csv, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTIVE = re.compile(r'\{\{(table|value) ([^|}]+)((?:\|[^}]*)?)\}\}')


def _rows(path:str, where:str, root:Path) -> list[dict]:
    p = root/path.strip()
    if not p.is_file(): raise SystemExit(f'README directive: {p} does not exist (commit the table, or fix the path)')
    with open(p, newline='', encoding='utf-8') as f: rows = list(csv.DictReader(f))
    for cond in filter(None, (c.strip() for c in where.split(';'))):
        col, _, val = cond.partition(':')
        if rows and col not in rows[0]: raise SystemExit(f'README directive: {p} has no column {col!r}')
        rows = [r for r in rows if r[col] in val.split('/')]
    return rows


def _cell(v:str, fmt:str) -> str:
    try: x = float(v)
    except (TypeError, ValueError): return v
    if x != x: return 'n/a'
    return format(int(x), 'd') if fmt == 'd' or (x == int(x) and 'e' not in v and '.' not in v) else format(x, fmt)


def fill(match, root:Path=ROOT) -> str:
    "The text a directive stands for."
    kind, path, rest = match.groups()
    opts = dict(o.strip().split('=', 1) for o in rest.split('|') if o.strip())
    fmt, rows = opts.get('format', '.2f'), _rows(path, opts.get('where', ''), root)
    if kind == 'value':
        if len(rows) != 1: raise SystemExit(f'README directive {match.group(0)!r} matches {len(rows)} rows, not one')
        col = opts['column']
        if col not in rows[0]: raise SystemExit(f'README directive {match.group(0)!r}: no column {col!r}')
        return _cell(rows[0][col], fmt)
    if not rows: raise SystemExit(f'README directive {match.group(0)!r} matches no row')
    cols = opts.get('columns', ','.join(rows[0])).split(',')
    for c in cols:
        if c != 'ci' and c not in rows[0]: raise SystemExit(f'README directive {match.group(0)!r}: no column {c!r}')
    header = opts.get('header', ','.join(cols)).split(',')
    show = lambda r, c: f"[{_cell(r['ci_low'], fmt)}, {_cell(r['ci_high'], fmt)}]" if c == 'ci' else _cell(r[c], fmt)
    lines = ['| ' + ' | '.join(header) + ' |', '|' + ' --- |'*len(header)]
    return '\n'.join(lines + ['| ' + ' | '.join(show(r, c) for c in cols) + ' |' for r in rows])


def expand(text:str, root:Path=ROOT) -> str:
    "Markdown with every directive filled from the committed tables."
    return DIRECTIVE.sub(lambda m: fill(m, root), text)


def render(nb_path=ROOT/'nbs'/'index.ipynb', root:Path=ROOT) -> str:
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src or src.startswith('#| hide'): continue
        parts.append(expand(src, root) if c['cell_type'] == 'markdown' else f'```python\n{src}\n```')
    return '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'


if __name__ == '__main__':
    text, readme = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        ok = readme.is_file() and readme.read_text(encoding='utf-8') == text
        if not ok: print('README.md is out of date with nbs/index.ipynb or the committed tables: run `make readme`')
        sys.exit(0 if ok else 1)
    readme.write_text(text, encoding='utf-8')
