"""The opt-in real-browser tests (marker ``browser``): ``python tasks.py browser`` runs them."""
