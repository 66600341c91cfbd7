"""The text an exact-duplicate check compares (``normalise_for_hash``): case, spacing, punctuation
and invisible marks folded, the words kept."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from woo_collector.text import identity, normalise_for_hash

PIECES = st.sampled_from(["Windturbines", "GELUID", "geïnformeerd", "ge\u0308ïnformeerd", "Straße", "\u200b", "\u00a0", "\u202e",
                          "_", "--", ",", "\n\n", "\t", " ", "İ", "ﬁ", "x_y", "\x1c", "1.234,50"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=30).map("".join))
def test_the_words_of_the_identity_casefolded(text):
    # the definition: identity's form, case-folded, every run of non-word characters one space
    assert normalise_for_hash(text) == re.sub(r"[\W_]+", " ", identity(text).casefold()).strip()


def test_copies_that_differ_in_form_only_compare_equal():
    a = normalise_for_hash("Windturbines:  het GELUID!\r\n\r\nMet vriendelijke groet,")
    b = normalise_for_hash("windturbines het\u00a0geluid\n\nmet vriendelijke\u200b groet")
    assert a == b == "windturbines het geluid met vriendelijke groet"
    assert normalise_for_hash("wind\u200bturbines") == "windturbines"  # an invisible mark splits no word


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=30).map("".join))
def test_marks_and_odd_spaces_go_as_the_tables_say(text):
    from woo_collector.text import _SPACES, INVISIBLE, drop_invisible, plain_spaces

    assert drop_invisible(text) == text.translate(INVISIBLE)
    assert plain_spaces(text) == text.translate(_SPACES)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_an_ascii_text_has_the_same_words_by_the_ascii_path(text):
    assert normalise_for_hash(text) == re.sub(r"[\W_]+", " ", identity(text).casefold()).strip()
