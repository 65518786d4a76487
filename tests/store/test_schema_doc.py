from pathlib import Path

from successlink.store.schema_doc import render
from successlink.store.tables import Base


def test_the_app_store_doc_is_current() -> None:
    doc = Path(__file__).parents[2] / "docs" / "app-store.md"
    assert doc.read_text(encoding="utf-8") == render(), (
        "regenerate: python -m successlink.store.schema_doc > docs/app-store.md")


def test_every_table_is_documented_and_money_has_a_currency() -> None:
    text = render()
    for name, table in Base.metadata.tables.items():
        assert f"## `{name}`" in text
        money = [c.name for c in table.columns if c.name.endswith("_minor")]
        assert not money or "currency" in table.columns, name
