"""Building, unit and room read from what a member wrote (the order's note or delivery address), so
a leader's list of a pickup point walks the estate block by block: "3栋2单元1502", "3-2-1502",
"3号楼2单元", "Block 3 Unit 2 Room 1502", "三栋二单元" all read as building 3, unit 2 (room 1502).
What cannot be read sorts last, by its text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DIGITS = "零一二三四五六七八九"
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十]{1,4}(?=\s*(?:栋|幢|号楼|座|单元|楼|室|号))")
_BUILDING = re.compile(r"(\d{1,4})\s*(?:#|号?楼|栋|幢|座)|(?:block|building|bldg|blk|tower|bld)\.?\s*#?\s*(\d{1,4})", re.I)
_UNIT = re.compile(r"(\d{1,3})\s*单元|(?:unit|entrance|ent)\.?\s*#?\s*(\d{1,3})", re.I)
_ROOM = re.compile(r"(\d{1,5})\s*(?:室|房|号(?!楼))|(?:room|rm|flat|apt|apartment)\.?\s*#?\s*(\d{1,5})", re.I)
_DASHED = re.compile(r"(?<![\d-])(\d{1,3})\s*[-‐–—/]\s*(\d{1,4})(?:\s*[-‐–—/]\s*(\d{1,5}))?(?![\d-])")
_BARE = re.compile(r"(?<!\d)(\d{1,5})(?!\d)")


@dataclass(frozen=True)
class Place:
    building: int | None
    unit: int | None = None
    room: int | None = None

    def __str__(self) -> str:
        """"3-2-1502"; a part not given reads "?" ("3-?-1502"), and trailing ones are left off."""
        parts = [self.building, self.unit, self.room]
        while parts and parts[-1] is None:
            parts.pop()
        return "-".join("?" if part is None else str(part) for part in parts)


def _cn_to_int(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 二十三 → 23 (enough for buildings and units)."""
    text = text.replace("两", "二")
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS.index(tens) if tens else 1) * 10 + (_DIGITS.index(ones) if ones else 0)
    return int("".join(str(_DIGITS.index(ch)) for ch in text))


def _normalise(text: str) -> str:
    # Full-width digits and letters (３栋, Ｂlock) become ASCII; Chinese numerals before a marker, digits.
    text = unicodedata.normalize("NFKC", text or "")
    return _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(0))), text)


def _first(match: re.Match | None) -> int | None:
    if match is None:
        return None
    return int(next(group for group in match.groups() if group is not None))


def read_place(text: str) -> Place | None:
    """The building (and unit, room) a note names, or None."""
    text = _normalise(text)
    building = _BUILDING.search(text)
    if building is not None:
        unit = _UNIT.search(text, building.end())
        room = _ROOM.search(text, (unit or building).end())
        if room is None:  # "3栋2单元1502": the number after the last marker is the room
            bare = _BARE.search(text, (unit or building).end())
            room_number = int(bare.group(1)) if bare is not None else None
        else:
            room_number = _first(room)
        return Place(_first(building), _first(unit), room_number)
    dashed = _DASHED.search(text)
    if dashed is not None:
        first, second, third = dashed.groups()
        if third is None and len(second) >= 3:  # "3-1502": building and room
            return Place(int(first), None, int(second))
        return Place(int(first), int(second), int(third) if third else None)
    unit = _UNIT.search(text)
    if unit is not None:  # a unit with no building: sorted before building 1
        room = _ROOM.search(text, unit.end())
        return Place(None, _first(unit), _first(room))
    return None


def place_sort_key(text: str) -> tuple:
    """Sorts readable places by building, unit, room (missing parts first), then unreadable text last."""
    place = read_place(text)
    if place is None:
        return (1, 0, 0, 0, (text or "").strip() == "", text or "")
    return (0, place.building or 0, place.unit or 0, place.room or 0, False, text or "")


def order_place_text(order) -> str:
    """What a leader reads the building from: the delivery address, else the member's note."""
    return order.delivery_address or order.note or ""
