#!/usr/bin/env bash
# Every example of issue #15's tables, through the installed CLIs: exit code and stderr lines.
# Run: bash tests/fuzz/issue15_examples.sh (after make install); prints exit code and stderr lines per example.
ROOT=$(cd "$(dirname "$0")/../.." && pwd); Q=$ROOT/.venv/bin/qcompile; R=$ROOT/.venv/bin/qrun; PY=$ROOT/.venv/bin/python
W=$(mktemp -d)
cd "$W"
export QATTN_JOBSTORE=$W/store.sqlite
run() { local label="$1"; shift; "$@" >$W/o.txt 2>$W/e.txt; rc=$?; n=$(grep -c . $W/e.txt); printf '%-58s rc=%s stderr_lines=%s  %s\n' "$label" "$rc" "$n" "$(head -c 150 $W/e.txt | tr '\n' ' ')"; }
printf 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q' > trunc.qasm3
run "qasm3 truncated mid-statement" $Q compile trunc.qasm3 --profile heron_r2 --out out/t
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2147483647];\n' > huge2.qasm
run "qasm2 qreg q[2147483647]" $Q compile huge2.qasm --profile heron_r2 --out out/t
printf 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2147483647] q;\n' > huge3.qasm3
run "qasm3 qubit[2147483647]" $Q compile huge3.qasm3 --profile heron_r2 --out out/t
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[99999999999999999999];\n' > ovf.qasm
run "qasm2 index overflow" $Q compile ovf.qasm --profile heron_r2 --out out/t
printf 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nfor int i in [0:1] { h q[0]; }\nc = measure q;\n' > loop.qasm3
run "qasm3 for loop (valid: compiles)" $Q compile loop.qasm3 --profile heron_r2 --out out/loop
run "300-character path" $Q compile "$(printf 'a%.0s' {1..300}).qasm" --profile heron_r2
cp $ROOT/examples/circuits/ghz5.qasm .
run "trailing slash ghz5.qasm/" $Q compile ghz5.qasm/ --profile heron_r2 --out out/t
$PY - <<'PY'
from qiskit import qpy, QuantumCircuit
from qiskit.circuit.random import random_circuit
c = random_circuit(6, 6, measure=True, seed=11); c.name = "rand6"
with open("rand6.qpy", "wb") as f: qpy.dump(c, f)
a = QuantumCircuit(1); a.h(0); b = QuantumCircuit(1); b.x(0)
with open("two.qpy", "wb") as f: qpy.dump([a, b], f)
PY
run "QPY with two circuits" $Q compile two.qpy --profile heron_r2 --out out/t
run "rand6 measured, -O2 (valid: proven)" $Q compile rand6.qpy --profile heron_r2 -O 2 --out out/r2
run "rand6 measured, -O3 (valid: proven)" $Q compile rand6.qpy --profile heron_r2 -O 3 --out out/r3
grep -h '"notion"\|"status"' out/r2/rand6.report.json out/r3/rand6.report.json | tr -d ' \n'; echo
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nh q[0];\nt q[0];\nmeasure q[0] -> c[0];\n' > ht.qasm
run "h; t; measure on heron_r2 (valid: proven)" $Q compile ht.qasm --profile heron_r2 --out out/ht
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\ngate ecr a, b { cx a, b; }\nqreg q[2];\ncreg c[2];\nh q[0];\necr q[0], q[1];\nmeasure q -> c;\n' > ecr.qasm
run "user ecr = cx on eagle_r3 (valid: inlined)" $Q compile ecr.qasm --profile eagle_r3 --out out/ecr
printf 'OPENQASM 3.0;\ninclude "stdgates.inc";\ngate r a { h a; }\nqubit[1] q;\nbit[1] c;\nr q[0];\nc[0] = measure q[0];\n' > r.qasm3
run "user r = h on ion_all_to_all (valid: inlined)" $Q compile r.qasm3 --profile ion_all_to_all --out out/r
printf 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nh $0;\ncx $0, $1;\nc[0] = measure $0;\nc[1] = measure $1;\n' > phys.qasm3
run "physical qubits \$0 \$1 with measure (proven)" $Q compile phys.qasm3 --profile heron_r2 --out out/phys
printf 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nbit[1] c;\nh q[0];\ndelay[100ns] q[0];\nc[0] = measure q[0];\n' > delay.qasm3
run "delay on ion_all_to_all: compile" $Q compile delay.qasm3 --profile ion_all_to_all --out out/delay
run "delay on ion_all_to_all: qrun sample" $R sample out/delay/delay.qpy --shots 100
$PY - <<'PY'
from qiskit import QuantumCircuit, qasm2
c = QuantumCircuit(90, 90); c.h(range(90)); c.measure(range(90), range(90)); c.name = "h90"
open("h90.qasm", "w").write(qasm2.dumps(c))
w = QuantumCircuit(133); w.h(range(133)); w.name = "w133"
open("w133.qasm", "w").write(qasm2.dumps(w))
PY
run "90 h+measure on heron_r1 -O1" $Q compile h90.qasm --profile heron_r1 -O 1 --json --out out/h90
$PY -c "import json; r=json.load(open('out/h90/h90.report.json')); print('  qubit 86 used:', 86 in r['initial_layout'] or 86 in r['final_layout'])"
run "133 qubits on heron_r1 (refused)" $Q compile w133.qasm --profile heron_r1 --out out/w
$Q build qlam --seq-len 4 --profile ion_all_to_all --out out/qlam >/dev/null 2>&1
run "ion artifact on --local-ibm FakeFez (refused)" $R sample out/qlam --local-ibm FakeFez --random-parameters 0 --shots 10
$PY - <<'PY'
import json, glob
p = glob.glob("out/qlam/*.observables.json")[0]; d = json.load(open(p))
d["isa"][0][0][1][0] = -1; json.dump(d, open(p, "w"))
PY
run "observable on qubit -1 (refused)" $R estimate out/qlam --random-parameters 0
