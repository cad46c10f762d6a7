"""Plain code of the suite's own tests, imported as ``helpers.<module>``: the code behind the
fixtures, servers that misbehave, how the tests run the suite's children, test certificates. No
fixtures here: those are in plugins/ (shared) and in each area's conftest.py."""
