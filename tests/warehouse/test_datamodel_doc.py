from pathlib import Path

from successlink.warehouse.datamodel_doc import render
from successlink.warehouse.tables import CANONICAL_TABLES


def test_data_model_doc_is_current():
    doc = Path(__file__).parents[2] / "docs" / "data-model.md"
    assert doc.read_text(encoding="utf-8") == render(), (
        "regenerate: python -m successlink.warehouse.datamodel_doc > docs/data-model.md")


def test_every_table_has_a_key_made_of_its_columns_and_documented_columns():
    for spec in CANONICAL_TABLES:
        assert set(spec.key) <= set(spec.names)
        assert all(c.doc for c in spec.columns), spec.name
        money = [c for c in spec.columns if c.name.endswith("_minor")]
        assert all(c.type == "int64" for c in money)
        assert not money or "currency" in spec.names
