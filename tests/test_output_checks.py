"The figure check of the end-to-end tests can fail: a blank image, a PDF without a page and an empty table are caught."
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt, pytest
from conftest import assert_drawn


def test_a_drawn_figure_passes_and_a_blank_one_fails(tmp_path):
    fig, ax = plt.subplots(); ax.plot([0, 1, 2], [2, 0, 1]); fig.savefig(tmp_path/'drawn.png'); fig.savefig(tmp_path/'drawn.pdf')
    assert_drawn(tmp_path/'drawn.png'); assert_drawn(tmp_path/'drawn.pdf')
    blank, ax = plt.subplots(); ax.axis('off'); blank.savefig(tmp_path/'blank.png')
    with pytest.raises(AssertionError, match='blank'): assert_drawn(tmp_path/'blank.png')
    (tmp_path/'bad.pdf').write_bytes(b'not a pdf')
    with pytest.raises(AssertionError, match='not a PDF'): assert_drawn(tmp_path/'bad.pdf')
    (tmp_path/'empty.csv').write_text('a,b\n')
    with pytest.raises(AssertionError, match='no rows'): assert_drawn(tmp_path/'empty.csv')
