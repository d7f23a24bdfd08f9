"""How Okta compares logins and group names (:func:`okta_fold`)."""

from __future__ import annotations

import unicodedata

from ownscim_infra.domain.own_setup import okta_fold


def _by_definition(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip()).lower()


def test_okta_fold_of_ascii_text_is_the_nfc_lower_case_fold():
    """ASCII text skips the normalisation (NFC leaves it as it is): the same fold, every character."""
    every = "".join(map(chr, range(128)))
    samples = [every, f"  {every}  ", "Ann.Smith@Example.COM", " Own EMEA\t", "", "\x00\x1f\x7f"]
    samples += [every[i : i + 7] for i in range(0, 128, 3)]
    for text in samples:
        assert okta_fold(text) == _by_definition(text)


def test_okta_fold_of_other_text_normalises_it():
    decomposed = "Jose\u0301@example.com"  # e + combining acute: NFC composes it
    assert okta_fold(decomposed) == "jos\u00e9@example.com" == _by_definition(decomposed)
    assert okta_fold("STRASSE") != okta_fold("Stra\u00dfe")  # simple lower-casing: ß and SS differ
