"""Short finding ids, as git shortens hashes: what tables show, and what people may type.

A finding id is ``<detector>-<16 hex digits>``. Tables show the hex digits' shortest prefix
(8 at least) that tells the listed findings apart; ``approve``, ``reject`` and the other
commands take the full id, or any unique prefix of it or of its hex digits.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_SHORT = 8


def digits(finding_id: str) -> str:
    return finding_id.rsplit("-", 1)[-1]


def short_forms(finding_ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest hex prefix (at least MIN_SHORT) that no other listed id shares."""
    ids = list(dict.fromkeys(finding_ids))
    hexes = [digits(i) for i in ids]
    length = MIN_SHORT
    while length < 16 and len({h[:length] for h in hexes}) < len(hexes):
        length += 1
    return {i: h[:length] for i, h in zip(ids, hexes, strict=True)}


class UnknownId(ValueError):
    pass


def resolve(given: str, known: Iterable[str]) -> str:
    """The one known id that ``given`` names (in full, or a prefix of the id or of its hex
    digits); UnknownId says why not, naming the candidates when there are several."""
    given = given.strip()
    if not given:
        raise UnknownId("an empty finding id")
    known = list(known)
    if given in known:
        return given
    matches = sorted(i for i in known if i.startswith(given) or digits(i).startswith(given))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UnknownId(f"no finding {given} (see `govbot findings`)")
    shown = ", ".join(matches[:5]) + (f" and {len(matches) - 5} more" if len(matches) > 5 else "")
    raise UnknownId(f"{given} is ambiguous: it matches {shown}")
