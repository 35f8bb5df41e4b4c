"""The lab set's answers by hand: {2, 3, 5, 11} has mean 21/4 and squared deviations 195/4."""

from fractions import Fraction

from solutions.labset import batchnorm
from tests.conftest import published


def test_batchnorm_by_hand():
    values = published(batchnorm)
    assert values["mean"] == 21 / 4
    assert values["var"] == float(Fraction(195, 4) / 4)
