import pytest
from django.utils import translation
from django.utils.text import Truncator

from formats.text import clipper

TEXTS = [
    "",
    "short",
    "x" * 140,  # exactly the limit: kept whole
    "x" * 141,
    "Restore the cluster coordination meetings in every hub " * 5,
    "Écrire aux partenaires du cluster de la santé " * 5,  # not ASCII
    "e\u0301" * 200,  # combining accents do not count as characters
    "Text that ends with an ellipsis…" * 8,
    "السلام عليكم " * 20,
]


@pytest.mark.parametrize("language", ["en-gb", "fr", "ar"])
@pytest.mark.parametrize("text", TEXTS)
def test_a_clipped_text_is_what_django_s_truncator_gives(text, language):
    with translation.override(language):
        expected = Truncator(text).chars(140) if len(text) > 140 else text
        assert clipper(140)(text) == expected


def test_a_long_ascii_text_is_cut_to_the_limit_with_an_ellipsis():
    clipped = clipper(10)("abcdefghijklmnop")
    assert clipped == "abcdefghi…"
    assert len(clipped) == 10
