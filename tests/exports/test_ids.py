import re

import pytest

from exports.ids import context_id, document_id


def test_ids_are_alphanumeric_and_keep_the_family_order():
    assert context_id("WOO-2025-014") == "WOO2025014"
    assert document_id("WOO-2025-014", "12") == "WOO2025014D0012"
    assert document_id("WOO-2025-014", "12.1") == "WOO2025014D0012B01"
    assert document_id("woo 2025/7", "3.2") == "WOO20257D0003B02"
    ids = [document_id("W-1", nr) for nr in ("1", "1.1", "1.2", "2", "10", "10.1")]
    assert all(re.fullmatch(r"[A-Za-z0-9]+", i) for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_a_request_id_without_letters_or_digits_is_refused():
    with pytest.raises(ValueError, match="no letter or digit"):
        context_id("--/")
