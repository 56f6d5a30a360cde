"""Helpers for the BDA3 chapter 4 course on the normal (Laplace) approximation.

The model functions of the bioassay example live in :mod:`bda_helpers.bioassay`; chart
helpers in :mod:`bda_helpers.charts`; the exercises' self-checks in :mod:`bda_helpers.checks`.
Importing the package has no side effects.
"""

from . import bioassay, normal_model
from .data import BioassayData, load_bioassay, load_eight_schools, load_windshieldy
from .derivatives import StepSweep, fd_hessian, fd_hessian_from_log_density, fd_jacobian, fd_step_sweep
from .evidence import quadrature_log_evidence
from .grid import EdgeMass, GridPosterior
from .laplace import LaplaceApproximation, laplace
from .ld50_normal import ld50_normal_cdf, ld50_normal_quantile
from .mixture import LaplaceMixture, laplace_mixture
from .mode_finding import trace_table
from .newton import ConvergenceError, NewtonResult, NewtonTrace, newton
from .summaries import (
    NormalSummary,
    central_interval,
    ld50,
    ld50_delta_method,
    ld50_unconditioned,
    quantile_mcse,
    quantile_table,
    quantiles,
    weighted_quantiles,
)

__all__ = [
    "bioassay",
    "normal_model",
    "BioassayData",
    "load_bioassay",
    "load_windshieldy",
    "load_eight_schools",
    "StepSweep",
    "fd_hessian",
    "fd_hessian_from_log_density",
    "fd_jacobian",
    "fd_step_sweep",
    "quadrature_log_evidence",
    "EdgeMass",
    "GridPosterior",
    "LaplaceApproximation",
    "laplace",
    "ld50_normal_cdf",
    "ld50_normal_quantile",
    "LaplaceMixture",
    "laplace_mixture",
    "trace_table",
    "ConvergenceError",
    "NewtonResult",
    "NewtonTrace",
    "newton",
    "NormalSummary",
    "central_interval",
    "ld50",
    "ld50_delta_method",
    "ld50_unconditioned",
    "quantile_mcse",
    "quantile_table",
    "quantiles",
    "weighted_quantiles",
]
