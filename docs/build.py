#!/usr/bin/env python3
"""Build the documentation site from the notebooks, offline and without Quarto.

    python docs/build.py [--out _site] [--work build/docs] [--preset toy] [--jobs 2]

1. Pick the pages: `nbs/index.ipynb` (the README's source; `README.md` when it is missing) is the home page,
   every `nbs/*.ipynb` is an API page named as nbdev names it (`00_core.ipynb` -> `core.html`), and every
   `nbs/paper/*.ipynb` is a page under `paper/`: the executed copy from a finished run of `--preset` when there is
   one (`figures/PRESET/notebooks/`, then `runs/PRESET/notebooks/`; a copy counts as finished when papermill
   recorded no exception and ran every cell), else the source without outputs plus the figures that run published
   into `figures/PRESET/figures/`.
2. nbdev processes each notebook, as `nbdev_proc_nbs` would (its `FilterDefaults` processors, one process per
   notebook, results cached under WORK/proc by content hash): hidden and export cells go, and each exported
   function gets its `show_doc` signature with the parameters' documentation.
3. The Quarto-isms left in nbdev's output are converted for MyST: the YAML front-matter cell becomes the page title
   and summary, `#| echo: false`/`output: asis` cells become markdown, `{target=...}` attributes go, links to the
   nbdev doc host become relative links with an anchor per documented name, local images are copied in.
4. Sphinx (myst-nb, saved outputs only, furo theme, MathJax 2 served from the site) builds OUT with `-W`.
"""
import argparse, hashlib, json, os, re, shutil, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from configparser import ConfigParser
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT/'docs'
_NUM_PREFIX = re.compile(r'^\d+[a-zA-Z0-9]*_')


def page_name(nb:Path) -> str:
    "The page an nbdev notebook becomes, as nbdev names it: `00_core.ipynb` -> `core`."
    return _NUM_PREFIX.sub('', Path(nb).stem.lower())


def settings(root:Path=ROOT) -> dict:
    "The [DEFAULT] section of settings.ini."
    cfg = ConfigParser(delimiters=['=']); cfg.read(root/'settings.ini', encoding='utf-8')
    return dict(cfg['DEFAULT'])


def executed_ok(path:Path) -> bool:
    "Is `path` a notebook that papermill ran to the end without an exception?"
    try: nb = json.loads(Path(path).read_text(encoding='utf-8'))
    except (OSError, ValueError): return False
    pm = nb.get('metadata', {}).get('papermill')
    if not pm or pm.get('exception') or 'end_time' not in pm: return False  # (the runner keeps the key, not the time)
    code = [c for c in nb.get('cells', []) if c.get('cell_type') == 'code']
    return all(c.get('metadata', {}).get('papermill', {}).get('status') == 'completed' for c in code)


def paper_source(name:str, # the paper notebook's stem, e.g. 'fig1_toy'
                 preset:str, # the run whose executed copy to show
                 root:Path=ROOT) -> tuple[Path, bool]:
    "The notebook to render for paper notebook `name`: (path, executed)."
    for d in (root/'figures'/preset/'notebooks', root/'runs'/preset/'notebooks'):
        p = d/f'{name}.ipynb'
        if p.is_file() and executed_ok(p): return p, True
    return root/'nbs'/'paper'/f'{name}.ipynb', False


@dataclass
class Page:
    name: str                        # Sphinx document name: 'index', 'core', 'paper/fig1_toy'
    src: Path                        # the file rendered (a notebook, or README.md for a home page without index.ipynb)
    origin: Path                     # the committed source it comes from
    kind: str                        # 'index', 'module' or 'paper'
    executed: bool = True
    figures: list = field(default_factory=list)   # published figures shown under a paper notebook without outputs

    @property
    def depth(self): return self.name.count('/')


def collect_pages(root:Path=ROOT, preset:str='toy') -> list[Page]:
    "Every page of the site, home page first."
    nbs = root/'nbs'
    if not nbs.is_dir() or not any(nbs.glob('*.ipynb')):
        raise FileNotFoundError(f'no notebooks in {nbs}: run docs/build.py from a checkout of the project (nbs/*.ipynb)')
    visible = lambda p: not p.name.startswith(('_', '.'))
    pages = []
    if (nbs/'index.ipynb').is_file(): pages.append(Page('index', nbs/'index.ipynb', nbs/'index.ipynb', 'index'))
    elif (root/'README.md').is_file(): pages.append(Page('index', root/'README.md', root/'README.md', 'index'))
    else: raise FileNotFoundError(f'neither {nbs/"index.ipynb"} nor {root/"README.md"} exists: the site needs a home page')
    names = {}
    for nb in sorted(filter(visible, nbs.glob('*.ipynb'))):
        if nb.name == 'index.ipynb': continue
        n = page_name(nb)
        if n in names or n == 'index': raise ValueError(f'{nb.name} and {names.get(n, "index.ipynb")} would both be the page {n}.html: rename one')
        names[n] = nb.name
        pages.append(Page(n, nb, nb, 'module'))
    for nb in sorted(filter(visible, (nbs/'paper').glob('*.ipynb'))):
        src, executed = paper_source(nb.stem, preset, root)
        figs = [] if executed else sorted(p for p in (root/'figures'/preset/'figures').glob(f'{nb.stem}*.png')
                                          if p.stem == nb.stem or p.stem.startswith(nb.stem + '_'))
        pages.append(Page(f'paper/{nb.stem}', src, nb, 'paper', executed, figs))
    return pages


# ---------------------------------------------------------------- step 2: nbdev's processors

def _split_title_cell(nb:dict) -> dict:
    "nbdev turns the first `# Title` markdown cell into front matter and drops the rest of it: keep the rest as its own cell."
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'markdown': continue
        lines = ''.join(c['source']).splitlines()
        h1 = next((j for j, l in enumerate(lines) if re.match(r'^#\s+\S', l)), None)
        if h1 is None: continue                                      # nbdev, too, looks on for the title
        q = next((j for j, l in enumerate(lines) if j > h1 and re.match(r'^>\s+\S', l)), None)
        keep = [lines[h1]] + ([lines[q]] if q is not None else [])
        rest = [l for j, l in enumerate(lines) if j not in (h1, q)]
        c['source'] = '\n'.join(keep)
        if '\n'.join(rest).strip():
            nb['cells'].insert(i + 1, {'cell_type': 'markdown', 'metadata': {}, 'source': '\n'.join(rest).strip()})
        return nb
    return nb


def _fill_results(nb:dict, root:Path) -> dict:
    "The home page's markdown with its table directives filled, as tools/make_readme.py fills README.md."
    sys.path.insert(0, str(root/'tools'))
    from make_readme import expand
    for c in nb['cells']:
        if c['cell_type'] == 'markdown': c['source'] = expand(''.join(c['source']), root)
    return nb


def _nbdev_process(pairs:list):
    """Run nbdev's docs processors (`FilterDefaults`, what `nbdev_proc_nbs` runs per notebook, without Quarto) on
    each (src, dst) pair; print the failures and return how many there were."""
    import ast, traceback
    from execnb.nbio import read_nb, write_nb
    from nbdev import processors as P

    class exec_show_docs(P.exec_show_docs):
        """nbdev's, except for cells that it runs only because they contain an import: nbdev runs all of such a cell
        (an inline test, a slow fit) and stops the whole build when it fails. Here only its import statements run, to
        make the names that signatures mention available, and the cell keeps its saved outputs.
        A failing export or show_doc cell still stops the build of that notebook."""
        def __call__(self, cell):
            if not self.nb.has_docs_ or not hasattr(self, 'k'): return
            if not P._do_eval(cell): return
            if cell.directives_.keys() & {'export', 'exports', 'exporti', 'exec_doc'} or P._show_docs(cell.parsed_()):
                self.k.cell(cell)
                if self.k.exc: raise Exception(f'Error in cell {cell.idx_}:\n{cell.source}') from self.k.exc
                return
            imports = [n for t in cell.parsed_() for n in getattr(t, 'body', [t]) if isinstance(n, (ast.Import, ast.ImportFrom))]
            if imports: self.k.run(ast.unparse(ast.Module(body=imports, type_ignores=[]))); self.k.exc = None

    class Filter(P.FilterDefaults):
        def base_procs(self): return [exec_show_docs if p is P.exec_show_docs else p for p in super().base_procs()]

    failed = 0
    os.environ['IN_TEST'] = '1'
    for src, dst in pairs:
        try:
            nb = read_nb(src); Filter()(nb); write_nb(nb, dst)
        except Exception as e:
            failed += 1
            print(f'FAILED {src}:\n' + ''.join(traceback.format_exception(e)[-12:]), file=sys.stderr, flush=True)
    return failed


def _key(*parts) -> str:
    h = hashlib.sha256()
    for p in parts: h.update(p if isinstance(p, bytes) else str(p).encode()); h.update(b'\0')
    return h.hexdigest()


def nbdev_process(pages:list[Page], work:Path, root:Path=ROOT, jobs:int=2, log=print) -> dict:
    "Process every notebook page with nbdev into WORK/proc; return {page name: processed notebook path}."
    import nbdev
    stage, proc = work/'in', work/'proc'
    modidx = root/'inadequate_nb'/'_modidx.py'
    common = [Path(__file__).read_bytes(), (root/'settings.ini').read_bytes(), modidx.read_bytes() if modidx.is_file() else b'', nbdev.__version__]
    todo, out = [], {}
    for p in pages:
        if p.src.suffix != '.ipynb': continue
        nb = _split_title_cell(json.loads(p.src.read_text(encoding='utf-8')))
        if p.kind == 'index': nb = _fill_results(nb, root)  # the README's numbers come from the committed tables
        text = json.dumps(nb, indent=1, ensure_ascii=False)
        s, d = stage/f'{p.name}.ipynb', proc/f'{p.name}.ipynb'
        out[p.name] = d
        key = _key(text, *common)
        if d.is_file() and (d.with_suffix('.key')).is_file() and d.with_suffix('.key').read_text() == key: continue
        s.parent.mkdir(parents=True, exist_ok=True); d.parent.mkdir(parents=True, exist_ok=True)
        s.write_text(text, encoding='utf-8')
        for f in (d, d.with_suffix('.key')): f.unlink(missing_ok=True)  # a failed run must not leave the old result
        todo.append((p, s, d, key))
    env = dict(os.environ, MPLBACKEND='Agg', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    def run(chunk):
        "One process per chunk: the package and torch are imported once; every notebook gets a fresh shell."
        args = [str(x) for _, s, d, _ in chunk for x in (s, d)]
        r = subprocess.run([sys.executable, __file__, '--nbdev-process', *args], cwd=root/'nbs', env=env, capture_output=True, text=True)
        for p, s, d, key in chunk:
            if f'FAILED {s}' not in r.stderr and d.is_file(): d.with_suffix('.key').write_text(key)
        return r
    t0 = time.time()
    n = max(1, min(jobs, len(todo)))
    with ThreadPoolExecutor(n) as ex: results = list(ex.map(run, [todo[i::n] for i in range(n)])) if todo else []
    bad = [p for p, s, d, k in todo if not d.with_suffix('.key').is_file() or d.with_suffix('.key').read_text() != k]
    if bad:
        errs = '\n'.join(r.stderr.strip() for r in results if r.returncode != 0)
        raise RuntimeError(f"nbdev could not process {', '.join(str(p.origin.relative_to(root)) for p in bad)} (running "
                           f"their export and import cells to render the signatures failed):\n{errs[-4000:]}")
    log(f'nbdev processed {len(todo)} notebooks ({len(out) - len(todo)} cached) in {time.time() - t0:.1f} s')
    return out


# ---------------------------------------------------------------- step 3: Quarto-isms -> MyST

_ATTRS = re.compile(r'(\]\([^)\s]*\))\{[^}\n]*\}')            # [text](url){target="_blank" ...} -> [text](url)
_MD_LINK = re.compile(r'(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?((?:\s+"[^"]*")?)\s*\)')
_HTML_IMG = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', re.I)
_FENCE = re.compile(r'^(```|~~~)')
_QUARTO_OPT = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')


def _is_show_doc(cell) -> bool:
    "Is this a `show_doc(...)` cell (as nbdev writes them, after its Quarto options)?"
    src = ''.join(cell.get('source', ''))
    return cell.get('cell_type') == 'code' and re.search(r'^show_doc\(', src, flags=re.M) is not None


class Converter:
    "Turns nbdev's processed notebooks (made for Quarto) into notebooks and markdown that MyST renders."
    def __init__(self, pages:list[Page], src_dir:Path, root:Path=ROOT):
        self.pages, self.src_dir, self.root = {p.name: p for p in pages}, src_dir, root
        s = settings(root)
        self.doc_prefix = s.get('doc_host', '').rstrip('/') + '/' + s.get('doc_baseurl', '').strip('/') + '/'
        self.git = f"{s.get('git_url', '').rstrip('/')}/blob/{s.get('branch', 'main')}/"
        self.anchors = {}             # page name -> anchors made for its show_doc entries
        self.by_origin = {p.origin.resolve(): p.name for p in pages}
        self.extra = src_dir.parent/'extra'

    # links and images ---------------------------------------------------------
    def _rel(self, page:Page, target:str) -> str:
        return '../' * page.depth + target

    def _local(self, page:Page, url:str):
        "The file a relative link or image path points to: beside the page's source, else from the repository root."
        path = url.split('#')[0].split('?')[0]
        if not path: return None
        for base in (page.origin.parent, self.root):
            f = (base/path).resolve()
            if f.exists(): return f
        return None

    def link(self, page:Page, url:str) -> str:
        if url.startswith(self.doc_prefix):
            target = url[len(self.doc_prefix):]
            doc, _, anchor = target.partition('#')
            name = doc[:-5] if doc.endswith('.html') else doc
            if name not in self.pages: return url                     # a page this site does not have
            keep = anchor and anchor in self.anchors.get(name, ())
            return self._rel(page, f'{name}.html' + (f'#{anchor}' if keep else ''))
        if re.match(r'^[a-zA-Z][\w+.-]*:', url) or url.startswith(('#', '/')): return url
        f = self._local(page, url)
        anchor = ('#' + url.split('#', 1)[1]) if '#' in url else ''
        doc = url.split('#')[0]
        if f is None and doc.endswith('.html') and doc[:-5] in self.pages: return self._rel(page, doc + anchor)
        if f is not None and f in self.by_origin: return self._rel(page, self.by_origin[f] + '.html' + anchor)
        if f is None: return self.git + doc.lstrip('./') + anchor        # not here (yet): the repository's copy
        if not f.is_relative_to(self.root): return None                 # outside the repository: nothing to link to
        return self.git + f.relative_to(self.root).as_posix() + anchor

    def asset(self, page:Page, url:str, raw_html:bool=False) -> str:
        "Copy a local image into the site; return the path the page uses for it."
        if re.match(r'^[a-zA-Z][\w+.-]*:', url): return url
        f = Path(url) if Path(url).is_absolute() and Path(url).is_file() else self._local(page, url)
        if f is None or not f.is_file():
            raise FileNotFoundError(f'{page.origin.relative_to(self.root)} shows the image {url!r}, which exists neither '
                                    f'beside it nor from the repository root')
        name = f'{hashlib.sha256(str(f).encode()).hexdigest()[:8]}-{f.name}'
        dest = (self.extra if raw_html else self.src_dir)/'_assets'/name
        dest.parent.mkdir(parents=True, exist_ok=True); shutil.copyfile(f, dest)
        return self._rel(page, f'_assets/{name}')

    def markdown(self, page:Page, text:str) -> str:
        "Fix links, images and attributes in markdown text (code blocks are left alone)."
        out, fenced = [], False
        for chunk in re.split(r'(^(?:```|~~~).*$)', text, flags=re.M):
            if _FENCE.match(chunk): fenced = not fenced; out.append(chunk); continue
            if fenced: out.append(chunk); continue
            chunk = _ATTRS.sub(r'\1', chunk)
            def sub(m):
                bang, label, url, title = m.groups()
                url = self.asset(page, url) if bang else self.link(page, url)
                return label if url is None else f'{bang}[{label}]({url}{title})'
            chunk = _MD_LINK.sub(sub, chunk)
            chunk = _HTML_IMG.sub(lambda m: m.group(1) + self.asset(page, m.group(2), raw_html=True) + m.group(3), chunk)
            out.append(chunk)
        return ''.join(out)

    # show_doc -------------------------------------------------------------------
    def show_doc(self, page:Page, md:str) -> str:
        "nbdev's show_doc markdown -> a heading with the nbdev anchor, the source link, the signature and docstring."
        md = re.sub(r'^\s*---\s*\n', '', md)
        # nbdev's add_links also links the backticked names in the signature's comments, inside the code block,
        # where a link shows as literal markdown: keep the name
        md = re.sub(r'(?ms)^```.*?^```', lambda m: re.sub(r'\[(`[^`\n]+`)\]\([^)\s]+\)', r'\1', m.group(0)), md)
        src = re.search(r'^\[source\]\((\S+?)\)(\{[^}\n]*\})?\s*$', md, flags=re.M)
        if src: md = md[:src.start()] + md[src.end():]
        m = re.search(r'^(#{2,6})\s+(\S.*?)\s*$', md, flags=re.M)
        if m:   # under the heading: the anchor that nbdev's links use, and the source link (docs/_static/site.css)
            anchor = m.group(2).strip('`').lower()
            self.anchors.setdefault(page.name, set()).add(anchor)
            extra = f'<a class="nbdev-anchor" id="{anchor}"></a>'
            if src: extra += f' <a class="nbdev-source" href="{src.group(1)}">source</a>'
            md = md[:m.end()] + '\n\n' + extra + '\n' + md[m.end():]
        return re.sub(r'\n{3,}', '\n\n', md).strip()

    def _anchors_of(self, page:Page, nb:dict):
        "Collect the show_doc anchors first, so that links from any page to any documented name resolve."
        for c in nb['cells']:
            if not _is_show_doc(c): continue
            for o in c.get('outputs', []):
                md = o.get('data', {}).get('text/markdown')
                if md: self.show_doc(page, ''.join(md))

    # cells ----------------------------------------------------------------------
    def cells(self, page:Page, nb:dict, fm:dict) -> list:
        res = []
        for c in nb['cells']:
            src = ''.join(c.get('source', ''))
            if c['cell_type'] == 'raw': continue                        # front matter (already read) or raw output
            if c['cell_type'] == 'markdown':
                if src.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
                res.append({'cell_type': 'markdown', 'metadata': {}, 'source': self.markdown(page, src)}); continue
            lines, opts = src.splitlines(), {}
            while lines and _QUARTO_OPT.match(lines[0]):
                k, v = _QUARTO_OPT.match(lines[0]).groups(); opts[k] = v.strip('"\''); lines.pop(0)
            if opts.get('include') == 'false': continue
            outs = c.get('outputs', [])
            if opts.get('output') == 'asis':                           # show_doc and other markdown-as-output cells
                for o in outs:
                    md = o.get('data', {}).get('text/markdown')
                    if md is None: continue
                    md = ''.join(md)
                    md = self.show_doc(page, md) if _is_show_doc(c) else md
                    res.append({'cell_type': 'markdown', 'metadata': {}, 'source': self.markdown(page, md)})
                continue
            tags = [t for t in c.get('metadata', {}).get('tags', []) if t not in ('remove-input', 'hide-input', 'remove-output')]
            if opts.get('echo') == 'false': tags.append('remove-input')
            elif 'code-fold' in opts: tags.append('hide-input')
            if opts.get('output') == 'false': tags.append('remove-output'); outs = []
            for o in outs:
                d = o.get('data', {})
                if 'text/markdown' in d: d['text/markdown'] = self.markdown(page, ''.join(d['text/markdown']))
                if 'application/vnd.jupyter.widget-view+json' in d: d.pop('application/vnd.jupyter.widget-view+json')
            cell = {'cell_type': 'code', 'execution_count': c.get('execution_count'), 'metadata': {'tags': tags} if tags else {},
                    'source': '\n'.join(lines), 'outputs': outs}
            if not cell['source'].strip() and not outs: continue
            res.append(cell)
        return res

    def head(self, page:Page, fm:dict) -> list:
        title = fm.get('title') or page.name.split('/')[-1]
        md = f'# {title}'
        if fm.get('description'): md += f'\n\n> {fm["description"]}'
        cells = [{'cell_type': 'markdown', 'metadata': {}, 'source': self.markdown(page, md)}]
        if page.kind == 'paper':
            origin = page.origin.relative_to(self.root).as_posix()
            if page.executed:
                note = (f'*The executed copy `{page.src.relative_to(self.root).as_posix()}` of a finished run, shown with its '
                        f'saved outputs; the notebook\'s source is `{origin}`.*')
            else:
                note = (f'*No executed copy of this notebook from a finished run was found, so its source `{origin}` is shown '
                        f'without outputs; `make reproduce` runs it.*')
                if page.figures: note += ' *The figures below are the ones that run published into `figures/`.*'
            cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': note})
        return cells

    def tail(self, page:Page) -> list:
        cells = []
        if page.figures:
            md = ['## Published figures', ''] + [f'![{f.stem}]({self.asset(page, str(f))})\n' for f in page.figures]
            cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': '\n'.join(md)})
        if page.name == 'index': cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': self.toctree()})
        return cells

    def toctree(self) -> str:
        mods = [n for n, p in self.pages.items() if p.kind == 'module']
        paper = [n for n, p in self.pages.items() if p.kind == 'paper']
        parts = []
        for caption, names in (('Modules', mods), ('Paper notebooks', paper)):
            if names: parts.append('```{toctree}\n:hidden:\n:caption: ' + caption + '\n\n' + '\n'.join(names) + '\n```')
        return '\n\n'.join(parts)

    # pages ----------------------------------------------------------------------
    @staticmethod
    def front_matter(nb:dict) -> dict:
        import yaml
        for c in nb['cells']:
            s = ''.join(c.get('source', '')).strip()
            if c['cell_type'] == 'raw' and s.startswith('---'):
                return yaml.safe_load(s.strip('-\n ')) or {}
        return {}

    def write_all(self, processed:dict):
        loaded = {n: json.loads(Path(p).read_text(encoding='utf-8')) for n, p in processed.items()}
        for n, nb in loaded.items(): self._anchors_of(self.pages[n], nb)
        for name, page in self.pages.items():
            dest = self.src_dir/f'{name}.ipynb'
            dest.parent.mkdir(parents=True, exist_ok=True)
            if name not in loaded:                                      # README.md as the home page
                text = self.markdown(page, page.src.read_text(encoding='utf-8'))
                md = '\n\n'.join([text] + [c['source'] for c in self.tail(page)])
                dest.with_suffix('.md').write_text(md + '\n', encoding='utf-8'); continue
            nb = loaded[name]
            fm = self.front_matter(nb)
            cells = self.head(page, fm) + self.cells(page, nb, fm) + self.tail(page)
            meta = {k: v for k, v in nb.get('metadata', {}).items() if k in ('kernelspec', 'language_info')}
            meta.setdefault('kernelspec', {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'})
            meta.setdefault('language_info', {'name': 'python'})
            out = {'cells': cells, 'metadata': meta, 'nbformat': 4, 'nbformat_minor': 5}
            for i, c in enumerate(out['cells']): c['id'] = f'c{i:03d}'
            dest.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding='utf-8')


# ---------------------------------------------------------------- step 4: Sphinx

def _safe_to_clear(out:Path, root:Path):
    "`out` is cleared before each build: only an empty folder or a site that Sphinx built before (it has .buildinfo)."
    out, root = out.resolve(), root.resolve()
    if out == root or out in root.parents or out == Path.home() or (out.is_dir() and any(out.iterdir()) and not (out/'.buildinfo').is_file()):
        raise ValueError(f'refusing to use {out} as the site folder: it is cleared before each build, and it is not empty '
                         'and holds no site built before. Give a folder of its own, e.g. --out _site')


def build(out:str|Path=ROOT/'_site', # the site folder (cleared first)
          work:str|Path=ROOT/'build'/'docs', # intermediate files (nbdev's output is cached here)
          preset:str='toy', # the run whose executed paper notebooks are shown
          jobs:int=2, # notebooks processed at once
          root:str|Path=ROOT, # the project checkout
          log=print) -> Path:
    "Build the static site into `out`; return `out`."
    root, out, work = Path(root).resolve(), Path(out).resolve(), Path(work).resolve()
    if not re.fullmatch(r'[\w.-]+', preset): raise ValueError(f'preset {preset!r} is not a preset name (letters, digits, . _ -)')
    _safe_to_clear(out, root)
    t0 = time.time()
    pages = collect_pages(root, preset)
    processed = nbdev_process(pages, work, root, jobs, log)
    src = work/'src'
    for d in (src, work/'extra'):
        if d.exists(): shutil.rmtree(d)
        d.mkdir(parents=True)
    Converter(pages, src, root).write_all(processed)
    html = work/'html'                          # Sphinx writes here (myst-nb puts its files beside it), then it moves to out
    if html.exists(): shutil.rmtree(html)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-W', '--keep-going', '-q', '-j', str(max(1, jobs)),
           '-c', str(DOCS), '-d', str(work/'doctrees'), '-D', f'html_extra_path={work/"extra"}', str(src), str(html)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, INADEQUATE_NB_DOCS_ROOT=str(root)))
    if r.returncode != 0:
        raise RuntimeError(f'sphinx-build failed (warnings are errors):\n{r.stdout}\n{r.stderr}'.strip())
    if out.exists(): shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(html), str(out))
    log(f'site with {len(pages)} pages written to {out} in {time.time() - t0:.1f} s; open {out/"index.html"}')
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description='Build the documentation site from the notebooks (offline, no Quarto).')
    ap.add_argument('--out', default=str(ROOT/'_site'), help='site folder, cleared first (default _site)')
    ap.add_argument('--work', default=str(ROOT/'build'/'docs'), help='intermediate files and cache (default build/docs)')
    ap.add_argument('--preset', default='toy', help="the run whose executed paper notebooks are shown (default toy)")
    ap.add_argument('--jobs', type=int, default=2, help='notebooks processed at once, and Sphinx workers')
    ap.add_argument('--nbdev-process', nargs='+', metavar='SRC DST', help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.nbdev_process:
        pairs = list(zip(a.nbdev_process[::2], a.nbdev_process[1::2]))
        return 1 if _nbdev_process(pairs) else 0
    try: build(a.out, a.work, a.preset, a.jobs)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f'docs: {e}', file=sys.stderr); return 1
    return 0


if __name__ == '__main__': sys.exit(main())
