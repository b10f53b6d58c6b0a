"""qattn runtime: executes compiled qattn artifacts (Aer, IBM Quantum primitives).

The executors, job store and ``qrun`` CLI arrive with the runtime issue; this package
exists now so the layout is fixed and other packages can name it.
"""

__all__: list[str] = []
