"""Checksums that separate real identifiers from numbers that merely look like them."""

from __future__ import annotations

import re

NON_DIGIT_RE = re.compile(r"\D")


def luhn_valid(number: str) -> bool:
    """Payment card check digit (ISO/IEC 7812)."""
    digits = [int(d) for d in NON_DIGIT_RE.sub("", number)]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check."""
    compact = re.sub(r"\s", "", iban).upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def us_ssn_valid(ssn: str) -> bool:
    """SSA rules: no area 000, 666 or 9xx, no group 00, no serial 0000."""
    digits = NON_DIGIT_RE.sub("", ssn)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def phone_plausible(phone: str) -> bool:
    """E.164 allows 8 to 15 digits; long runs of one digit are placeholders, not numbers."""
    digits = NON_DIGIT_RE.sub("", phone)
    return 8 <= len(digits) <= 15 and len(set(digits)) > 2
