"""``andon doctor``: what Andon can see of the configured stack, backend by backend."""

from __future__ import annotations

import typer

from bot.cli.common import console, fail, print_json, settings_or_exit


def doctor(as_json: bool = typer.Option(False, "--json", help="print the checks as one JSON object")) -> None:
    """Connect to every configured backend and report: reachable or not (with the error), the signal
    profiles Prometheus speaks, the services and signals found, and where the call graph comes from.
    Exits 1 when a configured backend cannot be read."""
    settings = settings_or_exit()
    from bot.doctor import check_backends
    from bot.settings import SettingsError
    from bot.sources import build_live_sources

    try:
        sources = build_live_sources(settings)
    except SettingsError as exc:
        fail(str(exc))
    checks = check_backends(sources, configured_topology=bool(settings.topology))
    failed = [c for c in checks if c.configured and not c.reachable]
    if as_json:
        print_json({"ok": not failed, "backends": [c.to_dict() for c in checks]})
    else:
        for check in checks:
            if not check.configured:
                console.print(f"[dim]{check.name}: not configured[/]")
                continue
            mark = "[green]✓[/]" if check.reachable else "[red]✗[/]"
            console.print(f"{mark} {check.name}" + (f": {check.error}" if check.error else ""), markup=True)
            _print_details(check.details)
    if failed:
        raise typer.Exit(1)


def _print_details(details: dict[str, object]) -> None:
    from rich.markup import escape

    profiles = details.get("profiles")
    if isinstance(profiles, list):
        names = ", ".join(f"{p['name']} (services by {p['service_label']})" for p in profiles) or "none detected"
        console.print(f"    profiles: {escape(names)}")
    services = details.get("services")
    if isinstance(services, dict):
        console.print(f"    services with signals: {len(services)}")
        for service, signals in list(services.items())[:30]:
            console.print(f"      {escape(service)}: {escape(', '.join(signals))}")
    topology = details.get("topology")
    if isinstance(topology, dict):
        console.print(f"    call graph: from {topology['from']}, {topology['edges']} edges")
    for key, value in details.items():
        if key not in ("profiles", "services", "topology"):
            console.print(f"    {key}: {value}")
