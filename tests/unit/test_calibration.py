"""Cohen's kappa and the score bands of the dashboard's calibration, against values worked by hand."""

from __future__ import annotations

import pytest

from speakpro.services.dashboards.calibration import band, cohens_kappa


def test_bands():
    assert [band(s) for s in (0, 49, 50, 69, 70, 100)] == [0, 0, 1, 1, 2, 2]


def test_kappa_worked_examples():
    # Full agreement over two bands: 1.
    assert cohens_kappa([(0, 0), (2, 2), (0, 0), (2, 2)]) == 1.0
    # Observed 0.5; both raters 50/50 over two bands, so chance is 0.5: kappa 0.
    assert cohens_kappa([(0, 0), (0, 2), (2, 0), (2, 2)]) == 0.0
    # Always disagreeing: po = 0, pe = 0.5, kappa = -1.
    assert cohens_kappa([(0, 2), (2, 0), (0, 2), (2, 0)]) == -1.0
    # 10 pairs: po = 0.7; rater A 6x0 4x2, rater B 5x0 5x2, pe = (6*5 + 4*5) / 100 = 0.5: kappa 0.4.
    pairs = [(0, 0)] * 4 + [(2, 2)] * 3 + [(0, 2)] * 2 + [(2, 0)]
    assert cohens_kappa(pairs) == pytest.approx(0.4)


def test_kappa_is_not_measurable_when_chance_explains_everything_or_too_few_pairs():
    assert cohens_kappa([(1, 1), (1, 1), (1, 1)]) is None  # one band only: pe = 1
    assert cohens_kappa([(0, 0)]) is None
    assert cohens_kappa([]) is None
