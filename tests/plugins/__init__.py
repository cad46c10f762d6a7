"""pytest plugins of the suite's own tests, listed in tests/conftest.py: fixtures that several areas
share, and the xdist grouping."""
