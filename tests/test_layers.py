"""The layering of Andon's packages, checked on the import graph: a module may import its own layer and the
layers below it, never one above. The graph is read statically with ``ast`` from every ``.py`` file of the
packages, so imports inside functions (the commands' lazy imports) and under ``TYPE_CHECKING`` count too.

``LAYERS`` is the one list of the layers (docs/architecture.md repeats it). There are no exceptions: the
``andon`` package, the composition root, sits on top, so every upward import fails the test."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("andon", "bot", "tools", "knowledge", "evals", "bench", "prompts")

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (  # lowest first; a module's layer is its longest prefix here
    ("prompts", ("prompts",)),  # the Jinja2 templates, one per node; no code
    ("knowledge", ("knowledge",)),  # runbooks, past incidents, retrieval
    ("tools", ("tools",)),  # telemetry sources, the RCA engine, the tool registry and actuators
    ("domain", ("bot",)),  # the rest of bot/: settings, models, policy, approval, store, watch, charts, ...
    ("engine", ("bot.agent", "bot.reasoners")),  # the LangGraph investigation and the reasoners it calls
    ("runtime", ("bot.runtime",)),  # wires the engine to sources, store and checkpoints: the Investigator
    ("chat", ("bot.chat",)),  # conversations, approvals in the channel, commands, cards: no channel's transport
    ("slack", ("bot.slack",)),  # the Slack channel: the Bolt app, listeners, handlers, the Web API, the server
    ("cli", ("bot.cli",)),  # the bot's commands (a Typer sub-app), the plumbing all commands share
    ("evals", ("evals",)),  # scenarios, scoring, the lab, and their commands (evals.cli)
    ("bench", ("bench",)),  # benchmarks over evals and the running bot, and their command (bench.cli)
    ("root", ("andon",)),  # the andon command: composes the sub-apps of bot.cli, evals.cli and bench.cli
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[tuple[str, int]]:
    """Every module of the packages that ``name`` imports, anywhere in the file, with the line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # ``from bot.agent import nodes`` imports the module bot.agent.nodes, not just the package
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {(t, node.lineno) for t in targets if t.split(".")[0] in PACKAGES}
    return found


def _layer(module: str) -> int:
    best = max(
        (
            (len(prefix), rank)
            for rank, (_, prefixes) in enumerate(LAYERS)
            for prefix in prefixes
            if module == prefix or module.startswith(prefix + ".")
        ),
        default=None,
    )
    assert best is not None, f"{module} is in no layer: add it to LAYERS in tests/test_layers.py"
    return best[1]


def _upward() -> dict[tuple[str, str], str]:
    """Every import of a higher layer: (importer, imported) -> where and which layers."""
    known = _modules()
    found: dict[tuple[str, str], str] = {}
    for name, path in known.items():
        for target, line in sorted(_imports(name, path, known)):
            low, high = _layer(name), _layer(target)
            if high > low:
                found.setdefault(
                    (name, target), f"{path.relative_to(ROOT)}:{line}: {LAYERS[low][0]} imports {LAYERS[high][0]}"
                )
    return found


def test_no_layer_imports_a_layer_above_it() -> None:
    upward = _upward()
    assert not upward, "imports against the layering (LAYERS in tests/test_layers.py):\n" + "\n".join(
        f"  {a} → {b}  ({where})" for (a, b), where in sorted(upward.items())
    )


def test_the_walk_sees_lazy_relative_and_type_checking_imports(tmp_path: Path) -> None:
    """The checker itself, on a module written for it: every kind of import is found and placed."""
    source = tmp_path / "watcher.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import budget\n"
        "from ..agent import nodes\n"
        "if TYPE_CHECKING:\n    from bot.runtime import Investigator\n"
        "def later():\n    import bot.slack.app\n    from evals.runner import run\n"
    )
    known = _modules()
    found = {target for target, _ in _imports("bot.watch.watcher", source, known)}
    assert found == {"bot.watch.budget", "bot.agent.nodes", "bot.runtime", "bot.slack.app", "evals.runner"}
    assert [LAYERS[_layer(t)][0] for t in sorted(found)] == ["engine", "runtime", "slack", "domain", "evals"]
    assert _layer("bot.slack.handlers") > _layer("bot.chat.desk"), "the Slack channel sits above the chat logic"
    assert _layer("bot.agent.nodes.approval") > _layer("bot.approval"), "the act node sits above the state machine"


def test_tests_take_helpers_from_support_or_their_own_package() -> None:
    """A test imports shared helpers from ``tests/support``; from elsewhere under ``tests/`` only a helper
    module (a conftest or a data module, never a ``test_*`` module) of its own package or one above it."""
    tests = ROOT / "tests"
    wrong = []
    for path in sorted(tests.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for target in targets:
                home, _, leaf = target.rpartition(".")
                if not target.startswith("tests.") or target.startswith("tests.support"):
                    continue
                if leaf.startswith("test_") or not (package == home or package.startswith(home + ".")):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}")
    assert not wrong, "move such helpers into tests/support/:\n" + "\n".join(wrong)


def test_the_console_channel_needs_no_slack() -> None:
    """``andon chat`` drives the chat layer directly: neither its command nor its console imports ``bot.slack``."""
    known = _modules()
    slack = sorted(
        f"{name} → {target}"
        for name in ("bot.cli.chat", "bot.cli.console")
        for target, _ in _imports(name, known[name], known)
        if target.startswith("bot.slack")
    )
    assert not slack, slack
