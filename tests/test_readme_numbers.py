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


def test_directives_fill_from_tables(tmp_path):
    "Table and value directives read the CSV; `where` keeps the named rows; a wrong column or no row stops with a message."
    import sys, pytest
    sys.path.insert(0, str(ROOT/'tools'))
    from make_readme import expand
    (tmp_path/'t.csv').write_text('claim,estimate,ci_low,ci_high,verdict\n1,2.5,1.0,4.0,supported\n2,-0.25,-1,0.5,inconclusive\n3,7,6,8,supported\n')
    out = expand('{{table t.csv | columns=claim,estimate,ci,verdict | where=claim:1/3 | header=C,E,CI,V | format=.1f}}', tmp_path)
    assert out.splitlines() == ['| C | E | CI | V |', '| --- | --- | --- | --- |', '| 1 | 2.5 | [1.0, 4.0] | supported |', '| 3 | 7 | [6, 8] | supported |']
    assert expand('x {{value t.csv | where=claim:2 | column=estimate | format=.2f}} y', tmp_path) == 'x -0.25 y'
    with pytest.raises(SystemExit, match='no column'): expand('{{table t.csv | columns=nope}}', tmp_path)
    with pytest.raises(SystemExit, match='matches 2 rows'): expand('{{value t.csv | where=verdict:supported | column=claim}}', tmp_path)
    with pytest.raises(SystemExit, match='does not exist'): expand('{{table missing.csv}}', tmp_path)
