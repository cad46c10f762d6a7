"""Fixture modules of the contract suite, listed in ``contract_tests/conftest.py``."""
