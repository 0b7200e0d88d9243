"""Rewrite published folders (tables, reports, executed notebooks, experiment files) with today's names of the modes.

On 2026-12-04 three sets of names changed (`inadequate_nb.core.RENAMED`, `core.MODE_SPELLINGS`):
- the FE probes, named for what they are: `paper` -> `softmax` (mode `fe_paper` -> `fe_softmax`), `converged` ->
  `logistic` (`fe_converged` -> `fe_logistic`);
- weight imprinting's modes `frozen` -> `fe`, `tuned` -> `ft` (also in the figure files `table4_*_frozen.*`);
- the spectral analysis's and t-SNE's modes `FE` -> `fe`, `FT` -> `ft` (in the analyses' tables' `mode` column only:
  figures and their own tables, under `figures/`, keep writing FE and FT, as the paper does);
- the retrieval table's column `mode` (`full`, `proxy`) -> `training` (`core.RENAMED_COLUMNS`).
The package reads old run folders, rows and experiment files with the mapping (`core.current_names`,
`core.current_table`), so nothing needs this script to work; it migrates folders that people read: the committed
`figures/` were migrated with it.

    python3 tools/rename_modes.py figures/toy figures/cifar-mnist ...   # rewrite in place, print what changed
    python3 tools/rename_modes.py --check figures                       # exit 1 if any old name is left

A CSV file is rewritten cell by cell (`csv`, as pandas writes it): column names, the cells of the columns that hold
modes or probes (`core.NAMED_FIELDS`), and an old mode named inside any cell (a claim's statement). Other text files:
the old modes of the FE probes wherever they stand as a word, the probes in `fe_protocol(s) = ...` lines, and
imprinting's modes as whole markdown table cells.
"""
import argparse, csv, io, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from inadequate_nb.core import RENAMED, OLD_FE_MODES, RENAMED_COLUMNS, NAMED_FIELDS, renamed_in, current_column, atomic_write_text  # noqa: E402

TEXT = {'.csv', '.md', '.ipynb', '.toml', '.json', '.txt'}
MODES = re.compile(r'(?<![A-Za-z0-9])(' + '|'.join(OLD_FE_MODES) + r')(?![A-Za-z0-9])')
PROTOCOL_LINE = re.compile(r'^(\s*fe_protocols?\s*=\s*)(.*)$', re.M)  # an experiment file's probes
PROTOCOL_JSON = re.compile(r'("{1,2}protocol"{1,2}:\s*"{1,2})(paper|converged)(?=")')  # a stored key's, inside a cell
MD_CELL = re.compile(r'(?<=\| )(frozen|tuned)(?= \|)')
TABLE4 = re.compile(r'(table4_[A-Za-z0-9.-]+_)(frozen|tuned)(?![A-Za-z0-9])')

class _Count:
    def __init__(self): self.n = 0
    def sub(self, rx, f, s):
        def g(m): self.n += 1; return f(m)
        return rx.sub(g, s)

def _words(s:str, c:_Count) -> str:
    s = c.sub(MODES, lambda m: RENAMED[m.group(1)], s)
    return c.sub(PROTOCOL_JSON, lambda m: m.group(1) + RENAMED[m.group(2)], s)

def renamed_csv(s:str, c:_Count, spellings:bool=True, name:str='') -> str:
    "A CSV table's text with today's names: header, the named columns' cells, old FE modes inside any cell."
    # spellings=False: a figure's table, whose `mode` column writes FE and FT as the paper does; name: the table's (its own columns)
    rows = list(csv.reader(io.StringIO(s, newline='')))
    if not rows: return s
    head = rows[0]; own = RENAMED_COLUMNS.get(name, {})
    named = {i: f for i, f in enumerate(head) if f in NAMED_FIELDS and f not in own}
    out = [[own.get(h) or _words(current_column(h), _Count()) for h in head]]; c.n += sum(a != b for a, b in zip(head, out[0]))
    for r in rows[1:]:
        new = []
        for i, v in enumerate(r):
            f = named.get(i)  # a figure's `mode` column keeps FE and FT (spellings=False)
            m = {} if f is None else RENAMED if f == 'mode' and not spellings else renamed_in(f)
            if v in m: c.n += 1; v = m[v]
            new.append(_words(v, c))
        out.append(new)
    buf = io.StringIO(newline='')
    csv.writer(buf, lineterminator='\n').writerows(out)
    return buf.getvalue()

def renamed_text(s:str, # a file's text
                 suffix:str='', # its suffix ('.csv': cell by cell)
                 figure:bool=False, # a figure's own table (under `figures/`): FE and FT stay
                 name:str='', # the table's name (a CSV file's stem)
                ) -> tuple[str, int]:
    "The text with every old name replaced, and how many were."
    c = _Count()
    if suffix == '.csv': return renamed_csv(s, c, not figure, name), c.n
    s = _words(s, c)
    def line(m):
        value = m.group(2)
        for o in ('paper', 'converged'): value = c.sub(re.compile(r'(["\'])' + o + r'\1'), lambda q, o=o: f'{q.group(1)}{RENAMED[o]}{q.group(1)}', value)
        return m.group(1) + value
    s = PROTOCOL_LINE.sub(line, s)
    s = c.sub(MD_CELL, lambda m: RENAMED[m.group(1)], s)
    s = c.sub(TABLE4, lambda m: m.group(1) + RENAMED[m.group(2)], s)
    return s, c.n

def files(folders:list) -> list[Path]:
    return sorted(f for d in folders for f in ([Path(d)] if Path(d).is_file() else Path(d).rglob('*')) if f.is_file() and f.suffix in TEXT)

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('folders', nargs='+', help='published folders or files to rewrite')
    ap.add_argument('--check', action='store_true', help='change nothing; exit 1 if an old name is left')
    a = ap.parse_args(argv)
    left = 0
    for f in files(a.folders):
        s = f.read_text(encoding='utf-8'); new, n = renamed_text(s, f.suffix, f.parent.name == 'figures', f.stem)
        to = f.with_name(TABLE4.sub(lambda m: m.group(1) + RENAMED[m.group(2)], f.name))
        if new == s and to == f: continue
        left += n + (to != f)
        if a.check: print(f'{f}: {n} old names' + (f', named {f.name}' if to != f else '')); continue
        atomic_write_text(to, new)
        if to != f: f.unlink()
        print(f'{f}: {n} renamed' + (f', now {to.name}' if to != f else ''))
    if a.check and left: print(f'{left} old names left: run python3 tools/rename_modes.py on these folders'); return 1
    return 0

if __name__ == '__main__':
    sys.exit(main())
