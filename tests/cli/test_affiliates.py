"""`successlink affiliates add|list|suspend` and `links create`."""

from __future__ import annotations

from pathlib import Path

import pytest

from successlink.cli import affiliates, db
from tests.cli.harness import migrated_workspace, run_cli


def _run(workspace: Path, *args: str) -> tuple[int, str]:
    code, out = run_cli(workspace, {"db": db.app, "affiliates": affiliates.affiliates_app,
                                    "links": affiliates.links_app}, *args, columns=None)
    return code, " ".join(out.split())


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return migrated_workspace(tmp_path, monkeypatch, {"db": db.app},
                              SUCCESSLINK_PROGRAM__FALLBACK_URL="https://acme.test/")


def test_add_list_and_suspend(workspace: Path) -> None:
    assert _run(workspace, "affiliates", "add", "ada", "--email", "Ada@Studio.test",
                "--plan", "quality") == (0, "Added affiliate ada (active).")
    code, out = _run(workspace, "affiliates", "add", "ada2", "--email", "ada@studio.test")
    assert code != 0 and "already exists" in out
    assert _run(workspace, "affiliates", "add", "bad id!", "--email", "a@b.test")[0] != 0
    code, out = _run(workspace, "affiliates", "list")
    assert "ada@studio.test" in out and "quality" in out and "active" in out
    code, out = _run(workspace, "affiliates", "suspend", "ada")
    assert code == 0 and "ada is suspended" in out
    assert "is banned" in _run(workspace, "affiliates", "suspend", "ada", "--ban")[1]
    assert "no affiliate 'zed'" in _run(workspace, "affiliates", "suspend", "zed")[1]


def test_links_only_go_to_allowed_domains(workspace: Path) -> None:
    _run(workspace, "affiliates", "add", "ada", "--email", "ada@studio.test")
    assert _run(workspace, "links", "create", "ada", "https://www.acme.test/pricing",
                "--code", "ada") == (0, "Link /r/ada -> https://www.acme.test/pricing for ada")
    code, out = _run(workspace, "links", "create", "ada", "https://evil.test/")
    assert code != 0 and "not on an allowed domain (acme.test)" in out
    assert "is taken" in _run(workspace, "links", "create", "ada", "https://acme.test/",
                              "--code", "ada")[1]
    assert "no affiliate 'zed'" in _run(workspace, "links", "create", "zed",
                                        "https://acme.test/")[1]
    code, out = _run(workspace, "links", "create", "ada", "https://acme.test/")
    assert code == 0 and out.startswith("Link /r/")
