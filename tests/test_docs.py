"""The documentation site (`make docs`, docs/build.py): built from the real notebooks and from a tiny project made
here, checked page by page, and looked at in headless Chromium with the screenshots read back by OCR."""
import ast, functools, http.server, importlib.util, json, os, re, shutil, subprocess, sys, threading, time
from html.parser import HTMLParser
from pathlib import Path
import pytest
from conftest import ROOT

_spec = importlib.util.spec_from_file_location('docs_build', ROOT/'docs'/'build.py')
docs = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(docs)
visible = lambda p: not p.name.startswith(('_', '.'))
MODULE_NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if visible(p) and p.name != 'index.ipynb')
PAPER_NBS = sorted(p for p in (ROOT/'nbs'/'paper').glob('*.ipynb') if visible(p))


# ---------------------------------------------------------------- reading notebooks and pages

def cells(nb:Path) -> list:
    return [(c['cell_type'], ''.join(c['source'])) for c in json.loads(nb.read_text(encoding='utf-8'))['cells']]


def directives(src:str) -> set:
    "nbdev's directives at the top of a code cell: `#| hide` -> {'hide'}."
    out = set()
    for line in src.splitlines():
        m = re.match(r'^#\|\s*([\w-]+)', line)
        if not m:
            if line.strip(): break
            continue
        out.add(m.group(1))
    return out


def title_of(nb:Path):
    "The notebook's `# Title`, with its formulas as the page writes them: `$F_m$` -> `\\(F_m\\)`."
    for kind, src in cells(nb):
        m = re.search(r'^#\s+(\S.*?)\s*$', src, flags=re.M) if kind == 'markdown' else None
        if m: return re.sub(r'\$([^$]+)\$', r'\\(\1\\)', m.group(1))


_BLOCKS = {'p', 'div', 'pre', 'li', 'ul', 'ol', 'br', 'td', 'th', 'tr', 'section', 'article', 'nav', 'aside', 'header',
           'footer', 'blockquote', 'details', 'summary', 'figure', 'table', 'dt', 'dd', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'}


class Page(HTMLParser):
    "The text (outside scripts and styles; block elements apart), ids, links and sources of an HTML page."
    def __init__(self, html:str):
        super().__init__(); self.parts, self.ids, self.hrefs, self.srcs, self._skip = [], set(), [], [], 0
        self.title, self._in_title, self.h1, self._in_h1 = '', False, '', False
        self.feed(html)
        self.text = re.sub(r'\s+', ' ', ''.join(self.parts))
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in _BLOCKS: self.parts.append(' ')
        if a.get('id'): self.ids.add(a['id'])
        if tag in ('script', 'style'): self._skip += 1
        if tag == 'title' and not self.title: self._in_title = True
        if tag == 'h1' and not self.h1: self._in_h1 = True
        if tag == 'a' and a.get('href') is not None: self.hrefs.append(a['href'])
        if tag in ('img', 'script') and a.get('src'): self.srcs.append(a['src'])
        if tag == 'link' and a.get('rel') in ('stylesheet', 'icon') and a.get('href'): self.srcs.append(a['href'])
    def handle_endtag(self, tag):
        if tag in _BLOCKS: self.parts.append(' ')
        if tag in ('script', 'style'): self._skip -= 1
        if tag == 'title': self._in_title = False
        if tag == 'h1': self._in_h1 = False
    def handle_data(self, data):
        if self._in_title: self.title += data
        if self._in_h1 and data != '¶': self.h1 += data      # not Sphinx's link to the heading
        if not self._skip: self.parts.append(data)


@functools.lru_cache(None)
def page(path:Path) -> Page: return Page(Path(path).read_text(encoding='utf-8'))


def norm(s:str) -> str: return re.sub(r'\s+', ' ', s).strip()


def signature_comments(fn:ast.FunctionDef, src:str) -> list:
    "The trailing comments in a function's signature: its parameters' documentation (nbdev's docments)."
    lines = src.splitlines()[fn.lineno - 1: fn.body[0].lineno - 1]
    return [m.group(1).strip() for l in lines for m in [re.search(r'#\s*(.+?)\s*$', l)] if m and not l.lstrip().startswith('#')]


def exported_functions(nb:Path):
    "(name, parameter comments) for every public function nbdev documents: top-level in an export cell that is not hidden."
    for kind, src in cells(nb):
        d = directives(src)
        if kind != 'code' or not d & {'export', 'exports'} or 'hide' in d: continue
        lines = src.splitlines()
        while lines and (lines[0].startswith('#|') or not lines[0].strip()): lines.pop(0)
        body = '\n'.join(lines)
        for n in ast.parse(body).body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith('_'):
                yield n.name, signature_comments(n, body)


# ---------------------------------------------------------------- the real site

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp('docs')
    t0 = time.time()
    out = docs.build(d/'site', d/'work', log=lambda *a: None)
    print(f'\nsite built in {time.time() - t0:.0f} s')
    return out


def test_every_notebook_has_a_page(site):
    home = site/'index.html'
    assert home.is_file()
    index_nb = ROOT/'nbs'/'index.ipynb'
    home_title = title_of(index_nb) if index_nb.is_file() else re.search(r'^#\s+(.+)$', (ROOT/'README.md').read_text(), re.M).group(1)
    assert norm(home_title) == norm(page(home).h1)
    assert MODULE_NBS and PAPER_NBS
    for nb in MODULE_NBS + PAPER_NBS:
        name = f'paper/{nb.stem}' if nb.parent.name == 'paper' else docs.page_name(nb)
        html = site/f'{name}.html'
        assert html.is_file(), f'{nb.relative_to(ROOT)} has no page {name}.html'
        assert norm(title_of(nb)) == norm(page(html).h1) and norm(title_of(nb)) in page(html).title, (nb.name, page(html).h1)
        assert f'{name}.html' in page(home).hrefs, f'the navigation does not link {name}.html'


def test_no_hidden_cell_source_appears(site):
    checked = 0
    for nb in MODULE_NBS + PAPER_NBS + [p for p in [ROOT/'nbs'/'index.ipynb'] if p.is_file()]:
        name = 'index' if nb.name == 'index.ipynb' else f'paper/{nb.stem}' if nb.parent.name == 'paper' else docs.page_name(nb)
        text = page(site/f'{name}.html').text
        cs = cells(nb)
        hidden = [s for k, s in cs if k == 'code' and 'hide' in directives(s)]
        shown = '\n'.join(s for k, s in cs if not (k == 'code' and directives(s) & {'hide', 'export', 'exporti', 'default_exp'}))
        for src in hidden:
            for line in src.splitlines():
                line = norm(line)
                if len(line) < 8 or line.startswith('#') or line in norm(shown): continue
                assert line not in text, f'{nb.name}: the hidden line {line!r} appears on {name}.html'
                checked += 1
    assert checked >= len(MODULE_NBS), f'only {checked} hidden lines checked: every module notebook has hidden cells'


def test_exported_functions_show_signature_and_parameter_docs(site):
    n_fn = n_doc = 0
    for nb in MODULE_NBS:
        p = page(site/f'{docs.page_name(nb)}.html')
        for name, comments in exported_functions(nb):
            assert f'def {name}(' in p.text, f'{nb.name}: no signature of {name} on {docs.page_name(nb)}.html'
            assert name.lower() in p.ids, f'{nb.name}: no anchor #{name.lower()} (nbdev links to it)'
            for c in comments:
                assert norm(c) in p.text, f'{nb.name}: the parameter documentation {c!r} of {name} is missing'
            n_fn += 1; n_doc += len(comments)
    assert n_fn >= 3 * len(MODULE_NBS) // 2 and n_doc >= n_fn, (n_fn, n_doc)


def _pages(site):
    return [p for p in site.rglob('*.html') if p.name not in ('genindex.html', 'search.html')]


def test_links_resolve_and_no_quarto_leftovers(site):
    n_internal = 0
    for html in _pages(site):
        p = page(html)
        for href in p.hrefs:
            if re.match(r'^[a-z][\w+.-]*:', href) or href.startswith('//'): continue
            path, _, anchor = href.partition('#')
            target = (html.parent/path).resolve() if path else html
            if target.is_dir(): target = target/'index.html'
            assert target.is_file(), f'{html.relative_to(site)} links to the missing {href}'
            if anchor and target.suffix == '.html':
                assert anchor in page(target).ids, f'{html.relative_to(site)} links to {href}: no such anchor'
            n_internal += 1
        for left in ('{target=', 'output-file:', '#| ', ':::', 'code-fold', 'WARNING: THIS FILE WAS AUTOGENERATED'):
            assert left not in p.text, f'{html.relative_to(site)} still shows {left!r}'
    assert n_internal > 100


def test_works_offline(site):
    "Every script, style sheet and image comes from the site itself; MathJax is served from it."
    for html in _pages(site):
        for src in page(html).srcs:
            assert not re.match(r'^(https?:)?//', src), f'{html.relative_to(site)} loads {src} from the network'
            assert (html.parent/src.split('?')[0]).is_file(), f'{html.relative_to(site)} loads the missing {src}'
    assert (site/'_static'/'mathjax'/'MathJax.js').is_file()
    assert (site/'_static'/'mathjax'/'config'/'TeX-AMS-MML_HTMLorMML-full.js').is_file()
    math = [h for h in _pages(site) if 'class="math notranslate' in h.read_text(encoding='utf-8')]
    assert math, 'no page has math, yet the notebooks write formulas'
    assert all('_static/mathjax/MathJax.js' in h.read_text(encoding='utf-8') for h in math)
    assert (site/'.nojekyll').is_file()


def test_paper_pages_show_their_figures(site):
    for nb in PAPER_NBS:
        html = site/'paper'/f'{nb.stem}.html'
        p = page(html)
        src, executed = docs.paper_source(nb.stem, 'toy')
        imgs = [s for s in p.srcs if re.search(r'\.(png|jpe?g|svg)$', s)]
        published = [f for f in (ROOT/'figures'/'toy'/'figures').glob(f'{nb.stem}*.png')
                     if f.stem == nb.stem or f.stem.startswith(nb.stem + '_')]
        if executed:
            assert 'The executed copy' in p.text and src.relative_to(ROOT).as_posix() in p.text
            if any(o.get('output_type') in ('display_data', 'execute_result') and 'image/png' in o.get('data', {})
                   for c in json.loads(src.read_text())['cells'] for o in c.get('outputs', [])):
                assert imgs, f'{html.name}: the executed notebook has figures, the page none'
        else:
            assert 'No executed copy' in p.text
            assert len(imgs) == len(published), f'{html.name}: {len(published)} published figures, {len(imgs)} shown'
        for s in imgs: assert (html.parent/s).is_file()


# ---------------------------------------------------------------- a tiny project: every conversion, deterministically

PNG = bytes.fromhex('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082')


def nb_json(*cs, meta=None):
    out = []
    for i, c in enumerate(cs):
        kind, src = c[:2]
        cell = {'cell_type': kind, 'id': f'x{i}', 'metadata': {}, 'source': src}
        if kind == 'code': cell.update(execution_count=None, outputs=list(c[2]) if len(c) > 2 else [])
        out.append(cell)
    return json.dumps({'cells': out, 'metadata': meta or {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
                       'nbformat': 4, 'nbformat_minor': 5})


def make_project(root:Path, index=True) -> Path:
    (root/'nbs'/'paper').mkdir(parents=True)
    shutil.copy(ROOT/'settings.ini', root/'settings.ini')
    (root/'figures'/'toy'/'figures').mkdir(parents=True)
    (root/'figures'/'toy'/'figures'/'figa.png').write_bytes(PNG)
    (root/'figures'/'toy'/'figures'/'figab.png').write_bytes(PNG)            # another notebook's figure (prefix only)
    (root/'docs').mkdir(); (root/'docs'/'NOTES.md').write_text('notes'); (root.parent/'outside.md').write_text('not ours')
    (root/'README.md').write_text('# tiny from readme\n\nThe README. See [alpha](nbs/00_alpha.ipynb).\n\n![plot](figures/toy/figures/figa.png)\n')
    if index:
        (root/'nbs'/'index.ipynb').write_text(nb_json(
            ('markdown', '# tiny\n\n> A tiny project.\n\nIntro kept after the title.\n\n![plot](../figures/toy/figures/figa.png)\n\n'
                         'See [the alpha notebook](00_alpha.ipynb), [the notes](../docs/NOTES.md) and '
                         '[a file outside the repository](../../outside.md).'),
            ('code', "#| hide\nINDEX_SECRET = 'hidden-index-marker'"),
            ('code', "print('shown')", [{'output_type': 'stream', 'name': 'stdout', 'text': ['shown-output\n']}])))
    (root/'nbs'/'00_alpha.ipynb').write_text(nb_json(
        ('code', '#| default_exp alpha'),
        ('code', '#| hide\nSECRET_VALUE = "hidden-alpha-marker"'),
        ('markdown', '# Alpha\n\n> The first module.'),
        ('markdown', '## Adding\n\nThe sum $a + b$ of `add_things`; an [attributed link](https://example.org){target="_blank"}.'),
        ('code', '#| export\ndef add_things(a:int, # the first addend\n               b:int=1, # the second addend, like the seed of `seed_everything`\n              )->int:\n'
                 '    "Add `a` and `b`."\n    return a + b'),
        ('code', '#| exports\ndef shown_source(x):\n    "Its source is shown, folded."\n    return x * 7777'),
        ('code', 'import math\nassert add_things(2) == 3\nundefined_name_in_a_test_cell'),
        ('code', '#| echo: false\nprint("echo off")', [{'output_type': 'stream', 'name': 'stdout', 'text': ['only-the-output\n']}]),
        ('code', '#| hide\nimport nbdev; nbdev.nbdev_export()')))
    (root/'nbs'/'paper'/'figa.ipynb').write_text(nb_json(
        ('markdown', '# Figure A\n\n> A paper figure.'), ('code', "preset = 'toy'"), ('code', 'print(preset)')))
    return root


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp('tiny'))
    return docs.build(root/'_site', root/'build'/'docs', root=root, log=lambda *a: None), root


def test_tiny_home_page_is_the_index_notebook(tiny):
    site, root = tiny
    p = page(site/'index.html')
    assert sorted(f.name for f in root.iterdir()) == ['README.md', '_site', 'build', 'docs', 'figures', 'nbs', 'settings.ini']
    assert p.h1 == 'tiny' and 'A tiny project.' in p.text and 'Intro kept after the title.' in p.text
    assert 'hidden-index-marker' not in p.text and 'shown-output' in p.text
    img = [s for s in p.srcs if s.endswith('figa.png')]
    assert img and (site/img[0]).read_bytes() == PNG
    assert 'alpha.html' in p.hrefs and 'paper/figa.html' in p.hrefs
    assert 'https://github.com/inadequate-nb/inadequate_nb/blob/main/docs/NOTES.md' in p.hrefs
    assert 'a file outside the repository' in p.text and not any('outside' in h for h in p.hrefs)


def test_tiny_api_page(tiny):
    site, root = tiny
    p, html = page(site/'alpha.html'), (site/'alpha.html').read_text()
    assert p.h1 == 'Alpha' and 'Alpha' in p.title and 'The first module.' in p.text
    assert "def add_things( a:int, # the first addend b:int=1, # the second addend, like the seed of `seed_everything` )->int:" in p.text
    assert 'Add a and b.' in p.text and 'add_things' in p.ids
    assert 'hidden-alpha-marker' not in p.text and 'nbdev_export' not in p.text and 'default_exp' not in p.text
    assert 'return a + b' not in p.text                        # an export cell shows its signature, not its body
    assert 'return x * 7777' in p.text and '<details' in html  # an exports cell shows its source, folded
    assert 'only-the-output' in p.text and 'echo off' not in p.text
    assert 'undefined_name_in_a_test_cell' in p.text           # a test cell that nbdev would run (and fail on) is shown as it is
    assert 'https://example.org' in p.hrefs and '{target=' not in p.text
    assert 'class="math' in html and r'\(a + b\)' in html


def test_tiny_paper_page_without_an_executed_copy(tiny):
    site, root = tiny
    p = page(site/'paper'/'figa.html')
    assert p.h1 == 'Figure A' and 'No executed copy' in p.text and 'make reproduce' in p.text
    imgs = [s for s in p.srcs if s.endswith('.png')]
    assert len(imgs) == 1 and imgs[0].endswith('figa.png')    # figa.png, not figab.png
    assert (site/'paper'/imgs[0]).read_bytes() == PNG


def test_home_page_falls_back_to_readme(tmp_path):
    root = make_project(tmp_path, index=False)
    pages = docs.collect_pages(root)
    assert pages[0].name == 'index' and pages[0].src == root/'README.md'
    src = tmp_path/'src'; src.mkdir()
    docs.Converter(pages, src, root).write_all({})
    md = (src/'index.md').read_text()
    assert md.startswith('# tiny from readme') and '[alpha](alpha.html)' in md and '```{toctree}' in md
    assert re.search(r'!\[plot\]\(_assets/\w+-figa\.png\)', md)


def test_paper_source_prefers_a_finished_executed_copy(tmp_path):
    (tmp_path/'nbs'/'paper').mkdir(parents=True)
    runs = tmp_path/'runs'/'toy'/'notebooks'; runs.mkdir(parents=True)
    pm = lambda exc, status: nb_json(('code', 'x = 1'), meta={'papermill': {'exception': exc, 'end_time': 'T'}})
    def write(path, exc, status):
        nb = json.loads(pm(exc, status)); nb['cells'][0]['metadata']['papermill'] = {'status': status}
        path.write_text(json.dumps(nb))
    assert docs.paper_source('f', 'toy', tmp_path) == (tmp_path/'nbs'/'paper'/'f.ipynb', False)
    write(runs/'f.ipynb', True, 'failed')
    assert docs.paper_source('f', 'toy', tmp_path)[1] is False           # papermill recorded an exception
    write(runs/'f.ipynb', None, 'pending')
    assert docs.paper_source('f', 'toy', tmp_path)[1] is False           # a cell never ran
    write(runs/'f.ipynb', None, 'completed')
    assert docs.paper_source('f', 'toy', tmp_path) == (runs/'f.ipynb', True)
    pub = tmp_path/'figures'/'toy'/'notebooks'; pub.mkdir(parents=True); write(pub/'f.ipynb', None, 'completed')
    assert docs.paper_source('f', 'toy', tmp_path) == (pub/'f.ipynb', True)   # the published copy comes first


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match='refusing to use .* as the site folder.*--out _site'):
        docs.build(ROOT, tmp_path/'w')
    with pytest.raises(ValueError, match='refusing'):
        docs.build(ROOT/'nbs'/'..', tmp_path/'w')
    with pytest.raises(ValueError, match='refusing to use .*nbs as the site folder'):
        docs.build(ROOT/'nbs', tmp_path/'w')                      # not empty, and no site built there before
    (tmp_path/'old').mkdir(); (tmp_path/'old'/'.buildinfo').write_text('x'); (tmp_path/'old'/'page.html').write_text('x')
    docs._safe_to_clear(tmp_path/'old', ROOT)                    # a site built before may be replaced
    with pytest.raises(FileNotFoundError, match='no notebooks in .*nbs'):
        docs.build(tmp_path/'site', tmp_path/'w', root=tmp_path)
    with pytest.raises(ValueError, match="preset '../x' is not a preset name"):
        docs.build(tmp_path/'site', tmp_path/'w', preset='../x')
    root = make_project(tmp_path/'p')
    (root/'nbs'/'01_clash.ipynb').write_text((root/'nbs'/'00_alpha.ipynb').read_text())
    (root/'nbs'/'02_alpha.ipynb').write_text((root/'nbs'/'00_alpha.ipynb').read_text())
    with pytest.raises(ValueError, match='00_alpha.ipynb would both be the page alpha.html|02_alpha.ipynb and 00_alpha.ipynb'):
        docs.collect_pages(root)
    pages = docs.collect_pages(make_project(tmp_path/'q'))
    with pytest.raises(FileNotFoundError, match="shows the image 'missing.png', which exists neither"):
        docs.Converter(pages, tmp_path/'src', tmp_path/'q').asset(pages[1], 'missing.png')
    r = subprocess.run([sys.executable, str(ROOT/'docs'/'build.py'), '--out', str(ROOT)], capture_output=True, text=True)
    assert r.returncode == 1 and 'docs: refusing' in r.stderr and 'Traceback' not in r.stderr


# ---------------------------------------------------------------- a person's view: headless Chromium and OCR

DEBIAN = ['chromium', 'tesseract-ocr', 'fonts-dejavu-core']             # the browser, the OCR, fonts for the pages


@pytest.fixture(scope='module')
def tools() -> dict:
    "Paths of chromium and tesseract, installed from Debian first when missing and we may (root with apt-get)."
    found = {n: shutil.which(n) for n in ('chromium', 'tesseract')}
    if all(found.values()): return found
    missing = ' and '.join(n for n, p in found.items() if not p)
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        pytest.skip(f'{missing} not installed, and only root can install them here: run '
                    f'`sudo apt-get install -y {" ".join(DEBIAN)}` (Debian), then rerun this test')
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    for cmd in (['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', *DEBIAN]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        assert r.returncode == 0, f'{" ".join(cmd)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}'
    found = {n: shutil.which(n) for n in ('chromium', 'tesseract')}
    assert all(found.values()), f'installed {" ".join(DEBIAN)}, yet {found}'
    return found


@pytest.fixture(scope='module')
def served(site):
    "The site over HTTP on the loopback interface, as a static host would serve it."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(site))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}'
    srv.shutdown(); srv.server_close()


def chromium(tools:dict, url:str, *args, tmp:Path, size=(1280, 900)) -> subprocess.CompletedProcess:
    cmd = [tools['chromium'], '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync', f'--user-data-dir={tmp/"profile"}',
           '--virtual-time-budget=10000', '--hide-scrollbars', f'--window-size={size[0]},{size[1]}', *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def screenshot(tools:dict, url:str, png:Path, tmp:Path, size=(1280, 900)) -> str:
    """Screenshot `url` from its top (headless Chromium paints a page scrolled to an #anchor out of place), at twice
    the pixel density for the OCR; return the text tesseract reads in it."""
    chromium(tools, url, '--force-device-scale-factor=2', f'--screenshot={png}', tmp=tmp, size=size)
    assert png.is_file(), f'chromium wrote no screenshot of {url}'
    from PIL import Image, ImageStat
    im = Image.open(png).convert('L')
    assert im.size == (2 * size[0], 2 * size[1])
    assert ImageStat.Stat(im).stddev[0] > 20, f'the screenshot of {url} is (nearly) blank'
    r = subprocess.run([tools['tesseract'], str(png), '-'], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    return r.stdout


def squash(s:str) -> str: return re.sub(r'[^a-z0-9]', '', s.lower())


def test_screenshots_of_the_home_page_and_an_api_page(site, served, tools, tmp_path):
    # the home page: the project's name in the sidebar, the README's title, the module pages in the navigation
    index_nb = ROOT/'nbs'/'index.ipynb'
    home_title = title_of(index_nb) if index_nb.is_file() else re.search(r'^#\s+(.+)$', (ROOT/'README.md').read_text(), re.M).group(1)
    shot = tmp_path/'home.png'
    text = squash(screenshot(tools, f'{served}/index.html', shot, tmp_path))
    assert 'inadequatenb' in text and squash(home_title) in text, text
    for nb in MODULE_NBS[:4]: assert squash(title_of(nb)) in text, (title_of(nb), text)
    # an API page (a taller window): its title and its first documented function's name, signature and parameter docs
    core = ROOT/'nbs'/'00_core.ipynb'
    name, comments = next((n, c) for n, c in exported_functions(core) if c)
    shot = tmp_path/'api.png'
    text = squash(screenshot(tools, f'{served}/core.html', shot, tmp_path, size=(1280, 1600)))
    assert squash(title_of(core)) in text, text
    assert squash(f'def {name}(') in text, f'the signature of {name} is not in the first screen of core.html: {text}'
    assert squash(comments[0]) in text, (comments[0], text)
    # the rendered DOM: the page's own title, and the formulas typeset by the MathJax that the site serves itself
    dom = chromium(tools, f'{served}/core.html', '--dump-dom', tmp=tmp_path).stdout
    assert f'def {name}(' in norm(Page(dom).text) and title_of(core) in Page(dom).title
    n_math = {h: h.read_text(encoding='utf-8').count('class="math notranslate') for h in _pages(site)}
    math_page = min((h for h in n_math if n_math[h]), key=n_math.get)         # the page with the fewest formulas
    dom = chromium(tools, f'{served}/{math_page.relative_to(site).as_posix()}', '--dump-dom', tmp=tmp_path).stdout
    typeset = re.findall(r'<span class="MathJax" id="MathJax-Element-\d+-Frame"', dom)
    assert typeset and not re.search(r'class="[^"]*\bMathJax_Error\b', dom), f'MathJax did not typeset {math_page.name}'
    assert len(typeset) == n_math[math_page], f'{n_math[math_page] - len(typeset)} formulas of {math_page.name} were not typeset'
