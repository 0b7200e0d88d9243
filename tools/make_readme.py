#!/usr/bin/env python3
"""README.md from nbs/index.ipynb (nbdev's readme_nb) without Quarto: markdown cells as they are, code cells
as fenced Python blocks, hidden cells (`#| hide`) left out. `--check` exits 1 if README.md is out of date."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src or src.startswith('#| hide'): continue
        parts.append(src if c['cell_type'] == 'markdown' else f'```python\n{src}\n```')
    return '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'


if __name__ == '__main__':
    text, readme = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        ok = readme.is_file() and readme.read_text(encoding='utf-8') == text
        if not ok: print('README.md is out of date with nbs/index.ipynb: run `make readme`')
        sys.exit(0 if ok else 1)
    readme.write_text(text, encoding='utf-8')
