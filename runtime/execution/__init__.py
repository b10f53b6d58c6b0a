"""Executing PUBs: the executor interface, Aer and IBM executors, noise, the job store."""
