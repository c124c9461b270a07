"""Two-sample statistics and change points: the cheap effect sizes agree with scipy's, and
each statistic separates a shifted sample from a same-distribution one."""

from collections import Counter

import numpy as np
from scipy import stats

from guardstream.detectors.drift.change_points import for_mean, for_rate
from guardstream.detectors.drift.tests import (
    RbfMmd,
    categorical,
    continuous,
    cramers_v,
    ks_statistic,
    psi,
)

rng = np.random.default_rng(11)


def test_ks_statistic_equals_scipy_and_continuous_reports_both() -> None:
    ref, cur = rng.lognormal(6, 0.5, 2000), rng.lognormal(6.3, 0.5, 500)
    assert ks_statistic(np.sort(ref), cur) == stats.ks_2samp(ref, cur).statistic
    shifted = continuous(ref, cur)
    same = continuous(ref, rng.lognormal(6, 0.5, 500))
    assert shifted.effect_size > 0.15 > same.effect_size
    assert shifted.p_value < 1e-6 < same.p_value
    assert shifted.psi is not None and same.psi is not None and shifted.psi > 0.1 > same.psi
    assert shifted.effect.startswith("wasserstein/sd=")


def test_cramers_v_matches_the_chi2_test() -> None:
    ref = Counter({"en": 1900, "de": 100})
    cur = Counter({"en": 350, "de": 150})
    full = categorical(ref, cur)
    assert abs(full.effect_size - cramers_v(ref, cur)) < 1e-12
    assert full.p_value < 1e-10 and full.effect_size > 0.2
    same = categorical(ref, Counter({"en": 475, "de": 25}))
    assert same.effect_size < 1e-9 and same.p_value > 0.99
    assert categorical(Counter({"en": 10}), Counter({"en": 5})).effect_size == 0.0


def test_psi_is_zero_on_identical_samples() -> None:
    sample = rng.normal(size=3000)
    assert psi(sample, sample) < 1e-9
    assert psi(sample, sample + 1.0) > 0.5


def test_mmd_separates_shifted_embeddings_and_reports_a_permutation_p_value() -> None:
    ref = rng.normal(size=(2000, 16))
    kernel = RbfMmd(ref)
    same = kernel.compare(rng.normal(size=(500, 16)), permutations=50)
    moved = kernel.compare(rng.normal(size=(500, 16)) + 0.5, permutations=50)
    assert moved.effect_size > 10 * same.effect_size
    assert moved.p_value < 0.05 < same.p_value


def test_page_hinkley_fires_after_a_mean_shift_and_not_before() -> None:
    detector = for_mean(centre=0.0, scale=1.0)
    values = np.concatenate([rng.normal(size=300), rng.normal(size=100) + 3])
    fired = [i for i, v in enumerate(values) if detector.update(float(v))]
    assert fired and 300 <= fired[0] < 330


def test_adwin_fires_on_a_rate_change() -> None:
    detector = for_rate()
    values = np.concatenate([rng.random(400) < 0.02, rng.random(400) < 0.4]).astype(float)
    fired = [i for i, v in enumerate(values) if detector.update(float(v))]
    assert fired and 400 <= fired[0] < 600
