"""IBM Cloud's HTTP endpoints on loopback, to provoke the service's real failure paths offline.

The real ``QiskitRuntimeService`` talks plain HTTP to ``http://cloud.ibm.com`` (``QISKIT_IBM_URL``)
through an HTTP proxy (``http_proxy``) that is this server: every request (IAM token, Global
Search, Global Catalog, the runtime API) arrives here with its absolute URL and gets the status
code and JSON body the real service sends in that situation. Nothing in qiskit-ibm-runtime is
patched; only the network answers are canned.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from qiskit import QuantumCircuit

CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/0123abcd:4567-89ef::"
OTHER_CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/0123abcd:feed-beef::"


@dataclass
class Scenario:
    """What the fake cloud answers.

    Attributes:
        token_ok: IAM accepts the API key (else HTTP 400, "Provided API key could not be found").
        instances: the CRNs Global Search lists for the account.
        backends: the backends the runtime API lists for the instance.
        devices: backend name -> (the fake backend whose configuration and properties it
            serves, e.g. ``fez``; its queue length).
        jobs: job id -> the runtime API's job document.
        results: job id -> the job's result, as the runtime API returns it
            (:func:`executor_sampler_result`).
        requests: every request seen, as ``METHOD URL``.
        bodies: the JSON body of every runtime API request that had one, as ``(URL, body)``.
    """

    token_ok: bool = True
    instances: tuple[str, ...] = (CRN,)
    backends: tuple[str, ...] = ("ibm_torino",)
    devices: dict[str, tuple[str, int]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    bodies: list[tuple[str, Any]] = field(default_factory=list)


def job_document(job_id: str, status: str, backend: str = "ibm_torino") -> dict[str, Any]:
    """The runtime API's description of an executor job (``GET /jobs/{id}``)."""
    return {
        "id": job_id,
        "backend": backend,
        "program": {"id": "executor"},
        "state": {"status": status},
        "status": status,
        "created": "2026-12-01T10:00:00.000000Z",
    }


def executor_sampler_result(circuit: QuantumCircuit, shots: int, seed: int) -> str:
    """What ``GET /jobs/{id}/results`` returns for an executor-based Sampler job.

    The program is prepared by qiskit-ibm-runtime's own Sampler preparation and run by its own
    local executor on an ideal ``AerSimulator``; the result is written in the executor's
    result schema (v2.0), which the service's decoders read back into a ``PrimitiveResult``.
    """
    from ibm_quantum_schemas.common.tensor import CompressedTensorModel
    from ibm_quantum_schemas.executor.version_2_0.models import (
        ItemMetadataModel,
        MetadataModel,
        QuantumProgramResultItemModel,
        QuantumProgramResultModel,
    )
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.executor_sampler.prepare import prepare
    from qiskit_ibm_runtime.fake_provider.executor.run_quantum_program import (
        run_quantum_program,
    )
    from qiskit_ibm_runtime.options_models import SamplerOptions
    from qiskit_ibm_runtime.options_models.simulator import SimulatorOptions
    from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import (
        passthrough_data_to_2_0,
    )

    simulator = AerSimulator()
    program, _ = prepare([circuit], SamplerOptions(), shots, add_tags=True, backend=simulator)
    program._semantic_role = "sampler_v2"
    raw = run_quantum_program(simulator, program, SimulatorOptions(seed_simulator=seed))
    model = QuantumProgramResultModel(
        data=[
            QuantumProgramResultItemModel(
                results={k: CompressedTensorModel.from_numpy(v) for k, v in dict(item).items()},
                metadata=ItemMetadataModel(),
            )
            for item in raw
        ],
        metadata=MetadataModel(chunk_timing=[]),
        passthrough_data=passthrough_data_to_2_0(raw.passthrough_data),
        semantic_role="sampler_v2",
    )
    return model.model_dump_json()


def _num_qubits(scenario: Scenario, name: str) -> int:
    if name not in scenario.devices:
        return 133
    return int(_device_document(name, *scenario.devices[name], "configuration")["n_qubits"])


def _device_document(name: str, fake: str, queue: int, what: str) -> dict[str, Any]:
    """A backend's ``configuration``, ``properties`` or ``status``, from qiskit-ibm-runtime's
    own snapshot of that device (``fake_provider/backends/<fake>``)."""
    import qiskit_ibm_runtime.fake_provider.backends as snapshots

    folder = Path(snapshots.__file__).parent / fake
    if what == "status":
        return {
            "backend_name": name,
            "backend_version": "1.0.0",
            "operational": True,
            "state": True,
            "status": "active",
            "message": "",
            "length_queue": queue,
            "pending_jobs": queue,
            "status_msg": "active",
        }
    document = json.loads(
        (folder / f"{'conf' if what == 'configuration' else 'props'}_{fake}.json").read_text()
    )
    document["backend_name"] = name
    return document


def _access_token() -> str:
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 3600, "sub": "qattn-test"}, "k" * 40, "HS256")


def _handler(scenario: Scenario) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, document: Any) -> None:
            body = json.dumps(document).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            url = self.path
            scenario.requests.append(f"{self.command} {url}")
            if "/api/v1/" in url and body:
                try:
                    scenario.bodies.append((url, json.loads(body)))
                except ValueError:
                    scenario.bodies.append((url, None))
            if "//iam." in url:
                if not scenario.token_ok:
                    return self._send(
                        400,
                        {
                            "errorCode": "BXNIM0415E",
                            "errorMessage": "Provided API key could not be found.",
                        },
                    )
                return self._send(
                    200,
                    {
                        "access_token": _access_token(),
                        "refresh_token": "not-used",
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "expiration": int(time.time()) + 3600,
                    },
                )
            if "//api.global-search-tagging." in url:
                items = [
                    {
                        "crn": crn,
                        "name": f"instance-{i}",
                        "service_plan_unique_id": "plan-open",
                        "tags": [],
                        "doc": {"extensions": {"allocation": 1}},
                    }
                    for i, crn in enumerate(scenario.instances)
                ]
                return self._send(200, {"items": items, "search_cursor": None})
            if "//globalcatalog." in url:
                return self._send(
                    200,
                    {
                        "overview_ui": {"en": {"display_name": "Open"}},
                        "metadata": {"pricing": {"type": "free"}},
                    },
                )
            path = url.split("/api/v1", 1)[-1].split("?", 1)[0]
            if path == "/backends":
                devices = [
                    {
                        "name": name,
                        "status": {"name": "online"},
                        "qubits": _num_qubits(scenario, name),
                        "queue_length": scenario.devices.get(name, ("", 0))[1],
                    }
                    for name in scenario.backends
                ]
                return self._send(200, {"devices": devices})
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "backends" and parts[1] in scenario.devices:
                return self._send(
                    200, _device_document(parts[1], *scenario.devices[parts[1]], parts[2])
                )
            if path == "/instances/usage":
                return self._send(
                    200,
                    {
                        "usage_consumed_seconds": 0,
                        "usage_limit_seconds": 600,
                        "usage_limit_reached": False,
                    },
                )
            if path == "/sessions" and self.command == "POST":
                return self._send(200, {"id": "qattn-session-1"})
            if path.startswith("/jobs/") and path.endswith("/results"):
                result = scenario.results.get(path.split("/")[2])
                if result is not None:
                    body = result.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return None
            if path.startswith("/jobs/"):
                job = scenario.jobs.get(path.split("/")[2])
                if job is not None:
                    return self._send(200, job)
                return self._send(404, {"errors": [{"code": 1291, "message": "Job not found."}]})
            return self._send(404, {"errors": [{"code": 404, "message": "Not found."}]})

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_ibm_cloud(
    monkeypatch: pytest.MonkeyPatch, scenario: Scenario, token: str
) -> Iterator[Scenario]:
    """Serves ``scenario`` on loopback and points qiskit-ibm-runtime at it (env vars only)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(scenario))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", proxy)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("QISKIT_IBM_URL", "http://cloud.ibm.com")
        monkeypatch.setenv("IAM_URL", "http://iam.cloud.ibm.com")
        monkeypatch.setenv("QISKIT_IBM_TOKEN", token)
        monkeypatch.setenv("QISKIT_IBM_INSTANCE", CRN)
        yield scenario
    finally:
        server.shutdown()
        server.server_close()
