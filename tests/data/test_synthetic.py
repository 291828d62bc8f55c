import numpy as np
import pytest

from mibias.data.synthetic import correlated_gaussians, gaussian_mutual_information


def test_correlated_gaussians_have_the_asked_correlation_per_coordinate_and_none_across():
    x, y = correlated_gaussians(0.8, rows=50_000, dimensions=3, seed=1)
    correlations = np.corrcoef(x.T, y.T)[:3, 3:]
    np.testing.assert_allclose(np.diag(correlations), 0.8, atol=0.01)
    assert np.abs(correlations - np.diag(np.diag(correlations))).max() < 0.02
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=0.02)


def test_the_closed_form_is_zero_for_independent_draws_and_grows_with_rho_and_width():
    assert gaussian_mutual_information(0.0, 5) == 0.0
    assert gaussian_mutual_information(0.8, 5) == pytest.approx(2.554, abs=1e-3)
    assert gaussian_mutual_information(0.8, 10) == 2 * gaussian_mutual_information(0.8, 5)


@pytest.mark.parametrize("rho", [1.0, -1.5])
def test_a_correlation_outside_the_open_interval_is_refused(rho):
    with pytest.raises(ValueError, match="rho must be in"):
        correlated_gaussians(rho, rows=10, dimensions=2)
