"""Model circuits: one module per model, one shared :class:`ModelCircuit` shape.

* :mod:`~qcompile.models.qasa` - the published QASA quantum layer (9 qubits).
* :mod:`~qcompile.models.qlam` - QLAM quantum memory over a token sequence.
* :mod:`~qcompile.models.qama` - QAMA attention as a QUBO / Ising, solvers and QAOA.
* :mod:`~qcompile.models.qlaci` - QLACI log-attention over a QRAM-addressed sequence
  (:mod:`~qcompile.models.qlaci_prototype` rebuilds the public prototype and its defects;
  :mod:`~qcompile.models.qlaci_kernel` is the variant whose fidelity-kernel score retrieves).

Each model has an independent numpy reference (in its module or ``*_reference.py``) that
the tests compare the circuits against.
"""

from qcompile.models.base import ModelCircuit, ModelResources, count_resources, z_observables
from qcompile.models.examples import MODEL_EXAMPLES
from qcompile.models.qama import (
    QuboSolution,
    attention_couplings,
    build_qama_qaoa,
    qama_ising,
    qama_qaoa_resources,
    qama_qubo,
    qubo_energy,
    qubo_to_ising,
    solve_qubo_annealing,
    solve_qubo_exact,
    sparsify_couplings,
)
from qcompile.models.qasa import build_qasa, qasa_resources
from qcompile.models.qlaci import (
    build_qlaci,
    qlaci_input_values,
    qlaci_resources,
    remove_padding,
)
from qcompile.models.qlaci_kernel import (
    KernelSizes,
    build_qlaci_kernel,
    qlaci_kernel_resources,
)
from qcompile.models.qlaci_prototype import build_qlaci_prototype
from qcompile.models.qlam import build_qlam, image_to_tokens, qlam_resources

__all__ = [
    "MODEL_EXAMPLES",
    "KernelSizes",
    "ModelCircuit",
    "ModelResources",
    "QuboSolution",
    "attention_couplings",
    "build_qama_qaoa",
    "build_qasa",
    "build_qlaci",
    "build_qlaci_kernel",
    "build_qlaci_prototype",
    "build_qlam",
    "count_resources",
    "image_to_tokens",
    "qama_ising",
    "qama_qaoa_resources",
    "qama_qubo",
    "qasa_resources",
    "qlaci_input_values",
    "qlaci_kernel_resources",
    "qlaci_resources",
    "qlam_resources",
    "qubo_energy",
    "qubo_to_ising",
    "remove_padding",
    "solve_qubo_annealing",
    "solve_qubo_exact",
    "sparsify_couplings",
    "z_observables",
]
