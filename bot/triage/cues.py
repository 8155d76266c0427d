"""Explicit cues of what a message is for, read from its folded words (`text.prepare`'s
output) and handed to the classifier as extra tokens. Each cue is a handful of phrasings of
one idea of domain.md §5; none decides alone: the classifier weighs them in context."""

from __future__ import annotations

import re

CUES: dict[str, tuple[str, ...]] = {
    # A decision or act against the writer (khiếu nại: "affects one's own rights").
    "cueagainstme": (
        r"(?:toi|em|minh|nha toi|nha em|me toi|bo toi|ba toi|con toi|gia dinh toi) (?:da )?bi",
        r"bi (?:cat|dung|loai|tu choi|bac|tra lai|thu hoi|phat|xu phat|cuong che|huy|dinh chi|"
        r"buoc|duoi|ha|giam|tinh sai|ghi sai|tam giu|giu)",
        r"khong (?:cho|chiu|cap|chap nhan)",
        r"(?:i was|we were|my \w+ (?:was|were)) (?:fined|refused|denied|rejected|charged|cut)",
        r"\b(?:refused|denied|rejected|fined)\b",
    ),
    # Asking for the decision to be undone or reviewed.
    "cuereview": (
        r"xem (?:xet )?lai",
        r"xet lai",
        r"(?:cho|duoc) huong lai",
        r"khoi phuc",
        r"cap lai",
        r"tinh lai",
        r"do (?:dac )?lai",
        r"huy (?:bo )?(?:quyet dinh|bien ban|lenh)",
        r"rut lai",
        r"giai quyet lai",
        r"khong (?:dong y|chap nhan)",
        r"phan doi",
        r"yeu cau (?:huy|tra|tinh|boi thuong)",
        r"\b(?:reviewed|reconsidered|cancel(?:led)?|withdraw|reversed|re-?assess\w*|contest)\b",
        r"\bi disagree\b",
    ),
    # An official or group head asking for money or a favour (tố cáo).
    "cuebribe": (
        r"(?:dua|dong|gui|cho) (?:them )?(?:0 )?(?:trieu|nghin|tram|tien)",
        r"(?:muon|lam) (?:cho )?nhanh",
        r"tien (?:ca phe|cafe|cf|bo duong|boi duong|trà nuoc|tra nuoc)",
        r"boi duong",
        r"(?:khong|ko) co qua",
        r"lien he rieng",
        r"an (?:tien|chan|hoi lo)",
        r"khong (?:co )?(?:bien lai|phieu thu|hoa don)",
        r"\b(?:paid him|pay him|extra fee|bribe\w*|cash|no receipt|speed up)\b",
    ),
    # Favouritism: relatives and acquaintances of officials.
    "cuefavour": (
        r"nguoi (?:quen|nha)",
        r"con (?:chau|ong chau cha)",
        r"nha can bo",
        r"chau (?:chu tich|can bo)",
        r"\b(?:relatives?|friends? of|favou?ritism)\b",
    ),
    # A crime or an emergency (tố giác, for the police).
    "cuecrime": (
        r"ma tuy",
        r"chich hut",
        r"thuoc lac",
        r"can sa",
        r"bong cuoi",
        r"danh bac",
        r"co bac",
        r"lo de",
        r"ca do",
        r"lua (?:dao|chuyen|mua|tien|dat)",
        r"bi lua",
        r"gia danh",
        r"xung la",
        r"trom(?! via)",
        r"cuop",
        r"giat",
        r"bao ke",
        r"no lai|cho vay nang lai|tin dung den",
        r"mua ban dam",
        r"danh (?:vo|nguoi|hoi dong|nhau)",
        r"dao\b.*de doa|cam dao",
        r"lam gia",
        r"dot (?:xe|nha)",
        r"dang chay|boc chay|cap cuu",
        r"\b(?:drugs?|gambl\w*|scam\w*|stolen|stole|robbed|knife|threaten\w*|fraud)\b",
    ),
    # A neighbour's or business's ongoing violation.
    "cueviolation": (
        r"lan (?:chiem|ra|sang|qua)",
        r"xay (?:vuot|sai|khong) phep|khong phep",
        r"(?:on ao|hat karaoke|mo nhac) (?:den|toi)",
        r"xa (?:nuoc thai|bui|rac)",
        r"do rac",
        r"trai phep",
        r"khong (?:ai )?xu ly",
        r"bao che",
        r"sai muc dich",
        r"\b(?:without a permit|nobody .* check|do nothing)\b",
    ),
    # How a procedure works.
    "cuequestion": (
        r"cho (?:em |toi |minh |chau )?hoi",
        r"xin hoi",
        r"thu tuc",
        r"(?:lam|nop|o) (?:o )?dau",
        r"bao (?:lau|nhieu)",
        r"(?:co )?(?:can|phai) (?:mang|nop|chuan bi)",
        r"giay to gi",
        r"lam (?:sao|the nao)",
        r"\b(?:how|where|when|what|do i need|can i|is it)\b",
    ),
    # A proposal for improvement.
    "cuepropose": (
        r"^(?:de nghi|kien nghi|de xuat|gop y|mong|nen)",
        r"(?:kien nghi|de xuat|gop y)",
        r"phuong nen",
        r"nen (?:co|lam|bo tri|to chuc|cho)",
        r"\b(?:suggest\w*|recommend\w*|please (?:add|open|consider)|it would be|could the ward)\b",
    ),
    # Praise.
    "cuepraise": (
        r"cam on",
        r"hai long",
        r"nhiet tinh|tan tinh",
        r"\b(?:thanks?|thank you|helpful|quick)\b",
    ),
}

_COMPILED = {
    # Whole words only: "an tien" is not in "nhan tien".
    name: re.compile("|".join(rf"(?<!\w)(?:{p})(?!\w)" for p in patterns))
    for name, patterns in CUES.items()
}


def cues(prepared: str) -> list[str]:
    """The names of the cues found in prepared (folded) text."""
    return [name for name, pattern in _COMPILED.items() if pattern.search(prepared)]
