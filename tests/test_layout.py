"""The house rules a reader can check by looking at the files: no service file over 800 lines, imports at the
top (a lazy load of a heavy library says so with ``# lazy:``), no module named by a dotted string outside the
composition root, no ignored import in the layering contracts, and every state machine answering an illegal
step with the same 409 and keeping a history."""

from __future__ import annotations

import ast
import configparser
import gc
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from loan_scrm import wiring
from scrm.core.errors import InvalidTransition
from scrm.core.statemachine import Machine

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scrm", "backoffice", "console", "loan_scrm")
MAX_SERVICE_LINES = 800


def _sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def test_no_service_file_is_over_800_lines():
    services = [p for p in _sources("scrm", "backoffice")
                if p.name == "service.py" or p.parent.name == "service"]
    assert len(services) > 20
    too_long = {str(p.relative_to(ROOT)): n for p in services
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_SERVICE_LINES}
    assert too_long == {}


def _function_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += [n.lineno for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return lines


def _says_lazy(lines: list[str], lineno: int) -> bool:
    """A ``# lazy:`` comment on the import's line or in the comment lines just above it (over other imports)."""
    i = lineno - 1
    if "# lazy:" in lines[i]:
        return True
    i -= 1
    while i >= 0 and (lines[i].strip().startswith(("#", "from ", "import ")) or not lines[i].strip()):
        if lines[i].strip().startswith("# lazy:"):
            return True
        i -= 1
    return False


def test_imports_inside_functions_are_only_commented_lazy_loads():
    unmarked = []
    for path in _sources(*PACKAGES):
        lines = path.read_text(encoding="utf-8").splitlines()
        unmarked += [f"{path.relative_to(ROOT)}:{n}" for n in _function_imports(path) if not _says_lazy(lines, n)]
    assert unmarked == []


DOTTED = re.compile(r"(scrm|backoffice|console|loan_scrm)(\.[a-z_][a-z0-9_]*)+")


def _names_a_module(text: str) -> bool:
    path = ROOT.joinpath(*text.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def test_no_module_is_named_by_a_dotted_string_outside_the_composition_root():
    found = []
    for path in _sources("scrm", "backoffice", "console"):
        own = ".".join(path.relative_to(ROOT).parts[:2])  # scrm.tagging naming its own data package is no import
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.fullmatch(node.value):
                if _names_a_module(node.value) and not node.value.startswith(own):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                    "import_module", "__import__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} import by name")
    assert found == []
    assert not (ROOT / "backoffice" / "web").exists()


def test_the_layering_contracts_ignore_no_import():
    contracts = configparser.ConfigParser()
    contracts.read(ROOT / ".importlinter")
    sections = [s for s in contracts.sections() if s.startswith("importlinter:contract:")]
    assert len(sections) >= 4
    assert [s for s in sections if contracts.has_option(s, "ignore_imports")] == []


def test_every_machine_refuses_an_illegal_step_with_the_same_409_and_keeps_a_history():
    wiring.preload_job_modules()  # every service module, so every machine exists
    machines = {m.entity: m for m in gc.get_objects() if isinstance(m, Machine) and m.entity != "light"}
    assert len(machines) >= 13, sorted(machines)
    for machine in machines.values():
        assert callable(machine.store), machine.entity
        states = {s for s, _ in machine.transitions} | set(machine.transitions.values())
        action = machine.actions[0]
        illegal = next((s for s in states if (s, action) not in machine.transitions), None)
        if illegal is None:
            continue  # an action allowed from every state
        with pytest.raises(InvalidTransition) as exc:
            machine.check(SimpleNamespace(id=7, **{machine.attribute: illegal}), action)
        assert exc.value.status_code == 409
        assert exc.value.extra == {"entity": machine.entity, "entity_id": 7, "state": illegal.value, "action": action,
                                   "allowed": [s.value for s in machine.allowed_from(action)]}
