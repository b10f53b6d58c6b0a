"""Independent simulators and references for the QRAM tests.

* :func:`reference_matrix`: the query semantics as a dense numpy matrix on (address, target),
  written from the definition in the query module docstring, not from any construction.
* :func:`sparse_simulate`: an exact state-vector simulator that stores only non-zero
  amplitudes (a dict basis -> amplitude), applying each gate's ``Operator`` matrix. QRAM
  circuits keep a tiny support (ancillas start in |0>), so it runs 50-qubit circuits exactly.
* :class:`BitSimulator`: a classical simulator of monomial gates (a permutation times phases:
  X, CX, CCX, SWAP, CSWAP, Z, CZ, P, RZ, relative-phase Toffolis ...) over many basis states at
  once (each qubit is a Python int whose bit k is its value in branch k). Gates without a fast
  path are run from their ``Operator`` matrix, which must be monomial.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.circuit import QuantumCircuit
from qiskit.quantum_info import Operator


def ry_matrix(theta: float) -> np.ndarray:
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def reference_matrix(mode: str, n: int, b: int, values: Sequence) -> np.ndarray:
    """sum_i |i><i| (x) U_i on qubits (address[0..n-1], target[0..b-1]), little-endian."""
    big_n = 1 << n
    dim = big_n << b
    out = np.zeros((dim, dim), dtype=complex)
    for i in range(big_n):
        if mode == "bits":
            u = np.zeros((1 << b, 1 << b))
            for t in range(1 << b):
                u[t ^ values[i], t] = 1
        else:
            u = np.ones((1, 1), dtype=complex)
            for j in range(b):  # kron puts later factors on less significant bits
                g = (
                    ry_matrix(values[i][j])
                    if mode == "ry"
                    else np.diag([1, np.exp(1j * values[i][j])])
                )
                u = np.kron(g, u)
        for t_in in range(1 << b):
            for t_out in range(1 << b):
                out[i + big_n * t_out, i + big_n * t_in] = u[t_out, t_in]
    return out


_CACHE: dict = {}


def _matrix(op) -> np.ndarray:
    key = (op.name, tuple(float(p) for p in op.params))
    if key not in _CACHE:
        _CACHE[key] = Operator(op).data
    return _CACHE[key]


_OUTCOMES = np.random.default_rng(20261202)


def sparse_simulate(
    circuit: QuantumCircuit,
    state: dict[int, complex],
    qubit_map: Sequence[int] | None = None,
    clbits: dict[int, int] | None = None,
    clbit_map: Sequence[int] | None = None,
) -> dict[int, complex]:
    """Exact simulation of a bound circuit on a sparse state (basis int -> amplitude).

    Mid-circuit measurements draw an outcome with its Born probability (from a seeded
    generator shared by all calls, so repeated runs see different records) and collapse the
    state; ``if_else`` blocks run on the recorded bit. A correct measured uncompute gives the
    same output whatever the record.
    """
    qubit_map = list(range(circuit.num_qubits)) if qubit_map is None else list(qubit_map)
    clbit_map = list(range(circuit.num_clbits)) if clbit_map is None else list(clbit_map)
    clbits = {} if clbits is None else clbits
    index = {q: qubit_map[k] for k, q in enumerate(circuit.qubits)}
    cindex = {c: clbit_map[k] for k, c in enumerate(circuit.clbits)}
    phase = np.exp(1j * float(circuit.global_phase))
    state = {k: v * phase for k, v in state.items()}
    for inst in circuit.data:
        if inst.operation.name == "barrier":
            continue
        if inst.operation.name == "measure":
            q = index[inst.qubits[0]]
            p1 = sum(abs(a) ** 2 for k, a in state.items() if (k >> q) & 1)
            bit = int(_OUTCOMES.random() < p1)
            norm = np.sqrt(p1 if bit else 1 - p1)
            state = {k: a / norm for k, a in state.items() if ((k >> q) & 1) == bit}
            clbits[cindex[inst.clbits[0]]] = bit
            continue
        if inst.operation.name == "if_else":
            (cbit, value) = inst.operation.condition
            blocks = inst.operation.blocks
            taken = blocks[0] if clbits.get(cindex[cbit], 0) == int(value) else None
            if taken is None and len(blocks) > 1:
                taken = blocks[1]
            if taken is not None:
                state = sparse_simulate(
                    taken,
                    state,
                    [index[q] for q in inst.qubits],
                    clbits,
                    [cindex[c] for c in inst.clbits],
                )
            continue
        qs = [index[q] for q in inst.qubits]
        mat = _matrix(inst.operation)
        mask = sum(1 << q for q in qs)
        new: dict[int, complex] = {}
        for basis, amp in state.items():
            local = sum(((basis >> q) & 1) << k for k, q in enumerate(qs))
            col = mat[:, local]
            rest = basis & ~mask
            for r in np.flatnonzero(np.abs(col) > 1e-13):
                out = rest
                for k, q in enumerate(qs):
                    if (int(r) >> k) & 1:
                        out |= 1 << q
                new[out] = new.get(out, 0) + amp * col[r]
        state = {k: v for k, v in new.items() if abs(v) > 1e-12}
    return state


def logical_isometry(circuit: QuantumCircuit, num_logical: int) -> tuple[np.ndarray, float]:
    """Columns of the circuit on the first ``num_logical`` qubits with all others in |0>.

    Returns the matrix projected onto ancillas |0> and the largest weight found outside it.
    """
    dim = 1 << num_logical
    mat = np.zeros((dim, dim), dtype=complex)
    leak = 0.0
    for col in range(dim):
        out = sparse_simulate(circuit, {col: 1.0})
        for basis, amp in out.items():
            if basis >> num_logical:
                leak = max(leak, abs(amp))
            else:
                mat[basis, col] += amp
    return mat, leak


class BitSimulator:
    """Runs X/CX/CCX/SWAP/CSWAP (either polarity) and Z/CZ/P on many basis states at once.

    ``H`` gates on the qubits listed in ``conjugated`` are skipped: those qubits are fed and
    read in the X basis (a circuit ``H D H`` is checked through its middle part ``D``).
    """

    def __init__(self, circuit: QuantumCircuit, conjugated: Sequence[int] = ()) -> None:
        self.circuit = circuit
        self.index = {q: k for k, q in enumerate(circuit.qubits)}
        self.conjugated = set(conjugated)

    def run(self, inputs: list[int], branches: int) -> tuple[list[int], int, np.ndarray]:
        """Simulate; ``inputs[q]`` is qubit q per branch. Returns (values, sign, phase)."""
        vals = list(inputs)
        sign = 0
        phase = np.zeros(branches)
        full = (1 << branches) - 1
        for inst in self.circuit.data:
            name = inst.operation.name
            q = [self.index[x] for x in inst.qubits]
            if name == "x":
                vals[q[0]] ^= full
            elif name == "cx":
                vals[q[1]] ^= vals[q[0]]
            elif name == "ccx":
                vals[q[2]] ^= vals[q[0]] & vals[q[1]]
            elif name == "swap":
                vals[q[0]], vals[q[1]] = vals[q[1]], vals[q[0]]
            elif name in ("cswap", "cswap_o0"):
                c = vals[q[0]] if name == "cswap" else vals[q[0]] ^ full
                d = (vals[q[1]] ^ vals[q[2]]) & c
                vals[q[1]] ^= d
                vals[q[2]] ^= d
            elif name == "z":
                sign ^= vals[q[0]]
            elif name == "cz":
                sign ^= vals[q[0]] & vals[q[1]]
            elif name == "p":
                phase += float(inst.operation.params[0]) * unpack(vals[q[0]], branches)
            elif name == "cp":
                phase += float(inst.operation.params[0]) * unpack(vals[q[0]] & vals[q[1]], branches)
            elif (name == "h" and q[0] in self.conjugated) or name == "barrier":
                continue
            else:
                self._monomial(inst.operation, q, vals, phase, branches, full)
        return vals, sign, phase

    @staticmethod
    def _monomial(op, q, vals, phase, branches, full) -> None:
        """Apply a gate whose matrix has one non-zero per column (else ValueError)."""
        mat = _matrix(op)
        m = len(q)
        masks = []
        for k in range(1 << m):
            mask = full
            for j in range(m):
                mask &= vals[q[j]] if (k >> j) & 1 else vals[q[j]] ^ full
            masks.append(mask)
        new = [0] * m
        for k, mask in enumerate(masks):
            rows = np.flatnonzero(np.abs(mat[:, k]) > 1e-12)
            if len(rows) != 1 or abs(abs(mat[rows[0], k]) - 1) > 1e-9:
                raise ValueError(f"BitSimulator cannot run {op.name} (not a monomial gate)")
            r = int(rows[0])
            for j in range(m):
                if (r >> j) & 1:
                    new[j] |= mask
            angle = float(np.angle(mat[r, k]))
            if mask and abs(angle) > 1e-12:
                phase += angle * unpack(mask, branches)
        for j in range(m):
            vals[q[j]] = new[j]


def unpack(value: int, branches: int) -> np.ndarray:
    raw = value.to_bytes((branches + 7) // 8, "little")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:branches].astype(
        float
    )
