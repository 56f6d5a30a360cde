"""Beyond Laplace: the research code of the course's last notebook.

Nothing in the core of :mod:`bda_helpers` imports this subpackage; it builds on the core.

``importance``
    Importance sampling with a Laplace proposal, Pareto-smoothed weights and k̂.
``marginal_laplace``
    Tierney–Kadane marginals: Laplace's method for one parameter at a time.
``variational``
    Gaussian variational inference (mean-field and full-rank) by the reparameterisation trick.
``asymptotics``
    Laplace against the exact posterior as the data grow, and the frequency coverage of intervals.
``logistic``
    A d-dimensional logistic regression, for the cost of Laplace as the dimension grows.
``charts``
    The charts of the beyond-Laplace notebook: frequency coverage of intervals, and the cost of
    Laplace as d grows.
``checks``
    The self-checks of the beyond-Laplace notebook's exercises.
"""
