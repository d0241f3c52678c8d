from pathlib import Path

from isomer_data.core.errors import ERRORS, IsomerError, markdown_table

DOCS = Path(__file__).parents[1] / "docs" / "errors" / "README.md"


def test_docs_error_table_is_generated_from_the_module():
    assert DOCS.read_text() == markdown_table()


def test_error_message_carries_number_and_remedy():
    err = IsomerError(50020, "mongodb://127.0.0.1:9/x")
    text = str(err)
    assert text.startswith("50020: No database is available (mongodb://127.0.0.1:9/x)")
    assert "Remedy:" in text
    assert 0 < err.exit_status < 256


def test_every_code_is_five_digits_and_unique():
    assert all(10000 <= code <= 99999 for code in ERRORS)
    assert len({spec.title for spec in ERRORS.values()}) == len(ERRORS)
