"""A lab process's metrics, through the OpenTelemetry SDK and its Prometheus exporter, in the semantic
conventions' names — what an instrumented service exposes in an ordinary stack:

    http.server.request.duration   → http_server_request_duration_seconds_{bucket,count,sum}
    http.client.request.duration   → http_client_request_duration_seconds_{bucket,count,sum}
    db.client.connection.count     → db_client_connection_count{db_client_connection_state="used|idle"}
    db.client.connection.max       → db_client_connection_max
    db.client.connection.wait_time → db_client_connection_wait_time_seconds_{bucket,count,sum}
    messaging.process.duration     → messaging_process_duration_seconds_{bucket,count,sum}

plus the service graph the OpenTelemetry Collector's servicegraph connector derives from traces,
``traces_service_graph_request_total{client,server}`` (and ``…_failed_total``), counted by the caller.

The exporter writes into the process's own registry and copies the resource's ``service.name`` onto
every series as ``service_name``, as the Collector's Prometheus exporter does."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry

__all__ = ["Telemetry", "LATENCY_BUCKETS"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
"""The semantic conventions' advised boundaries for HTTP durations (seconds), with 0.75 and 1.5 added."""
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)
SCOPE = "evals.lab"
NAMESPACE = "lab"


class Telemetry:
    """The instruments of one process of ``service`` (pod ``instance``), exported into ``registry``."""

    def __init__(self, service: str, instance: str, registry: CollectorRegistry, version: str = "") -> None:
        self.service = service
        self.reader = PrometheusMetricReader(
            registry=registry, resource_attribute_filter=lambda key: key == "service.name"
        )
        resource = Resource.create(
            {
                "service.name": service,
                "service.namespace": NAMESPACE,
                "service.instance.id": instance,
                "service.version": version,
            }
        )
        self.provider = MeterProvider(resource=resource, metric_readers=[self.reader])
        meter = self.provider.get_meter(SCOPE)
        self.meter = meter
        self._server = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
        )
        self._client = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
        )
        self._graph = meter.create_counter(
            "traces_service_graph_request", description="Requests between two services, by client and server."
        )
        self._graph_failed = meter.create_counter(
            "traces_service_graph_request_failed", description="Failed requests between two services."
        )

    def server_request(self, method: str, route: str, status: int, seconds: float) -> None:
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "http.route": route,
            "http.response.status_code": status,
            "url.scheme": "http",
        }
        if status >= 500:
            attributes["error.type"] = str(status)
        self._server.record(seconds, attributes)

    def client_request(self, upstream: str, method: str, status: int, seconds: float, error: str = "") -> None:
        """A call to ``upstream``: its status, or (no answer) ``error`` as ``error.type``, as the
        conventions say."""
        attributes: dict[str, str | int] = {"http.request.method": method, "server.address": upstream}
        if status:
            attributes["http.response.status_code"] = status
        if error or status >= 500:
            attributes["error.type"] = error or str(status)
        self._client.record(seconds, attributes)
        self._graph.add(1, {"client": self.service, "server": upstream})
        if error or status >= 500:
            self._graph_failed.add(1, {"client": self.service, "server": upstream})

    def connection_pool(self, pool: str, size: int, in_use: Callable[[], int]) -> Callable[[float], None]:
        """A database client's connection pool: its used and idle connections, its size, and a recorder
        of the time each acquisition waited."""
        names = {"db.client.connection.pool.name": pool}

        def count(_: CallbackOptions) -> Iterable[Observation]:
            used = in_use()
            return [
                Observation(used, {**names, "db.client.connection.state": "used"}),
                Observation(size - used, {**names, "db.client.connection.state": "idle"}),
            ]

        def limit(_: CallbackOptions) -> Iterable[Observation]:
            return [Observation(size, names)]

        self.meter.create_observable_up_down_counter(
            "db.client.connection.count", [count], unit="{connection}", description="Connections in the pool, by state."
        )
        self.meter.create_observable_up_down_counter(
            "db.client.connection.max",
            [limit],
            unit="{connection}",
            description="The most connections the pool allows.",
        )
        wait = self.meter.create_histogram(
            "db.client.connection.wait_time",
            unit="s",
            description="Time it took to obtain an open connection from the pool.",
            explicit_bucket_boundaries_advisory=WAIT_BUCKETS,
        )
        return lambda seconds: wait.record(seconds, names)

    def message_processing(
        self, queue: str, system: str = "kafka", buckets: Sequence[float] = LATENCY_BUCKETS
    ) -> Callable[[float], None]:
        """A consumer's time to process one message, from ``queue``."""
        histogram = self.meter.create_histogram(
            "messaging.process.duration",
            unit="s",
            description="Duration of processing operation.",
            explicit_bucket_boundaries_advisory=buckets,
        )
        names = {"messaging.system": system, "messaging.destination.name": queue, "messaging.operation.name": "process"}
        return lambda seconds: histogram.record(seconds, names)

    def shutdown(self) -> None:
        self.provider.shutdown()
