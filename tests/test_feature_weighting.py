import numpy as np
import pytest
import scipy.sparse as sp

from guardstream.models.feature_weighting import EmbeddingWeight


@pytest.mark.parametrize("weight", [0.0, 1.0, 2.5])
def test_only_the_embedding_block_is_scaled(weight: float) -> None:
    features = sp.random(6, 300, density=0.3, format="csr", random_state=0, dtype=np.float32)
    expected = features.toarray()
    expected[:, :128] *= weight
    weighted = EmbeddingWeight(dim=128, weight=weight).transform(features)
    assert np.allclose(weighted.toarray(), expected)
    assert np.allclose(features.toarray()[:, 128:], weighted.toarray()[:, 128:])


def test_input_is_not_modified() -> None:
    features = sp.random(3, 200, density=0.5, format="csr", random_state=1, dtype=np.float32)
    before = features.toarray().copy()
    EmbeddingWeight(dim=128, weight=0.0).transform(features)
    assert np.array_equal(features.toarray(), before)
