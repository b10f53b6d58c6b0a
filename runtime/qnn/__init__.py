"""Quantum neural networks over compiled circuits: exact (torch statevector) and shots-based."""
