"""How the staff lists show a person: the project's masking rule (``kiosk/domain/masking.py``,
which ``sync`` may not import, so the rule is kept here too and tested against the same cases):
the name keeps its family name and last character, the ID number its first 6 and last 4
characters (the rule GA 467 readers' software and the receipts follow)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 → 张*, 王小明 → 王*明, 欧阳娜娜 → 欧**娜: the family name and the last character."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """``110105********002X``: the first 6 and the last 4 characters; a short or partial
    number is all stars."""
    number = number.strip()
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def masked_person(person: object) -> dict[str, str]:
    """``{"name", "id_number"}`` masked from a payload's applicant (anything else in it is
    left out; a value of the wrong type shows as empty)."""
    if not isinstance(person, dict):
        return {"name": "", "id_number": ""}
    name, number = person.get("name"), person.get("id_number")
    return {"name": mask_name(name) if isinstance(name, str) else "",
            "id_number": mask_id_number(number) if isinstance(number, str) else ""}
