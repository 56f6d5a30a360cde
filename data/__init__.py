"""The course's data sets, installed as the package ``bda_helpers.datasets``.

This folder holds the data files and, in ``README.md``, their sources and terms. It has no code:
``bda_helpers.data`` reads the files with :mod:`importlib.resources`, so they are found both in
the editable install of the repository and in an installed wheel.
"""
