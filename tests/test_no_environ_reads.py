"""`settings.*` is the only source of configuration: no module but the settings reads the env.

The scanner parses each file (ast, not regex), so comments and strings never trip it and an
aliased import (`import os as o; o.environ`) does not slip past.
"""

import ast
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = frozenset(
    {".venv", "node_modules", "migrations", ".git", "__pycache__", ".mypy_cache", ".ruff_cache"}
)
# The settings read the environment by design; tests/settings.py seeds it for the test run.
SETTINGS_FILES = frozenset({Path("consultation/settings.py"), Path("tests/settings.py")})
# Entry points may only name the default settings module (a standalone tool is one too).
ENTRY_POINTS = frozenset(
    {
        Path("manage.py"),
        Path("consultation/asgi.py"),
        Path("debates/providers/tests/record_cassettes.py"),
    }
)

_OS_READERS = frozenset({"environ", "environb", "getenv", "getenvb"})


@dataclass(frozen=True)
class EnvironRead:
    line: int
    what: str


def _settings_module_default(node: ast.Call) -> ast.Attribute | None:
    """The `os.environ` of `os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)`, if it is one.

    manage.py and asgi.py name the default settings module this way, as Django's templates do.
    """
    func = node.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "setdefault"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "environ"
        and len(node.args) == 2
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == "DJANGO_SETTINGS_MODULE"
    ):
        return func.value
    return None


def find_environ_reads(
    source: str, *, allow_settings_module_default: bool = False
) -> list[EnvironRead]:
    """Every place `source` touches os.environ, os.getenv or django-environ's Env."""
    tree = ast.parse(source)
    os_names: set[str] = set()
    environ_names: set[str] = set()
    reads: list[EnvironRead] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "os":
                    os_names.add(alias.asname or "os")
                elif alias.name.startswith("os.") and alias.asname is None:
                    os_names.add("os")  # `import os.path` binds `os` too
                elif alias.name == "environ":
                    environ_names.add(alias.asname or "environ")
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                if node.module == "os" and alias.name in _OS_READERS:
                    reads.append(EnvironRead(node.lineno, f"from os import {alias.name}"))
                elif node.module == "environ" and alias.name == "Env":
                    reads.append(EnvironRead(node.lineno, "from environ import Env"))

    allowed: set[int] = set()
    if allow_settings_module_default:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (target := _settings_module_default(node)):
                allowed.add(id(target))

    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        owner = node.value.id
        if owner in os_names and node.attr in _OS_READERS and id(node) not in allowed:
            reads.append(EnvironRead(node.lineno, f"{owner}.{node.attr}"))
        elif owner in environ_names and node.attr == "Env":
            reads.append(EnvironRead(node.lineno, f"{owner}.Env"))
    return sorted(reads, key=lambda read: read.line)


@functools.cache
def python_files() -> list[Path]:
    """Every .py file of the checkout, relative to its root; never descends into .venv & co."""
    found: list[Path] = []
    for directory, subdirectories, filenames in os.walk(REPO_ROOT):
        subdirectories[:] = [name for name in subdirectories if name not in SKIPPED_DIRS]
        root = Path(directory).relative_to(REPO_ROOT)
        found.extend(root / name for name in filenames if name.endswith(".py"))
    return sorted(found)


def test_no_environ_reads_outside_settings() -> None:
    offenders = [
        f"{path}:{read.line}: {read.what}"
        for path in python_files()
        if path not in SETTINGS_FILES
        for read in find_environ_reads(
            (REPO_ROOT / path).read_text(encoding="utf-8"),
            allow_settings_module_default=path in ENTRY_POINTS,
        )
    ]
    assert not offenders, "Read configuration through django.conf.settings:\n" + "\n".join(
        offenders
    )


def test_no_environ_reads_scans_the_project() -> None:
    files = python_files()
    assert Path("manage.py") in files
    assert Path("consultation/views.py") in files
    assert not [path for path in files if ".venv" in path.parts or "migrations" in path.parts]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('import os\n\nDEBUG = os.environ["DEBUG"]\n', [(3, "os.environ")]),
        ('import os\nkey = os.environ.get("KEY", "")\n', [(2, "os.environ")]),
        ('import os\nkey = os.getenv("KEY")\n', [(2, "os.getenv")]),
        ('import os as o\nkey = o.environ["KEY"]\n', [(2, "o.environ")]),
        ("import os.path\nhome = os.environ['HOME']\n", [(2, "os.environ")]),
        ("import os.path as p\nx = p.join('a')\n", []),
        ("from os import environ\n", [(1, "from os import environ")]),
        ("from os import getenv as g\n", [(1, "from os import getenv")]),
        ("import environ\nenv = environ.Env()\n", [(2, "environ.Env")]),
        ("import environ as e\nenv = e.Env()\n", [(2, "e.Env")]),
        ("from environ import Env\n", [(1, "from environ import Env")]),
        ("def f():\n    import os\n    return os.environ\n", [(3, "os.environ")]),
    ],
)
def test_find_environ_reads_flags_reads(source: str, expected: list[tuple[int, str]]) -> None:
    reads = find_environ_reads(source)
    assert [(read.line, read.what) for read in reads] == expected


@pytest.mark.parametrize(
    "source",
    [
        "import os\npath = os.path.join('a', 'b')\n",
        "# os.environ['X'] in a comment\nx = 'os.getenv(\"X\")'\n",
        "from django.conf import settings\nkey = settings.OPENAI_API_KEY\n",
        "environ = {}\nx = environ.get('a')\n",
    ],
)
def test_find_environ_reads_ignores_other_code(source: str) -> None:
    assert find_environ_reads(source) == []


def test_find_environ_reads_allows_only_the_settings_module_default_in_entry_points() -> None:
    source = (
        "import os\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")\n'
        'os.environ.setdefault("DEBUG", "1")\n'
    )
    assert [read.line for read in find_environ_reads(source)] == [2, 3]
    assert [
        read.line for read in find_environ_reads(source, allow_settings_module_default=True)
    ] == [3]
