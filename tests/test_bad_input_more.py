"""More helpers refusing bad input with an exception that names the problem.

The same pattern as ``test_bad_input.py``: each row is a call that must fail, the exception
type and a regex its message must match. Every call runs with all warnings turned into
errors, so a numpy ``RuntimeWarning`` (overflow, invalid value) on the way to the error
fails the test too: bad input must be refused, not computed into ``inf`` or ``nan``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from bda_helpers import normal_model

Y = np.array([13.357, 14.928, 14.896, 15.297, 14.82, 12.067, 14.824, 13.865, 17.447])

CASES = [
    # --- normal_model -------------------------------------------------------------------
    ("normal log posterior NaN mu", lambda: normal_model.log_posterior(np.nan, 0.0, Y),
     ValueError, r"mu must be finite, got nan"),
    ("normal log posterior inf log_sigma", lambda: normal_model.log_posterior(14.0, [0.0, -np.inf], Y),
     ValueError, r"log_sigma must be finite, got -inf"),
    ("normal log posterior tiny sigma", lambda: normal_model.log_posterior(14.0, -1000.0, Y),
     ValueError, r"the log posterior overflows at mu=14\.0, log_sigma=-1000\.0: sigma = exp\(log_sigma\) is so small "
     r"that 1/sigma² = exp\(2000\) overflows"),
    ("normal log posterior grid names the bad point",
     lambda: normal_model.log_posterior(np.array([14.0, 15.0])[:, None], np.array([0.0, -500.0]), Y),
     ValueError, r"overflows at mu=14\.0, log_sigma=-500\.0"),
    ("normal log posterior mu far away", lambda: normal_model.log_posterior(1e200, 0.0, Y),
     ValueError, r"mu is too far from the data"),
    ("normal gradient tiny sigma", lambda: normal_model.gradient([14.0, -400.0], Y),
     ValueError, r"the gradient overflows at mu=14\.0, log_sigma=-400\.0: .*1/sigma² = exp\(800\) overflows"),
    ("normal hessian tiny sigma", lambda: normal_model.hessian([14.0, -400.0], Y),
     ValueError, r"the Hessian overflows at mu=14\.0, log_sigma=-400\.0"),
    ("normal gradient NaN theta", lambda: normal_model.gradient([np.nan, 0.0], Y),
     ValueError, r"theta must be finite, got \[nan, 0\.0\]"),
    ("normal sample n_draws float", lambda: normal_model.sample_exact(Y, 10.0, np.random.default_rng(0)),
     ValueError, r"the number of draws must be a positive integer, got 10\.0"),
]


@pytest.mark.parametrize(
    "call, exception, message",
    [pytest.param(call, exception, message, id=name) for name, call, exception, message in CASES],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(call, exception, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exception, match=message):
            call()


def test_the_table_is_unambiguous():
    names = [name for name, *_ in CASES]
    assert len(set(names)) == len(names)
    for _, _, _, message in CASES:
        re.compile(message)
