"""Sphinx configuration of the documentation site; docs/build.py prepares the pages and runs Sphinx with it."""
import os, shutil
from configparser import ConfigParser
from pathlib import Path
import jupyter_server_mathjax

_root = Path(os.environ.get('INADEQUATE_NB_DOCS_ROOT', Path(__file__).resolve().parent.parent))
_cfg = ConfigParser(delimiters=['=']); _cfg.read(_root/'settings.ini', encoding='utf-8'); _cfg = _cfg['DEFAULT']

project = _cfg['lib_name']
author = _cfg['author']
copyright = _cfg['copyright']
release = version = _cfg['version']
html_title = project
html_baseurl = _cfg['doc_host'].rstrip('/') + '/' + _cfg['doc_baseurl'].strip('/') + '/'

extensions = ['myst_nb', 'sphinx.ext.mathjax', 'sphinx.ext.githubpages']
exclude_patterns = ['**.ipynb_checkpoints']
nb_execution_mode = 'off'                       # render the outputs saved in the notebooks, never run them
nb_merge_streams = True
myst_enable_extensions = ['dollarmath', 'amsmath', 'html_image']
myst_all_links_external = True                  # docs/build.py already made every link a relative or absolute URL
myst_heading_anchors = 0
suppress_warnings = ['myst.header']             # show_doc headings (###) may follow a notebook's title directly

html_theme = 'furo'
html_static_path = ['_static']
html_css_files = ['site.css']
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
pygments_style = 'friendly'
smartquotes = False                             # quotes stay as written: names and code in prose

# MathJax 2 from the jupyter-server-mathjax package (the build Jupyter itself serves), copied into the site: no CDN,
# the site works offline. That build has the combined TeX-AMS-MML_HTMLorMML-full configuration and the STIX-Web
# fonts only, so the fonts are set as Jupyter sets them.
_mathjax = Path(jupyter_server_mathjax.__file__).parent/'static'
mathjax_path = 'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full'
mathjax2_config = {'tex2jax': {'inlineMath': [['\\(', '\\)']], 'displayMath': [['\\[', '\\]']],
                               'processEscapes': True, 'processClass': 'math', 'ignoreClass': 'document'},
                   'HTML-CSS': {'availableFonts': [], 'imageFont': None, 'preferredFont': None, 'webFont': 'STIX-Web',
                                'linebreaks': {'automatic': True}},
                   'showMathMenu': False, 'messageStyle': 'none'}


def _copy_mathjax(app, exc):
    if exc is None and app.builder.format == 'html':
        shutil.copytree(_mathjax, Path(app.outdir)/'_static'/'mathjax', dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns('*.py', '__pycache__', 'unpacked'))


def setup(app):
    app.set_html_assets_policy('always')        # MathJax on every page: the navigation shows titles with formulas
    app.connect('build-finished', _copy_mathjax)
