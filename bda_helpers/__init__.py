"""Helpers for the BDA3 chapter 4 course on the normal (Laplace) approximation.

The model functions of the bioassay example live in :mod:`bda_helpers.bioassay`; chart
helpers in :mod:`bda_helpers.charts`; the exercises' self-checks in :mod:`bda_helpers.checks`.
Importing the package has no side effects.
"""

from . import bioassay
from .data import BioassayData, load_bioassay, load_windshieldy
from .derivatives import fd_hessian, fd_hessian_from_log_density
from .grid import EdgeMass, GridPosterior
from .laplace import LaplaceApproximation, laplace
from .newton import ConvergenceError, NewtonResult, NewtonTrace, newton
from .summaries import NormalSummary, central_interval, ld50, ld50_delta_method, quantile_mcse, quantiles
from .evidence import quadrature_log_evidence
from .mixture import LaplaceMixture, laplace_mixture

__all__ = [
    "bioassay",
    "BioassayData",
    "load_bioassay",
    "load_windshieldy",
    "fd_hessian",
    "fd_hessian_from_log_density",
    "EdgeMass",
    "GridPosterior",
    "LaplaceApproximation",
    "laplace",
    "ConvergenceError",
    "NewtonResult",
    "NewtonTrace",
    "newton",
    "NormalSummary",
    "central_interval",
    "ld50",
    "ld50_delta_method",
    "quantile_mcse",
    "quantiles",
    "quadrature_log_evidence",
    "LaplaceMixture",
    "laplace_mixture",
]
