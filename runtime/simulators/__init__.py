"""Simulators written for qattn: the batched torch statevector engine and noisy trajectories."""
