"""Every number the RCA engine scores with, in one frozen, documented object.

Each parameter carries its reason (``why``) and, when ``andon tune`` may fit it, the range it searches
(``tune``): only parameters the diagnosis reads (not those the analysis tools score series with), since
tuning replays gathered evidence. The defaults are the fitted values (see docs/rules-engine.md for how they were
fitted);
``load_params`` reads a file ``andon tune`` wrote over them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["Params", "load_params", "save_params", "describe_params"]


def _p(default: Any, why: str, tune: tuple[float, float] | None = None) -> Any:
    return field(default=default, metadata={"why": why, "tune": tune})


@dataclass(frozen=True)
class Params:
    # --- one series: how far it moved at its change point -------------------------------------------------
    anomaly_threshold: float = _p(4.0, "a directed robust z-score above this is an anomaly worth naming")
    z_cap: float = _p(200.0, "a shift this many spreads away is certain; more says nothing new")
    relative_floor: float = _p(0.1, "a shift under 10% of a series' level is never large, however quiet its past")
    accumulating_floor: float = _p(0.03, "accumulating resources (memory, disk, queues) drift slowly: 3% counts")
    share_floor: float = _p(
        0.005,
        "the smallest move of a success share (availability, hit ratio) that can matter: "
        "half a percent of its ceiling, like a ratio's unit floor",
    )
    dependency_weight: float = _p(0.3, "a client-side metric speaks mostly for the service it calls")
    lookback_s: float = _p(1200.0, "how far before the hinted onset the change point may lie")
    lookahead_s: float = _p(120.0, "how far after the hinted onset the change point may lie")
    edge_cost_slack: float = _p(
        0.02,
        "a split on the search's early edge costing within this share of the best "
        "one means nothing inside moved: the change may lie further back",
    )
    widen_gain: float = _p(
        0.5, "that further-back change is taken when its split costs this share less: a step, not a spike's noise"
    )
    smooth_below_step_s: float = _p(
        90.0, "samples closer than this are median-filtered; a coarser sample is minutes of data"
    )
    precedent_ratio: float = _p(1.5, "a shift the history already reached within this factor is not news")
    precedent_discount: float = _p(0.3, "what a shift the history already showed is worth")
    blip_discount: float = _p(0.4, "what a shift that has already come back is worth")
    recovered_share: float = _p(0.5, "recovering: back at least this share of the way to its old level")
    drift_min_points: int = _p(20, "fewer points cannot show a steady trend")
    drift_min_trend: float = _p(0.6, "rank correlation with time above which a series trends steadily")
    drift_dominance: float = _p(1.5, "a trend replaces the step reading when it is this much larger")
    settled_share: float = _p(0.5, "a shift is read at its settled level when that kept half of its peak's move")
    precedent_min_points: int = _p(10, "fewer points before the onset say nothing about precedent")
    min_before_points: int = _p(
        4, "the change point leaves at least this many points before it (fewer for short series)"
    )
    screen_share: float = _p(
        0.9, "a series whose every move stays under this share of the threshold is quiet: read cheaply"
    )
    short_points: int = _p(6, "with fewer finite points a series is read without a change-point search")
    # --- services: how series add up, and who explains whom ---------------------------------------------------
    breadth: int = _p(5, "a service's score sums its strongest series: a root cause moves several signals")
    series_shown: int = _p(14, "series a service record shows beyond the strongest of each metric")
    propagation_slack_s: float = _p(90.0, "a dependency that turned anomalous this soon after still came first")
    strong_share: float = _p(0.2, "a service's trouble is dated by shifts at least this share of its strongest")
    corroborating_cap: float = _p(
        3.0, "a dependency this many thresholds strong always corroborates, whatever the caller's"
    )
    corroborating_share: float = _p(0.25, "a dependency explains a caller when its fault is this share of the caller's")
    load_rise_share: float = _p(0.5, "a traffic rise of half the anomaly threshold is extra load")
    served_drop_share: float = _p(
        0.5,
        "a service that, under more load, serves less than this share of what it "
        "served before lost capacity of its own: more load does not take away "
        "what it could already serve",
    )
    load_strain_lag_s: float = _p(
        600.0,
        "overload shows within minutes of the extra load; strain that began later than this after it has another cause",
    )
    idle_ratio: float = _p(0.01, "below this share of its later level a series was idle before")
    own_cause_link: float = _p(
        0.5, "a change tied this firmly to a caller is its own cause (not the service its logs name)", (0.2, 0.9)
    )
    propagated_discount: float = _p(0.35, "how much lower the anomaly ranking lists a service others explain")
    # --- logs ---------------------------------------------------------------------------------------------------
    onset_lead_s: float = _p(60.0, "log lines this long before a metric onset already count as after it")
    max_log_lines: int = _p(1500, "lines mined per service and side of the onset; more are sampled")
    spike_min_lines: int = _p(3, "a template seen fewer times since the onset is not a spike")
    spike_ratio: float = _p(1.5, "a template spikes when its rate rises above this multiple of its rate before")
    spike_margin_per_min: float = _p(0.2, "and by at least this many lines a minute (quiet templates are noisy)")
    spike_ratio_cap: float = _p(100.0, "a rise beyond this multiple orders spikes no further")
    spike_error_weight: float = _p(2.0, "error-like templates come first")
    spike_other_weight: float = _p(0.5, "other templates come after them")
    spike_smoothing_per_min: float = _p(0.1, "added to both rates before their ratio: a quiet template's noise")
    drain_similarity: float = _p(0.5, "how alike two log lines must be to share a drain3 template")
    spike_new_weight: float = _p(1.5, "templates never seen before the onset come first among equals")
    # --- changes: which changes could have caused which trends --------------------------------------------------
    change_lookback_s: float = _p(7 * 86400.0, "how far back a change may still be the cause of a trend")
    change_after_onset_s: float = _p(180.0, "a change this soon after the detected onset may still be its cause")
    change_step_window_s: float = _p(3600.0, "a step this long after a change may be its effect")
    rollout_restarts_per_pod: float = _p(
        1.0,
        "a rolling deploy restarts each replica once: no more restarts than "
        "that per pod, at a deploy, with every pod ready now, are the rollout's",
    )
    change_slow_window_s: float = _p(3 * 3600.0, "a schema or infrastructure change may take this long to show")
    suspect_change_weight: float = _p(2.0, "a change on a suspected service lists this much higher")
    credential_link_strength: float = _p(
        0.8, "auth failures after a credential change are tied to it, if less firmly than a trend"
    )
    named_link_strength: float = _p(
        0.8, "a failure that quotes a name a change set (a key, a setting) is tied to it at any age"
    )
    change_match_s: float = _p(900.0, "a trend that began this close to a change began with it")
    change_decay_s: float = _p(1200.0, "how fast a change's claim on a step fades with the delay")
    drain_drop_share: float = _p(
        0.5,
        "a workload whose own throughput fell by this share drains that much "
        "less: half its work undone is a pile, not noise",
    )
    # --- hypotheses: what explains the evidence ---------------------------------------------------------------
    fact_weight_kubernetes: float = _p(1.5, "a status Kubernetes reports is a fact about the failure mode")
    fact_weight_change: float = _p(1.25, "a recorded change is a fact about what started it")
    unknown_weight: float = _p(0.3, "a check that could not be read counts this much against the fit", (0.1, 0.6))
    fit_saturation: float = _p(2.0, "support at which a fit is two-thirds of the way to certain")
    level_worsening_share: float = _p(0.5, "a level that worsened by half of itself is news even if it was bad before")
    defining_weight: float = _p(3.0, "a check this heavy defines its fault: only then may the fault claim its effects")
    link_credit: float = _p(0.8, "what a cause earns for the evidence of an effect it explains", (0.5, 0.95))
    hop_credit: float = _p(0.5, "each further causal link passes on this share of the credit", (0.2, 0.9))
    unexplained_penalty: float = _p(0.15, "what a strong observation the hypothesis cannot explain costs", (0.0, 0.4))
    change_floor_share: float = _p(0.25, "a tied change on a barely anomalous service still counts this share")
    weak_strength_cap: float = _p(0.25, "a service below the anomaly threshold is at most this strong")
    change_bonus: float = _p(0.35, "what a change that explains the onset adds to its service", (0.15, 0.6))
    log_bonus_new: float = _p(0.2, "what new error logs of its own add to a service", (0.1, 0.4))
    log_bonus_spiking: float = _p(0.1, "what spiking (not new) error logs of its own add to a service")
    kube_bonus: float = _p(0.3, "what Kubernetes trouble of its own pods adds to a service", (0.1, 0.5))
    named_bonus: float = _p(0.1, "what each other service whose error logs name it adds to a service")
    named_cap: float = _p(0.25, "the most that being named by others adds")
    alerted_bonus: float = _p(0.05, "what being the alerting service adds")
    victim_factor: float = _p(0.6, "a service others' faults or load explain keeps this share", (0.3, 0.9))
    strength_full: float = _p(8.0, "a service anomaly score that is full strength", (4.0, 16.0))
    off_scope_factor: float = _p(0.5, "a fault whose scope the nodes contradict (a zone's on one node) fits this much")
    client_side_share: float = _p(0.5, "a caller fitting a client-side fault this well is where it belongs")
    role_cause_share: float = _p(
        0.9,
        "in a DNS or cache server, what broke it is the detail and its failing "
        "at its job the headline: the cause keeps this share of its fit",
        (0.5, 1.0),
    )
    off_service_factor: float = _p(0.5, "a runbook written for other services fits this much")
    retrieval_prior: float = _p(0.04, "what the best-retrieved runbook adds")
    alertname_prior: float = _p(0.05, "what a runbook answering the alert's name adds")
    retrieval_depth: int = _p(3, "retrieved runbooks that count, the best most")
    similar_depth: int = _p(5, "similar past incidents that count, the best most")
    similar_prior: float = _p(0.08, "what the most similar past incident adds to its category")
    fallback_fit: float = _p(0.3, "the category a service's dominant signal suggests, when no runbook fits better")
    fallback_fit_without_runbooks: float = _p(0.55, "with no runbooks, the signal kind is all the knowledge there is")
    fit_floor: float = _p(0.4, "the confidence a service earns before any runbook fits", (0.2, 0.7))
    history_series: int = _p(8, "suspect series whose longer past is read (each costs three range queries)")
    burn_floor: float = _p(1.0, "an accumulating series up this much in the window may be a slow burn's last stretch")
    drowning_slowdown: float = _p(3.0, "a dependency this many times slower than before drowns in its load")
    skew_min_pods: int = _p(4, "fewer pods cannot show work piling onto some of them")
    skew_share: float = _p(0.25, "work on at most this share of a service's pods is pinned there, not spread")
    near_full_ratio: float = _p(0.9, "a usage ratio this close to capacity is read for when its climb began")
    history_burning: int = _p(2, "more series read for a slow burn: the leading suspects' accumulating resources")
    history_long_s: float = _p(86400.0, "how far back a trend's start is looked for")
    history_edge_s: float = _p(
        3600.0, "a trend that began this close to the long window's start may have begun earlier"
    )
    history_deep_s: float = _p(
        7 * 86400.0, "how far back a trend already under way a day ago is followed (a change's lookback)"
    )
    history_margin_s: float = _p(1800.0, "an earlier window reads this much past its end: older data is coarser")
    seasonal_discount: float = _p(0.2, "what a shift the same hour yesterday or last week also showed is worth")
    episode_s: float = _p(300.0, "one service's shifts that began this close together are one episode")
    seasonal_similarity: float = _p(0.5, "a past window repeats this one when its shift is at least this share")
    moving_share: float = _p(0.5, "a level still moving by half the anomaly threshold is a burn, not a plateau")
    # --- verdicts -----------------------------------------------------------------------------------------------
    no_fault_level: float = _p(6.0, "below this strongest fault z-score, with nothing else wrong, nothing is")
    low_volume_errors: float = _p(20.0, "fewer failed requests per alert window are a handful of users")
    alert_window_s: float = _p(300.0, "the window an error-ratio alert judges over")
    down_ratio: float = _p(0.5, "a service failing at least this share of requests is down, however little its traffic")
    timing_gap: float = _p(
        2.0,
        "a caller's timing of a call includes the server's time: a server reading this many "
        "times what every caller measures of the same calls is not the calls' time",
    )
    headroom_level: float = _p(
        0.8, "a resource used below this share of its limit has headroom: load it carries is absorbed, not strain"
    )
    no_fault_confidence: float = _p(0.6, "how sure a no-fault verdict from weak or recovering signals is")
    recurring_confidence: float = _p(0.7, "how sure a recurring-shape verdict is")
    lone_blip_confidence: float = _p(0.55, "how sure a lone-uncorroborated-blip verdict is")
    quiet_confidence: float = _p(0.9, "how sure a verdict is when nothing crossed the anomaly threshold")
    close_call: float = _p(
        0.05, "two leading hypotheses this close are a close call (and, on two services, too close to act on)"
    )
    act_confidence: float = _p(
        0.6,
        "below this the evidence names a suspect, not firmly enough to change anything "
        "(measured: from 0.7 to 0.6 acted on 13% more right diagnoses and one more wrong one)",
    )
    secret_in_use_min: float = _p(
        30.0,
        "a new secret that is itself bad fails within this long of its rotation (agents "
        "re-read secrets every few minutes); trouble later is the retired one still in use",
    )


def load_params(path: Path | None) -> Params:
    """The defaults, overridden by the values in ``path`` (a JSON object ``andon tune`` wrote)."""
    if path is None or not Path(path).exists():
        return Params()
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read RCA parameters: {exc}") from exc
    values = data.get("params", data) if isinstance(data, dict) else None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: RCA parameters must be a JSON object of name: value")
    known = {f.name: f for f in fields(Params)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{path}: unknown RCA parameters: {', '.join(unknown)}")
    defaults = Params()
    cast = {name: type(getattr(defaults, name))(value) for name, value in values.items()}
    return replace(Params(), **cast)


def save_params(params: Params, path: Path, extra: dict[str, Any] | None = None) -> None:
    """Write the parameters that differ from the defaults (plus ``extra`` facts about the fit)."""
    base = Params()
    changed = {
        f.name: getattr(params, f.name) for f in fields(Params) if getattr(params, f.name) != getattr(base, f.name)
    }
    Path(path).write_text(json.dumps({"params": changed, **(extra or {})}, indent=2, sort_keys=True))


def describe_params(params: Params | None = None) -> list[dict[str, Any]]:
    """Every parameter with its value, reason and tuning range (for docs and ``andon tune --list``)."""
    params = params or Params()
    return [
        {
            "name": f.name,
            "value": getattr(params, f.name),
            "why": f.metadata.get("why", ""),
            "tune": f.metadata.get("tune"),
        }
        for f in fields(Params)
    ]
