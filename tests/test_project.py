"""The project's own files agree with each other: pins, the README's commands, CI."""

import re
import tomllib

import yaml

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def pins(lines):
    return dict(re.match(r"([A-Za-z0-9_.\-]+)==([^\s;#]+)", line).groups() for line in lines
                if line.strip() and not line.lstrip().startswith("#"))


def normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_direct_dependency_is_pinned_exactly_and_agrees_with_requirements():
    direct = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert all("==" in requirement for requirement in direct), direct
    locked = {normal(k): v for k, v in pins((ROOT / "requirements.txt").read_text().splitlines()).items()}
    for name, version in pins(direct).items():
        assert locked.get(normal(name)) == version, f"{name}=={version} vs requirements.txt {locked.get(normal(name))}"


def test_ci_runs_the_readme_test_command():
    command = re.search(r"^(python3 scripts/run\.py pytest)\b", README, re.M).group(1)
    ci = (ROOT / ".ci/run").read_text()
    assert re.search(rf"^{re.escape(command)}$", ci, re.M), ci


def test_readme_build_command_builds_strictly_into_site():
    assert re.search(r"^python3 scripts/run\.py mkdocs build --strict\b", README, re.M)


def test_the_pages_workflow_tests_builds_with_the_readme_commands_and_publishes_site():
    workflow = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text())
    build = workflow["jobs"]["build"]["steps"]
    commands = [step.get("run", "") for step in build]
    assert "bash .ci/run" in commands
    assert "python3 scripts/run.py mkdocs build --strict" in commands
    upload = [step for step in build if step.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert upload and upload[0]["with"]["path"] == "site"
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")


def test_the_site_is_published_under_site_url_from_repo_url():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    assert config["site_url"].startswith("https://") and config["site_url"].endswith("/")
    assert config["repo_url"].startswith("https://github.com/")
    assert "mkdocs gh-deploy" in README
