"""`successlink program show|set|apply`, and the commands that obey the settings."""

from __future__ import annotations

import re
from pathlib import Path

from successlink.cli import affiliates, db, ledger, plans, program
from successlink.cli.serve import service_config
from successlink.config import load_settings
from successlink.store.connect import open_store
from tests.cli.harness import run_cli
from tests.cli.test_ledger import _set_details, workspace

__all__ = ["workspace"]


def _run(root_dir: Path, *args: str) -> tuple[int, str]:
    return run_cli(root_dir, {"db": db.app, "plans": plans.app, "program": program.app,
                              "ledger": ledger.ledger_app, "payouts": ledger.payouts_app,
                              "links": affiliates.links_app}, *args)


def test_show_then_set_stores_every_setting_in_force(workspace: Path,
                                                     monkeypatch) -> None:
    monkeypatch.setenv("SUCCESSLINK_PROGRAM__COOKIE_DAYS", "45")
    code, out = _run(workspace, "program", "show")
    assert code == 0 and "successlink.toml [program] and defaults" in out
    assert "first_click" in out and "45" in out
    code, out = _run(workspace, "program", "set", "attribution", "last_click")
    assert (code, out) == (0, "program attribution = last_click\n")
    monkeypatch.setenv("SUCCESSLINK_PROGRAM__COOKIE_DAYS", "7")    # the row wins now
    code, out = _run(workspace, "program", "show")
    assert "from the app store" in out and "last_click" in out and "45" in out
    code, out = _run(workspace, "program", "set", "hold_days", "soon")
    assert code != 0 and "program setting hold_days: 'soon' is not a whole number" in out


def test_apply_sets_only_the_named_settings_and_all_or_nothing(workspace: Path) -> None:
    good = workspace / "program.toml"
    good.write_text('fallback_url = "https://acme.test/"\nallowed_domains = ["acme.test"]\n'
                    'attribution = "last_click"\n[fraud]\nflood_clicks = 50\n',
                    encoding="utf-8")
    code, out = _run(workspace, "program", "apply", str(good))
    assert code == 0 and "Applied" in out
    bad = workspace / "bad.toml"
    bad.write_text('hold_days = 10\ncookie_days = 0\n', encoding="utf-8")
    code, out = _run(workspace, "program", "apply", str(bad))
    assert code != 0 and "bad.toml: program setting cookie_days: 0 is below 1" in out
    out = _run(workspace, "program", "show")[1]
    assert "50" in out and "https://acme.test/" in out
    assert re.search(r"hold_days\s+│\s+0\s", out)  # nothing of the bad file was stored
    # `serve` and `links create` read the row
    settings = load_settings(workspace, environ={})
    engine = open_store(settings.app_store_url)
    config = service_config(settings, engine)
    engine.dispose()
    assert config.fallback_url == "https://acme.test/" and config.allowed_domains == ["acme.test"]
    assert config.attribution == "last_click"
    code, out = _run(workspace, "links", "create", "aff_1", "https://evil.test/")
    assert code != 0 and "not on an allowed domain (acme.test)" in out
    assert _run(workspace, "links", "create", "aff_1", "https://acme.test/pricing")[0] == 0


def test_payouts_run_obeys_hold_days_and_the_minimum(workspace: Path) -> None:
    # the fixture's sale was paid 100 days ago: 10.20 vested 70 days ago, 9.90 10 days ago
    assert _run(workspace, "ledger", "settle")[0] == 0
    assert _run(workspace, "program", "set", "hold_days", "50")[0] == 0
    assert _run(workspace, "program", "set", "min_payout", "10.21")[0] == 0
    assert "Nobody is owed" in _run(workspace, "payouts", "run")[1]
    assert _run(workspace, "program", "set", "min_payout", "10.20")[0] == 0
    code, out = _run(workspace, "payouts", "run")
    assert code == 0 and "payout 1: aff_1 10.20 USD by paypal" in out
    assert _run(workspace, "program", "set", "hold_days", "0")[0] == 0
    code, out = _run(workspace, "payouts", "run", "--minimum", "0.01")
    assert code == 0 and "payout 2: aff_1 9.90 USD by paypal" in out
    # the program's name goes into the PayPal note
    assert _run(workspace, "program", "set", "name", "Acme Partners")[0] == 0
    _set_details(workspace, "aff_1", email="ada@pay.example")
    target = workspace / "p.csv"
    assert _run(workspace, "payouts", "export", "2", "--format", "paypal", "--out",
                str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == \
        "ada@pay.example,9.90,USD,aff_1,Acme Partners commissions: payout 2,PAYPAL\n"
