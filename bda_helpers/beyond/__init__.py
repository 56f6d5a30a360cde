"""Beyond Laplace: the research code of the course's last notebooks (08, 09 and 10).

Nothing in the core of :mod:`bda_helpers` imports this subpackage; it builds on the core.

``eight_schools``
    The eight schools hierarchical model: the marginal posterior of τ (its mode at the boundary
    τ = 0) and the joint density in (μ, log τ, θ), a funnel with no mode.
``importance``
    Importance sampling with a Laplace proposal, Pareto-smoothed weights and k̂.
``marginal_laplace``
    Tierney–Kadane marginals: Laplace's method for one parameter at a time.
``variational``
    Gaussian variational inference (mean-field and full-rank) by the reparameterisation trick.
``evidence_triangle``
    log Z by grid quadrature and by importance sampling, and a normal's ELBO (a lower bound on it).
``asymptotics``
    Laplace against the exact posterior as the data grow, and the frequency coverage of intervals.
``logistic``
    A d-dimensional logistic regression, for the cost of Laplace as the dimension grows.
``charts``
    The charts of notebook 10: the exact and Laplace marginals of beta as the data are
    replicated (with a slider), frequency coverage of intervals, and the cost of Laplace as d grows.
``checks``
    The self-checks of the exercises of notebooks 09 and 10.
``no_normal_checks``
    The self-checks of the exercises of notebook 08, where no normal approximation works.
"""
