"""The fuzz corpus and harness: hostile input for every file and option qattn reads.

``python -m tests.fuzz --cases 10000`` (``make fuzz``) runs the full corpus;
``tests/fuzz/test_fuzz_ci.py`` runs a CI-sized one. See :mod:`tests.fuzz.harness`.
"""
