"""Names that look alike: invisible format characters and Unicode confusables.

- :func:`format_characters`: the characters of Unicode category Cf (right-to-left override,
  zero-width joiners, word joiner, soft hyphen, ...) in a text. They are invisible or reorder
  what is shown: ``"\\u202emoc.elpmaxe@nna"`` displays as ``ann@example.com``.
- :func:`confusable_keys`: two keys of a name such that two names sharing a key look the
  same (``Own EMEA`` and ``Own \\u0415MEA``, whose ``\\u0415`` is a Cyrillic E).

The look-alike data is Unicode's ``confusables.txt`` (UTS #39, Unicode Security
Mechanisms) as the ``confusable_homoglyphs`` library ships it: pairs of a character and the
prototype it is confusable with, stored both ways. Each class of characters that are
confusable with one another gets one representative, and a name's key is its NFD form with
every character replaced by its representative (UTS #39's *skeleton*, computed on single
characters: a prototype of several characters, such as ``rn`` for ``m``, is not used).
"""

from __future__ import annotations

import functools
import unicodedata

from ownscim_infra.domain.own_setup import okta_fold

#: Marks that ``confusables.txt`` puts around right-to-left characters in its comments.
_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


def format_characters(text: str) -> list[str]:
    """The distinct characters of category Cf in ``text``, in order, each as
    ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    if text.isascii():  # no ASCII character is of category Cf
        return []
    found = dict.fromkeys(c for c in text if unicodedata.category(c) == "Cf")
    return [describe(c) for c in found]


def describe(char: str) -> str:
    """``U+0415 CYRILLIC CAPITAL LETTER IE``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def _homoglyphs(char: str) -> list[str]:
    """The single characters the library pairs with ``char`` (either way round)."""
    from confusable_homoglyphs import confusables  # 70 ms to load its data: only when names are compared

    found = [str(g.get("c", "")).translate(_DIRECTION_MARKS) for g in confusables.confusables_data.get(char, ())]
    return [g for g in found if len(g) == 1]


@functools.cache
def representative(char: str) -> str:
    """The smallest code point among the characters confusable with ``char`` (its class:
    the characters reached through the library's pairs), ``char`` itself when it has none."""
    seen, todo = {char}, [char]
    while todo:
        for other in _homoglyphs(todo.pop()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return min(seen)


@functools.cache
def _ascii_representatives() -> dict[int, str]:
    """:func:`representative` of each ASCII character, as a ``str.translate`` table (an ASCII
    character's representative is a smaller code point: ASCII too)."""
    return {code: representative(chr(code)) for code in range(128)}


def skeleton(text: str) -> str:
    """The name as its look-alike class: NFD, each character replaced by the
    representative of the characters it is confusable with, NFD again. (ASCII text is its
    own NFD and maps to ASCII: one ``translate``, the same answer.)"""
    if text.isascii():
        return text.translate(_ascii_representatives())
    mapped = "".join(representative(c) for c in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def confusable_keys(name: str) -> tuple[str, str]:
    """Two keys of ``name``: its skeleton as written (``Team I`` and ``Team l`` look the
    same) and the skeleton of its Okta fold (``OWN \\u0415MEA`` and ``own emea``). Two names that
    differ but share a key look alike."""
    return skeleton(name.strip()), skeleton(okta_fold(name))
