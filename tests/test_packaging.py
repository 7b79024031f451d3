"""What we ship: the built sdist and wheel, their metadata, and the pip route to the tests."""

from __future__ import annotations

import ast
import email.parser
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line]


def test_requirements_file_is_the_test_dependency_group() -> None:
    # pip before 25.1 has no --group: requirements-test.txt is that route, kept in step here.
    assert requirement_lines(ROOT / "requirements-test.txt") == list(
        PYPROJECT["dependency-groups"]["test"]
    )


def test_the_test_group_runs_uvicorn_as_the_docs_recommend() -> None:
    # docs/integrations.md says uvicorn[standard] (httptools, uvloop): CI runs that combination.
    assert "uvicorn[standard]" in (ROOT / "docs" / "integrations.md").read_text("utf-8")
    assert any(r.startswith("uvicorn[standard]") for r in PYPROJECT["dependency-groups"]["test"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return out


def test_wheel_ships_the_license_its_metadata_names(built: Path) -> None:
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
        (license_name,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        shipped = archive.read(license_name).decode()
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert "Apache License" in shipped and "Version 2.0, January 2004" in shipped
    assert "END OF TERMS AND CONDITIONS" in shipped  # the full text, not a pointer to it
    assert shipped == (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_sdist_ships_the_license_and_the_test_requirements(built: Path) -> None:
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "requirements-test.txt", "pyproject.toml", "README.md"} <= names


def test_metadata_urls_point_somewhere_real(built: Path) -> None:
    # There is no public docs site: an address on a reserved or local name is a dead link.
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
    for entry in metadata.get_all("Project-URL") or []:
        _label, _, url = entry.partition(", ")
        host = urlsplit(url).hostname or ""
        assert url.startswith("https://"), entry
        assert not host.endswith((".local", ".invalid", ".example", ".test", "localhost")), entry


def test_wheel_ships_the_pytest_plugin_its_entry_point_names(built: Path) -> None:
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "[pytest11]\nhf_inference = _hf_inference_pytestplugin" in text
    assert "_hf_inference_pytestplugin.py" in names
    # Only the package and the plugin module: nothing else lands in site-packages.
    assert {n.split("/", 1)[0] for n in names if ".dist-info/" not in n} == {
        "hf_inference",
        "_hf_inference_pytestplugin.py",
    }


def in_checkout(name: str) -> Path:
    """A file of the repository that the sdist does not ship: skip when testing an sdist."""
    path = ROOT / name
    if not path.exists():
        pytest.skip(f"{name} is not here (not a git checkout)")
    return path


def test_the_docs_site_claims_no_address_it_does_not_have() -> None:
    # mkdocs writes site_url into every page's canonical link and the sitemap.
    config = in_checkout("mkdocs.yml").read_text(encoding="utf-8")
    assert not re.search(r"^site_url:.*\.(local|invalid|example|test)\b", config, re.M)


def noxfile_tree() -> ast.Module:
    return ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))


def test_nox_fails_when_a_python_is_missing() -> None:
    # Otherwise nox skips the session with a warning and a partial run passes.
    settings = {
        ast.unparse(node.targets[0]): node.value
        for node in ast.walk(noxfile_tree())
        if isinstance(node, ast.Assign) and len(node.targets) == 1
    }
    value = settings.get("nox.options.error_on_missing_interpreters")
    assert isinstance(value, ast.Constant) and value.value is True


def test_ci_asks_pyenv_for_every_python_nox_tests_on() -> None:
    (pythons,) = [
        ast.literal_eval(node.value)
        for node in ast.walk(noxfile_tree())
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "PYTHONS"
    ]
    script = in_checkout(".ci/run").read_text(encoding="utf-8")
    (pattern,) = re.findall(r"grep -E '([^']+)'", script)
    for version in pythons:
        assert re.match(pattern, f"{version}.7"), f".ci/run gives pyenv no Python {version}"
