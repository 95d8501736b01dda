"""Typed settings, read once at start-up from ``ANDON_*`` variables, the ecosystem's own names
(``SLACK_*``, ``OPENAI_*``) and an optional ``andon.yaml``; passed down, never read at import time."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import yaml
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

if TYPE_CHECKING:
    from tools.sources.http_client import BackendAuth

__all__ = ["Settings", "SettingsError", "TelemetryBackend", "load_settings"]

log = logging.getLogger(__name__)

TelemetryBackend = Literal["prometheus", "alertmanager", "loki"]
"""The HTTP backends that take ``ANDON_<BACKEND>_*`` auth and TLS settings."""


_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # an RFC 1123 label, as Kubernetes requires


class SettingsError(ValueError):
    """A missing or invalid setting, naming the variable to set."""


class _YamlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.data: dict[str, Any] = {}
        if path and path.exists():
            try:
                loaded = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
                raise SettingsError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from exc
            if not isinstance(loaded, dict):
                raise SettingsError(f"{path}: must be a mapping of setting names to values")
            unknown = sorted(set(map(str, loaded)) - set(settings_cls.model_fields))
            if unknown:
                log.warning("%s: unknown setting(s) ignored: %s", path, ", ".join(unknown))
            self.data = loaded

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Every knob Andon has. Environment variables win over ``andon.yaml``."""

    model_config = SettingsConfigDict(env_prefix="ANDON_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        Path(".andon"), description="where SQLite, embedded Chroma, checkpoints and the saved BM25 index live"
    )
    database_url: str | None = Field(
        None, description="PostgreSQL URL for several replicas; SQLite in data_dir otherwise"
    )
    chroma_url: str | None = Field(None, description="Chroma server URL; embedded Chroma otherwise")
    embeddings: Literal["local", "openai"] = "local"
    embedding_model: str = "text-embedding-3-small"
    knowledge_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="extra runbook/incident folders"
    )

    reasoner: Literal["rules", "llm"] = "rules"
    model: str = Field("gpt-4o-mini", description="chat model for the llm reasoner")
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "ANDON_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL", "ANDON_OPENAI_BASE_URL"))
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 1
    llm_profile: Path | None = Field(
        None,
        description="how much each model's ranking counts, per model, written by "
        "andon eval --calibrate (default: <data_dir>/llm-profile.json when it exists)",
    )
    max_prompt_tokens: int = Field(
        3000,
        ge=500,
        description="the most any one model request may carry (tool schemas included), estimated as characters / 4",
    )
    llm_investigate: bool = Field(
        True,
        description="let the model ask for more read-only tool calls before it ranks; false: the model only "
        "ranks the rules engine's evidence, one request per incident (for small local models, whose own "
        "calls cost time and add nothing)",
    )
    max_output_tokens: int = Field(
        512,
        ge=16,
        description="the most tokens one model answer may take (sent as max_tokens): a diagnosis of five "
        "hypotheses needs about 300; a small model that rambles stops there",
    )

    rca_params: Path | None = Field(
        None,
        description="RCA engine parameters written by andon tune (default: <data_dir>/rca-params.json when it exists)",
    )

    max_steps: int = Field(6, description="investigate/tools round trips")
    max_tool_calls: int = 24
    max_seconds: float = 120.0
    max_tokens: int = 60_000

    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    loki_url: str | None = None
    # Auth and TLS per telemetry backend (README: "Auth and TLS for telemetry backends"); see Settings.backend_auth.
    prometheus_bearer_token: SecretStr | None = None
    prometheus_basic_user: str | None = None
    prometheus_basic_password: SecretStr | None = None
    prometheus_headers: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    prometheus_ca_file: Path | None = None
    prometheus_insecure_skip_verify: bool = False
    prometheus_tenant: str | None = None
    alertmanager_bearer_token: SecretStr | None = None
    alertmanager_basic_user: str | None = None
    alertmanager_basic_password: SecretStr | None = None
    alertmanager_headers: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    alertmanager_ca_file: Path | None = None
    alertmanager_insecure_skip_verify: bool = False
    alertmanager_tenant: str | None = None
    loki_bearer_token: SecretStr | None = None
    loki_basic_user: str | None = None
    loki_basic_password: SecretStr | None = None
    loki_headers: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    loki_ca_file: Path | None = None
    loki_insecure_skip_verify: bool = False
    loki_tenant: str | None = None
    # Kubernetes access (README: "Kubernetes access"); chosen by bot.cluster_access.kubernetes_connection.
    kubernetes_url: str | None = Field(
        None, description="the API server, with kubernetes_token (or kubectl proxy's URL)"
    )
    kubernetes_token: SecretStr | None = None
    kubeconfig: str | None = Field(
        None, description="kubeconfig file(s), ':'-separated as KUBECONFIG (ANDON_KUBECONFIG)"
    )
    kubernetes_context: str | None = Field(
        None, description="the kubeconfig context; set alone, it reads $KUBECONFIG or ~/.kube/config"
    )
    kubernetes_namespaces: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="read (and act) only in these namespaces; the whole cluster otherwise"
    )
    kubernetes_in_cluster: bool = Field(
        True, description="in a pod, use its service account when neither kubernetes_url nor a kubeconfig is set"
    )
    change_feed_url: str | None = None
    log_dir: Path | None = Field(None, description="read service logs from <log_dir>/<service>.log")
    topology: dict[str, list[str]] = Field(default_factory=dict, description="service -> dependencies")
    flag_url: str | None = None
    automation_hooks: dict[str, str] = Field(default_factory=dict, description="job name -> URL")

    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "ANDON_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "ANDON_SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "ANDON_SLACK_APP_TOKEN")
    )
    slack_api_url: str | None = None
    incident_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    policy_file: Path | None = None
    webhook_token: SecretStr | None = Field(
        None, description="bearer token (or basic-auth password) the alert webhooks require (ANDON_WEBHOOK_TOKEN)"
    )
    pagerduty_secret: SecretStr | None = Field(
        None, description="the PagerDuty webhook subscription's signing secret (ANDON_PAGERDUTY_SECRET)"
    )
    charts: bool = Field(
        True,
        description="evidence charts: PNGs in the incident thread after the RCA card, "
        "sparklines in the terminal (ANDON_CHARTS=false turns both off)",
    )
    watch: bool = Field(
        False,
        description="andon serve also runs the watch (ANDON_WATCH=1): early-warning threads "
        "in the incident channel, posted by one replica at a time",
    )
    watch_interval_s: float = Field(
        30.0, gt=0, description="andon watch (and andon serve's watch) scans every this many seconds"
    )
    watch_window_s: float = Field(1800.0, ge=300, description="how far back one watch scan reads each series")
    watch_cooldown_s: float = Field(
        1800.0,
        ge=0,
        description="a warning about one service and signal family is not repeated within this many seconds",
    )
    watch_forecast_h: float = Field(
        2.0, gt=0, description="warn when a resource is projected full within this many hours"
    )
    watch_false_warnings: int = Field(
        1,
        ge=0,
        description="the false-warning budget: how many of one service's "
        'warnings may be called "not a problem" within ANDON_WATCH_BUDGET_DAYS before '
        "the watch grows less sensitive there",
    )
    watch_budget_days: float = Field(7.0, gt=0, description="the false-warning budget's window, in days (a week)")
    worker: Literal["process", "thread"] = Field(
        "process",
        description="andon serve: where investigations, chat messages and slash-command work run — "
        "process (a worker process of their own, so the serving process only checks signatures, writes the durable "
        "job and answers) or thread (the serving process's own threads)",
    )
    sqlite_synchronous: Literal["normal", "full"] = Field(
        "normal",
        description="the SQLite store's durability: normal (a commit survives the process being killed; "
        "a power loss can undo the last ones) or full (each commit waits for the disk, and survives a power loss)",
    )
    log_format: Literal["text", "json"] = Field("text", description="server log lines as text or one JSON object each")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="the least severe level logged")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("worker", "sqlite_synchronous", mode="before")
    @classmethod
    def _lower_word(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    config_file: Path | None = Field(None, description="andon.yaml path (ANDON_CONFIG_FILE)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        import os

        path = Path(os.environ.get("ANDON_CONFIG_FILE", "andon.yaml"))
        return (init_settings, env_settings, _YamlSource(settings_cls, path), file_secret_settings)

    @field_validator("knowledge_dirs", "incident_channels", "kubernetes_namespaces", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """``C0123,C0456`` or a JSON list (``["C0123"]``), as a variable is naturally typed."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    return json.loads(text)
                except ValueError as exc:
                    raise ValueError(f"not a JSON list: {exc}") from exc
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("kubernetes_namespaces")
    @classmethod
    def _namespace_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _NAMESPACE.match(name):
                raise ValueError(f"{name!r} is not a Kubernetes namespace name")
        return list(dict.fromkeys(value))

    @field_validator("prometheus_headers", "alertmanager_headers", "loki_headers", mode="before")
    @classmethod
    def _header_list(cls, value: Any) -> Any:
        """``X-Team: sre, X-Env=prod`` (each entry split at its first ``:`` or ``=``), or a JSON object
        for values with commas in them."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("{"):
            try:
                return json.loads(text)
            except ValueError as exc:
                raise ValueError(f"not a JSON object: {exc}") from exc
        headers: dict[str, str] = {}
        for number, entry in enumerate((item.strip() for item in text.split(",") if item.strip()), start=1):
            cut = min((at for at in (entry.find(":"), entry.find("=")) if at > 0), default=-1)
            if cut < 0:  # the entry itself is not echoed: it may be a secret typed wrongly
                raise ValueError(f"header {number} is not 'Name: value' or 'Name=value'")
            headers[entry[:cut].strip()] = entry[cut + 1 :].strip()
        return headers

    @model_validator(mode="after")
    def _backend_auth_is_consistent(self) -> Settings:
        """Contradictory credentials or a missing CA file fail at start-up, naming the settings to fix."""
        for backend in get_args(TelemetryBackend):
            if getattr(self, f"{backend}_url"):
                self.backend_auth(backend)
        return self

    @model_validator(mode="after")
    def _kubernetes_access_is_consistent(self) -> Settings:
        """One way to reach Kubernetes: a URL (and its token) or a kubeconfig (and its context)."""
        if self.kubernetes_url and (self.kubeconfig or self.kubernetes_context):
            other = "ANDON_KUBECONFIG" if self.kubeconfig else "ANDON_KUBERNETES_CONTEXT"
            raise SettingsError(f"ANDON_KUBERNETES_URL and {other} are both set: use a URL or a kubeconfig, not both")
        if self.kubernetes_token and not self.kubernetes_url:
            raise SettingsError(
                "ANDON_KUBERNETES_TOKEN is set without ANDON_KUBERNETES_URL (in a pod, the service "
                "account's token is used; with a kubeconfig, its user's)"
            )
        return self

    def backend_auth(self, backend: TelemetryBackend) -> BackendAuth:
        """The credentials, headers, tenant and TLS trust set for ``backend`` (``ANDON_<BACKEND>_*``)."""
        from tools.sources.http_client import BackendAuth

        headers: dict[str, SecretStr] = getattr(self, f"{backend}_headers")
        return BackendAuth(
            bearer_token=self.secret(f"{backend}_bearer_token") or None,
            basic_user=getattr(self, f"{backend}_basic_user") or None,
            basic_password=self.secret(f"{backend}_basic_password") or None,
            headers={name: value.get_secret_value() for name, value in headers.items()},
            ca_file=getattr(self, f"{backend}_ca_file"),
            insecure_skip_verify=bool(getattr(self, f"{backend}_insecure_skip_verify")),
            tenant=getattr(self, f"{backend}_tenant") or None,
            settings_prefix=f"ANDON_{backend.upper()}_",
        )

    def require(self, *names: str) -> None:
        """Raise :class:`SettingsError` naming the first missing variable among ``names``."""
        env_names = {
            "slack_bot_token": "SLACK_BOT_TOKEN",
            "slack_signing_secret": "SLACK_SIGNING_SECRET",
            "slack_app_token": "SLACK_APP_TOKEN",
            "openai_api_key": "OPENAI_API_KEY",
        }
        for name in names:
            if getattr(self, name) in (None, ""):
                raise SettingsError(f"missing setting: set {env_names.get(name, 'ANDON_' + name.upper())}")

    def secret(self, name: str) -> str:
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")


_EXPECTED_FORMS = {
    "topology": 'a JSON object of service -> dependencies, e.g. {"checkout": ["payments", "inventory"]}',
    "automation_hooks": 'a JSON object of job name -> URL, e.g. {"flush-cache": "https://hooks.example.com/flush"}',
    "incident_channels": "channel ids separated by commas (C0123,C0456) or a JSON list",
    "knowledge_dirs": "folders separated by commas (/srv/runbooks,/srv/postmortems) or a JSON list",
    "kubernetes_namespaces": "namespaces separated by commas (shop,payments) or a JSON list",
}
"""The form a setting takes, for settings whose error alone would not say it."""

_SOURCE_FIELD = re.compile(r'field "(\w+)"')


def _setting_error(field: str, problem: str) -> str:
    """One line naming the variable, what is wrong with its value and, where it helps, the form it takes."""
    expected = _EXPECTED_FORMS.get(field)
    return f"ANDON_{field.upper()}: {problem}" + (f"; expected {expected}" if expected else "")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and ``andon.yaml``, with ``overrides`` on top; errors as one line that
    names the setting and the form it takes."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except SourceError as exc:  # a variable that is not valid JSON where JSON is expected
        field = _SOURCE_FIELD.search(str(exc))
        problem = _setting_error(field.group(1), "not valid JSON") if field else str(exc).splitlines()[0]
        raise SettingsError(f"invalid settings: {problem}") from exc
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())
            if not error["loc"]:
                problems.append(message)
                continue
            where = ".".join(map(str, error["loc"][1:]))
            problems.append(_setting_error(str(error["loc"][0]), f"{where}: {message}" if where else message))
        raise SettingsError("invalid settings: " + "; ".join(dict.fromkeys(problems))) from exc
