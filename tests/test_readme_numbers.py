"""The README's results come from the committed tables: every number in a table of its Results section is a value of
a CSV under figures/ (at the precision shown), so none is typed by hand."""
import csv, re
from pathlib import Path
from conftest import ROOT

NUMBER = re.compile(r'(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])')


def results_tables(readme:str) -> list[list[str]]:
    "The rows (cells) of every Markdown table in the Results section, header rows left out."
    section = readme.split('\n## Results', 1)[1].split('\n## ', 1)[0]
    tables, rows = [], []
    for line in section.splitlines() + ['']:
        if line.startswith('|'):
            rows.append([c.strip() for c in line.strip('|').split('|')])
        elif rows:
            tables.append(rows[2:]); rows = []  # drop the header and the rule under it
    return tables


def committed_values() -> set:
    "Every number of every committed CSV, rounded at 0 to 4 decimals: (decimals, value) pairs."
    out = set()
    for f in (ROOT/'figures').rglob('*.csv'):
        with open(f, newline='', encoding='utf-8') as fh:
            for row in csv.reader(fh):
                for cell in row:
                    for tok in NUMBER.findall(cell) or ([cell] if cell else []):
                        try: v = float(tok)
                        except ValueError: continue
                        if v != v: continue
                        out |= {(d, round(v, d)) for d in range(5)}
    return out


def test_every_number_in_the_results_tables_is_in_a_committed_table():
    readme = (ROOT/'README.md').read_text(encoding='utf-8')
    tables, known = results_tables(readme), committed_values()
    assert tables, 'the README has no results tables'
    missing = []
    for t in tables:
        for row in t:
            for cell in row:
                for tok in NUMBER.findall(cell):
                    d = len(tok.split('.')[1]) if '.' in tok else 0
                    if (d, round(float(tok), d)) not in known: missing.append((tok, cell))
    assert not missing, f'numbers in the README results tables that no committed CSV holds: {missing[:20]}'


def test_the_check_can_fail(tmp_path):
    "A number typed by hand into a results table is caught."
    readme = '# x\n\n## Results\n\n| a | b |\n| --- | --- |\n| toy | 123.4567 |\n\n## Next\n'
    tables = results_tables(readme)
    assert tables == [[['toy', '123.4567']]]
    assert (4, 123.4567) not in committed_values()
