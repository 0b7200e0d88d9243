"tools/rename_modes.py: a published folder with the old names of modes gets today's; today's tables are left byte for byte."
import subprocess, sys
from pathlib import Path
import pandas as pd
from inadequate_nb.core import current_table

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT/'tools'/'rename_modes.py'

def run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True)

OLD_RESULTS = ('target,epoch,mode,seed,accuracy,params\n'
               'digits,0,fe_converged,0,0.5,{}\n'
               'digits,0,fe_paper,0,0.4,"{""epochs"": 100}"\n'
               'digits,0,ft,0,0.7,"{""protocol"": ""converged""}"\n')
OLD_SPECTRAL = 'sweep,epoch,best_fe_protocol,mode,component,accuracy\ncomponents,0,fe_converged,FE,F_m,0.5\ncomponents,0,fe_converged,FT,F_r,0.6\n'
OLD_IMPRINTING = 'epoch,mode,metric,accuracy,note\n0,frozen,all,0.5,tuned backbone\n0,tuned,all,0.6,x\n'
OLD_PEAKS = 'target,fe_paper_best_epoch,fe_converged_chosen_minus_last,ft_best_epoch,τ vs fe_paper\ndigits,2,1.5,60,0.3\n'
OLD_CLAIMS = "claim,statement\n5,the proxy_fe selector's regret (fe_converged) is below one point\n"
OLD_TOML = 'fe_protocols = ["paper", "converged"]\nfe_protocol = "converged"       # FE probe of the proxy\nbest_protocol = "fe_paper"\n'
OLD_RETRIEVAL = 'epoch,mode,seed,rsum\n0,full,0,280.5\n0,proxy,0,250.0\n'
OLD_MD = '| mode | last_epoch |\n| --- | --- |\n| frozen | 60 |\n| tuned | 60 |\n\n### table4_toy_frozen\nthe tuned backbone; FE on F_m\n'

def old_folder(root:Path) -> Path:
    (root/'figures').mkdir(parents=True)
    for name, text in [('results.csv', OLD_RESULTS), ('spectral.csv', OLD_SPECTRAL), ('imprinting.csv', OLD_IMPRINTING),
                       ('claims.csv', OLD_CLAIMS), ('experiment.toml', OLD_TOML), ('REPORT.md', OLD_MD),
                       ('figures/fig2_peaks.csv', OLD_PEAKS), ('retrieval.csv', OLD_RETRIEVAL), ('figures/table4_toy_frozen.md', OLD_MD),
                       ('figures/table1_toy_all_splits.csv', 'mode,component,accuracy\nFE,F_m,0.5\n')]:
        (root/name).write_text(text, encoding='utf-8')
    return root

def test_an_old_folder_is_renamed_and_then_checks_clean(tmp_path):
    d = old_folder(tmp_path/'pub')
    before = run('--check', d); assert before.returncode == 1 and 'old names left' in before.stdout
    assert run(d).returncode == 0 and run('--check', d).returncode == 0
    res = pd.read_csv(d/'results.csv')
    assert list(res['mode']) == ['fe_logistic', 'fe_softmax', 'ft'] and '"protocol": "logistic"' in res.params[2]
    assert list(pd.read_csv(d/'spectral.csv')['mode']) == ['fe', 'ft'] and set(pd.read_csv(d/'spectral.csv').best_fe_protocol) == {'fe_logistic'}
    imp = pd.read_csv(d/'imprinting.csv'); assert list(imp['mode']) == ['fe', 'ft'] and imp.note[0] == 'tuned backbone'  # prose stays
    assert list(pd.read_csv(d/'figures'/'fig2_peaks.csv').columns) == ['target', 'fe_softmax_best_epoch', 'fe_logistic_chosen_minus_last', 'ft_best_epoch', 'τ vs fe_softmax']
    assert '(fe_logistic)' in (d/'claims.csv').read_text()
    assert (d/'retrieval.csv').read_text() == OLD_RETRIEVAL.replace('epoch,mode,', 'epoch,training,')  # its own column renamed
    assert (d/'experiment.toml').read_text() == 'fe_protocols = ["softmax", "logistic"]\nfe_protocol = "logistic"       # FE probe of the proxy\nbest_protocol = "fe_softmax"\n'
    md = (d/'REPORT.md').read_text()
    assert '| fe | 60 |' in md and '| ft | 60 |' in md and '### table4_toy_fe' in md and 'the tuned backbone; FE on F_m' in md
    assert not (d/'figures'/'table4_toy_frozen.md').exists() and (d/'figures'/'table4_toy_fe.md').is_file()  # a file named by a mode
    assert (d/'figures'/'table1_toy_all_splits.csv').read_text() == 'mode,component,accuracy\nFE,F_m,0.5\n'  # a figure's table writes FE

def test_the_package_reads_the_old_folder_as_the_tool_rewrites_it(tmp_path):
    d = old_folder(tmp_path/'old'); new = old_folder(tmp_path/'new'); run(new)
    for t in ('results', 'spectral', 'imprinting', 'retrieval'):  # (a stored key's JSON in `params` is text to the package: the tool alone renames it)
        read = lambda f: pd.read_csv(f).drop(columns=['params'], errors='ignore')
        pd.testing.assert_frame_equal(current_table(read(d/f'{t}.csv'), t), read(new/f'{t}.csv'))

def test_todays_tables_are_left_byte_for_byte(tmp_path):
    d = old_folder(tmp_path/'pub'); run(d)
    snapshot = {p: p.read_bytes() for p in d.rglob('*') if p.is_file()}
    out = run(d); assert out.returncode == 0 and out.stdout == ''
    assert {p: p.read_bytes() for p in d.rglob('*') if p.is_file()} == snapshot

def test_the_committed_figures_hold_no_old_name():
    out = run('--check', ROOT/'figures')
    assert out.returncode == 0, out.stdout[-2000:]
