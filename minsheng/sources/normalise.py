"""Normalising department values, vectorised with Polars.

Every function takes a String expression (the raw cell text, null or empty when absent)
and returns an expression; the caller selects them over a whole file at once. Python runs
only once per distinct value, never once per row: for ID numbers (the GB 11643 rules live
in `minsheng.lib.idcard`, `normalise_ids`) and for labels outside a column's code list
(`code_value`).

Clerks type values in Excel or WPS, so most functions first undo formatting in one pass
of `str.replace_many` (full-width digits and punctuation, Chinese numerals in dates, the
yuan sign, unit suffixes, middle-dot variants) and then parse a small set of shapes.

Nothing here guesses: what cannot be normalised exactly becomes null, and the caller
decides whether that row is quarantined or accepted with a flag.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import polars as pl

from minsheng.lib import idcard

__all__ = [
    "EXCEL_EPOCH",
    "TRADITIONAL_TO_SIMPLIFIED",
    "USCC_ALPHABET",
    "ambiguous_numeric_month",
    "blank_to_null",
    "code_value",
    "date_precision",
    "decimal_value",
    "excel_numeric_id_text",
    "integer_value",
    "normalise_ids",
    "parse_date",
    "parse_datetime",
    "parse_name",
    "parse_phone",
    "parse_sex",
    "to_halfwidth",
    "uscc_valid",
]

# Full-width ASCII (U+FF01..U+FF5E) sits at a fixed offset from ASCII; U+3000 is the
# ideographic space, which departments type between a surname and a given name.
_FULL = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HALF = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]
_HALF_TABLE = str.maketrans(dict(zip(_FULL, _HALF, strict=True)))

# Traditional → simplified for characters common in Chinese names (surnames and frequent
# given-name characters). OpenCC is not installed and a full table would be mostly
# irrelevant here: a name written in traditional characters is almost always a clerk's
# input-method slip on one of these. Characters outside the table pass unchanged, and
# linkage still compares by pinyin, so a miss costs little. Keep it sorted by surname
# first, then given-name characters; add a pair when data shows a new one.
_PAIRS = (
    # surnames
    "劉:刘 張:张 陳:陈 楊:杨 趙:赵 黃:黄 吳:吴 孫:孙 鄭:郑 馮:冯 鄧:邓 羅:罗 許:许 韓:韩 "
    "謝:谢 葉:叶 蘇:苏 呂:吕 盧:卢 鍾:钟 鐘:钟 譚:谭 陸:陆 賈:贾 韋:韦 鄒:邹 龔:龚 錢:钱 "
    "嚴:严 顧:顾 萬:万 駱:骆 蕭:萧 閆:闫 閻:阎 顏:颜 龐:庞 鄺:邝 聶:聂 紀:纪 魯:鲁 蔣:蒋 "
    "溫:温 湯:汤 鄔:邬 孫:孙 馬:马 龍:龙 沈:沈 傅:傅 戴:戴 賀:贺 關:关 歐:欧 陽:阳 "
    # given-name characters
    "偉:伟 軍:军 華:华 國:国 慶:庆 蘭:兰 鳳:凤 紅:红 麗:丽 艷:艳 豔:艳 東:东 剛:刚 強:强 "
    "濤:涛 鵬:鹏 靜:静 穎:颖 軒:轩 傑:杰 曉:晓 寶:宝 貴:贵 榮:荣 輝:辉 雲:云 飛:飞 義:义 "
    "興:兴 學:学 潔:洁 寧:宁 碩:硕 帥:帅 諾:诺 澤:泽 銘:铭 夢:梦 語:语 詩:诗 瑤:瑶 錦:锦 "
    "凱:凯 鴻:鸿 遠:远 樂:乐 長:长 衛:卫 愛:爱 豐:丰 歲:岁 亞:亚 漢:汉 進:进 勝:胜 億:亿 "
    "齊:齐 滿:满 倉:仓 樹:树 躍:跃 鈺:钰 瑩:莹 嬋:婵 瓊:琼 賢:贤 紅:红 琳:琳 儀:仪 嬌:娇 "
    "鑫:鑫 釗:钊 鋒:锋 鐵:铁 韻:韵 憶:忆 嵐:岚 廣:广 燕:燕 鶯:莺 鸞:鸾 麗:丽 蓮:莲 "
    "玲:玲 綠:绿 綺:绮 緯:纬 維:维 繼:继 續:续 紹:绍 純:纯 聰:聪 聲:声 華:华 順:顺 "
    "頌:颂 碧:碧 馨:馨 寶:宝 峯:峰 岡:冈 驊:骅 駿:骏 騰:腾 鵬:鹏 鶴:鹤 龜:龟 嘯:啸 "
    "潤:润 濱:滨 灣:湾 漢:汉 瀾:澜 灝:灏 煥:焕 熱:热 燦:灿 顥:颢 瑋:玮 璽:玺 瑪:玛 "
    "蒙:蒙 陰:阴 隨:随 雙:双 雞:鸡 鳴:鸣 貞:贞 財:财 賓:宾 贊:赞 趙:赵 軼:轶 輪:轮 "
    "達:达 運:运 過:过 邁:迈 鄉:乡 釗:钊 鈞:钧 銀:银 鋼:钢 錚:铮 鎮:镇 閃:闪 開:开 "
    "闖:闯 陣:阵 險:险 雋:隽 雪:雪 震:震 靈:灵 韜:韬 項:项 須:须 頎:颀 頡:颉 題:题 "
    "風:风 飄:飘 餘:余 馳:驰 鬆:松 鳳:凤 鴿:鸽 麥:麦 黨:党 齡:龄 龍:龙"
)
TRADITIONAL_TO_SIMPLIFIED: dict[str, str] = {
    t: s for t, s in (pair.split(":") for pair in _PAIRS.split()) if t != s
}

EXCEL_EPOCH = date(1899, 12, 30)  # 1900 date system, serials ≥ 61 (after the fake 1900-02-29)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_SPACES = " \t\r\n\u3000\u00a0\ufeff"


def _replacer(*tables: dict[str, str]) -> tuple[list[str], list[str]]:
    """One `str.replace_many` table from several (later ones win), longest pattern first:
    with `leftmost=True` the longest of the patterns starting at a position is the one used
    (二十三 before 二十 before 二)."""
    merged: dict[str, str] = {}
    for t in tables:
        merged.update(t)
    keys = sorted(merged, key=len, reverse=True)
    return keys, [merged[k] for k in keys]


def _apply(expr: pl.Expr, table: tuple[list[str], list[str]]) -> pl.Expr:
    return expr.str.replace_many(table[0], table[1], leftmost=True)


_HALF_MAP = dict(zip(_FULL, _HALF, strict=True))
_NO_SPACES = dict.fromkeys(_SPACES, "")


def _numerals() -> dict[str, str]:
    """Numerals as clerks write them → ASCII digits: 〇/零/○ and 一…九 (also the financial
    壹…玖), 十 (拾) and its compounds up to 九十九 (十一, 二十三), and the Roman numerals
    Ⅰ…Ⅻ / ⅰ…ⅻ (one code point each)."""
    digits = "〇一二三四五六七八九"
    out = {"零": "0", "○": "0"}
    for n, (plain, financial) in enumerate(zip(digits, "零壹贰叁肆伍陆柒捌玖", strict=True)):
        out[plain] = out[financial] = str(n)
    for ten in ("十", "拾"):
        for n in range(10, 100):
            tens, units = divmod(n, 10)
            word = (digits[tens] if tens > 1 else "") + ten + (digits[units] if units else "")
            out[word] = str(n)
    for n in range(1, 13):
        out[chr(0x215F + n)] = out[chr(0x216F + n)] = str(n)  # Ⅰ U+2160…, ⅰ U+2170…
    return out


_NUMERALS = _numerals()


def to_halfwidth(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(_FULL, _HALF)


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    """Strip spaces (incl. U+3000) and turn "" into null: an empty cell is a missing value."""
    return expr.str.strip_chars(_SPACES).replace("", None)


# -- names --------------------------------------------------------------------------------

# The separator of transliterated names (阿依古丽·吐尔逊) is U+00B7, as on ID cards; clerks
# type whatever their input method offers. The ASCII full stop is a separator only between
# two Han characters (below).
_DOTS = "\u00b7\u0387\u2022\u2027\u2219\u22c5\u2e31\u30fb\uff0e\uff65"
_NAME_TABLE = _replacer(
    _HALF_MAP,
    {"\u00a0": " ", "\ufeff": " "},
    dict.fromkeys(_DOTS, "\u00b7"),
    TRADITIONAL_TO_SIMPLIFIED,
)


def parse_name(expr: pl.Expr) -> pl.Expr:
    """Half-width, traditional → simplified, every middle-dot variant as U+00B7, and no
    spaces next to a Han character or a middle dot ("王 伟", "热依拉 . 艾买提")."""
    s = blank_to_null(_apply(expr, _NAME_TABLE))
    s = s.str.replace_all(r"\s*(·)\s*|(\p{Han})\s+|\s+(\p{Han})", "${1}${2}${3}")
    return s.str.replace_all(r"(\p{Han})\.(\p{Han})", "${1}·${2}")


_SEX = {"男": "1", "女": "2", "1": "1", "2": "2", "男性": "1", "女性": "2", "M": "1", "F": "2"}


def parse_sex(expr: pl.Expr) -> pl.Expr:
    """GB/T 2261.1 codes: "1" male, "2" female; anything else null."""
    s = blank_to_null(to_halfwidth(expr)).str.to_uppercase()
    return s.replace_strict(_SEX, default=None, return_dtype=pl.String)


# -- dates ------------------------------------------------------------------------------

# One pass turns every way of writing a date into digits and dashes: 2024/3/5, 2024.3.5,
# 2024年3月5日 and 二〇二四年三月五日 all become 2024-3-5 (2024年3月 becomes 2024-3 once the
# trailing dash is stripped). The shapes below are then matched on that text.
_DATE_TABLE = _replacer(
    _HALF_MAP,
    _NUMERALS,
    {c: "-" for c in "/.／．－年月"},
    {"日": "", "号": "", "\u00a0": " ", "\ufeff": " "},
)
_DATE_STRIP = " \t\r\n-"
# The shapes of that text: a day (with the time of a date-time), a year-month, a compact
# day or year-month, an Excel serial. Fractions of a second or of a serial come out of the
# pass as "-\d+".
_SHAPES = (
    r"^(?:(?<day>\d{4}-\d{1,2}-\d{1,2})"
    r"(?:[ T]+(?<hm>\d{1,2}:\d{2})(?<sec>:\d{2})?(?:-\d+)?)?"
    r"|(?<month>\d{4}-\d{1,2})|(?<compact>\d{8})|(?<compact_month>\d{6})"
    r"|(?<serial>\d{5})(?:-\d+)?)$"
)
_MONTH_SHAPE = r"^(?:\d{4}-\d{1,2}|\d{6})$"


def _date_text(expr: pl.Expr) -> pl.Expr:
    return _apply(expr, _DATE_TABLE).str.strip_chars(_DATE_STRIP)


def _date_parts(expr: pl.Expr, *, datetime: bool) -> pl.Expr:
    """The date (or date-time) of the shapes matched, as one struct field `v`.

    Built with `struct.with_fields`, so that the text is matched once: an expression used
    twice is computed twice.
    """
    serial = pl.field("serial").cast(pl.Int64)
    day = pl.coalesce(
        pl.field("day").str.to_date("%Y-%m-%d", strict=False),
        pl.concat_str(pl.field("month"), pl.lit("-1")).str.to_date("%Y-%m-%d", strict=False),
        pl.field("compact").str.to_date("%Y%m%d", strict=False),
        pl.concat_str(pl.field("compact_month"), pl.lit("01")).str.to_date("%Y%m%d", strict=False),
        # Below 61 the 1900 leap-year bug makes the serial ambiguous: left null.
        pl.when(serial >= 61).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)).cast(pl.Date),
    )
    if datetime:
        text = pl.concat_str(
            pl.field("day"), pl.lit(" "), pl.field("hm"), pl.field("sec").fill_null(":00")
        )
        day = pl.coalesce(
            text.str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False),
            day.cast(pl.Datetime("us")),
        )
    groups = _date_text(expr).str.extract_groups(_SHAPES)
    return groups.struct.with_fields(v=day).struct.field("v")


def parse_date(expr: pl.Expr, *, month_only: bool = False) -> pl.Expr:
    """A Date from any format the departments write, else null.

    Day formats: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 二〇二四年三月五日 (〇/零/○,
    一…十, 十一, 二十三, 三十一), 20240305, full-width digits, date-times (the time is
    dropped: a date column holding "2024-03-05 00:00:00" is a workbook cell) and Excel
    serials ("45356", "45356.5"; five digits cover 1927-05-18 .. 2173, and no other format
    the departments write has five digits). Year-month formats (2024-03, 2024.3, 2025.06,
    2024年3月, 二〇二三年五月, 202403) give the first day of the month; see `date_precision`
    to tell them apart. With `month_only` (a year_month column) every date is the first of
    its month.

    A year-month typed into a number cell arrives as the number's text: 1965.03 and 1990.10
    read as March and October, but 1990.1 is January as written; `ambiguous_numeric_month`
    finds the numbers whose month cannot be told.
    """
    out = _date_parts(expr, datetime=False)
    return out.dt.month_start() if month_only else out


def date_precision(expr: pl.Expr) -> pl.Expr:
    """ "month" where the raw value is a year-month (2024-03, 2024.3, 2024年3月, 二〇二三年五月,
    202403), "day" for other non-empty values."""
    month = _date_text(expr).replace("", None).str.contains(_MONTH_SHAPE)
    return month.replace_strict({True: "month", False: "day"}, return_dtype=pl.String)


def ambiguous_numeric_month(expr: pl.Expr) -> pl.Expr:
    """True where the text is a year with the single decimal 1 (1990.1).

    Typed into a number cell, 1990.10 (October) is stored and shown as 1990.1, the same
    number as January: the caller applies this to cells the reader saw as numbers and
    drops their value. The same text typed as text means January, as written.
    """
    s = to_halfwidth(expr).str.strip_chars(_SPACES)
    return s.str.contains(r"^\d{4}\.1$").fill_null(False)


def parse_datetime(expr: pl.Expr) -> pl.Expr:
    """A Datetime from "2026-03-13 22:40[:11]" (also 2026/3/13 22:40, 2026年3月13日 22:40),
    else the date (any `parse_date` format) at 00:00."""
    return _date_parts(expr, datetime=True)


# -- numbers ------------------------------------------------------------------------------

# Formatting around an amount or a count: spaces (also between digits, 1 234), thousands
# separators (1,234.50 and the full-width １，０２０), the yuan sign and currency names.
_NUMBER_NOISE = _NO_SPACES | {",": "", "，": "", "\u2212": "-"}
_CURRENCY = dict.fromkeys(("¥", "￥", "RMB", "rmb", "CNY", "人民币"), "")


@cache
def _amount_table(unit: str | None) -> tuple[list[str], list[str]]:
    if unit == "万元":
        # The column counts 万元: 3万元 and 200万 are 3 and 200; 500元 names another unit.
        units = {"万元": "", "万元整": "", "万": ""}
    elif unit in (None, "元"):
        # 万 multiplies exactly: the cast below reads 3e4 as 30000.
        units = {"万元": "e4", "万元整": "e4", "万": "e4", "元": "", "元整": ""}
    else:
        units = {unit: ""}
    return _replacer(_HALF_MAP, _NUMBER_NOISE, _CURRENCY, units)


def decimal_value(expr: pl.Expr, scale: int = 2, *, unit: str | None = None) -> pl.Expr:
    """An amount in `unit` (the column's unit as its header names it, 元 when None), else null.

    Accepts ¥1,234.50, ￥ 980.00, RMB 100, 1234.5元, full-width digits and separators
    (７８０, １，０２０), a sign (-12.50). 万 multiplies by 10 000 (3万元 is 30000 yuan); in a
    column counted in 万元 (`unit="万元"`) 3万元, 200万 and 1,000.00 are 3, 200 and 1000,
    and an amount written in 元 is null (the caller warns). More decimals than `scale` are
    rounded (half to even), as before.
    """
    return _apply(expr, _amount_table(unit)).cast(pl.Decimal(18, scale), strict=False)


# Units written after a count (3人, 12个月, 1户); 户 also inside 1户4人 (one household of four).
_COUNT_UNITS = "人名口个户月次岁天年周"
_COUNT_TABLE = _replacer(_HALF_MAP, _NUMBER_NOISE)


def integer_value(expr: pl.Expr, *, unit: str | None = None) -> pl.Expr:
    """A whole number, else null: 36, ３, "3人", "１人", "12个月", "12.0" (how a workbook renders
    an integer cell read as text), "1,200". "1户4人" is 4, the people, unless the column
    counts households (`unit="户"`: 1)."""
    s = _apply(expr, _COUNT_TABLE).str.strip_chars_end(_COUNT_UNITS)
    s = s.str.replace_all(r"户\d+$|\.0+$" if unit == "户" else r"^\d+户|\.0+$", "")
    return s.cast(pl.Int64, strict=False)


# -- codes ----------------------------------------------------------------------------------

# Labels are compared after folding: half-width, no spaces, numerals as digits (贰级, Ⅱ级,
# 二级 and 2级 are one label).
_FOLD_TABLE = _replacer(_HALF_MAP, _NO_SPACES, _NUMERALS)
# A label containing one of these and a value missing it say opposite things (是 / 不是).
_NEGATIONS = "不非无未没否"


def _fold(expr: pl.Expr) -> pl.Expr:
    return _apply(blank_to_null(expr), _FOLD_TABLE)


def _fold_all(values: list[str]) -> list[str | None]:
    frame = pl.Series("v", values, dtype=pl.String).to_frame()
    return frame.select(_fold(pl.col("v"))).to_series().to_list()


def _inside(part: str, whole: str) -> bool:
    """`part` occurs in `whole`, not as a piece of a longer number (1级 is not in 11级)."""
    start = whole.find(part)
    while start >= 0:
        end = start + len(part)
        before = start > 0 and whole[start - 1].isdigit() and part[0].isdigit()
        after = end < len(whole) and whole[end].isdigit() and part[-1].isdigit()
        if not (before or after):
            return True
        start = whole.find(part, start + 1)
    return False


class _CodeTable:
    """Label → code for one column, applied once per distinct value of a batch."""

    def __init__(self, codes: dict[str, str], labels: dict[str, str] | None) -> None:
        # A value that already is a code, or a label of the column's table as written
        # (stripped), or in half-width form: departments mix 正常（人户分离） and 正常(人户分离).
        self.exact = dict(codes) | {v: v for v in codes.values()}
        self.half = {k.translate(_HALF_TABLE): v for k, v in self.exact.items()}
        # Every label (the column's own win over the dictionary's) by its folded form; a
        # folded form two codes share is no label.
        named = dict(labels or {}) | dict(codes)
        folded: dict[str, set[str]] = {}
        for label, f in zip(named, _fold_all(list(named)), strict=True):
            if f:
                folded.setdefault(f, set()).add(named[label])
        self.folded = {f: next(iter(c)) for f, c in folded.items() if len(c) == 1}
        self.labels = [(f, c) for f, cs in folded.items() for c in cs]

    def code_of(self, value: str) -> str | None:
        """The one code a folded value names by containment, else None.

        A label of two or more characters inside the value (城市低保 holds 低保) names its
        code, and so does a label that holds the value (孙女 is in 孙子、孙女或外孙子、外孙女).
        A label the value holds only as a part of a longer label it also holds (低保 in
        低保边缘家庭, which holds 低保边缘) is set aside. Every other label whose characters
        all occur in the value, in any order (言语 in 听力语言), and every label held under a
        negation (低保 in 非低保) makes the value ambiguous. A value naming no code or
        several gives None.
        """
        found: list[tuple[str, str, bool]] = []  # (label, code, names the code)
        for label, code in self.labels:
            if _inside(label, value):
                negated = any(n in value and n not in label for n in _NEGATIONS)
                found.append((label, code, len(label) >= 2 and not negated))
            elif _inside(value, label):
                found.append((label, code, True))
            elif set(label) <= set(value):
                found.append((label, code, False))
        kept = [
            (label, code, names)
            for label, code, names in found
            if not any(label != other and label in other for other, _, _ in found)
            or _inside(value, label)
        ]
        named = {code for _, code, names in kept if names}
        touched = {code for _, code, _ in kept}
        return next(iter(named)) if len(named) == 1 and touched == named else None

    def __call__(self, values: pl.Series) -> pl.Series:
        values = values.cast(pl.String)
        uniq = values.drop_nulls().unique()
        if uniq.is_empty():
            return pl.Series(values.name, [None] * len(values), dtype=pl.String)
        v = pl.col("raw")
        table = uniq.to_frame("raw").with_columns(
            code=pl.coalesce(
                blank_to_null(v).replace_strict(self.exact, default=None, return_dtype=pl.String),
                blank_to_null(to_halfwidth(v)).replace_strict(
                    self.half, default=None, return_dtype=pl.String
                ),
                _fold(v).replace_strict(self.folded, default=None, return_dtype=pl.String),
            ),
            folded=_fold(v),
        )
        rest = table.filter(pl.col("code").is_null() & pl.col("folded").is_not_null())
        if not rest.is_empty():
            found = [self.code_of(f) for f in rest["folded"].to_list()]
            table = table.update(
                rest.select("raw", code=pl.Series(found, dtype=pl.String)).drop_nulls(), on="raw"
            )
        table = table.drop_nulls("code")
        return values.replace_strict(
            table["raw"], table["code"], default=None, return_dtype=pl.String
        )


def code_value(
    expr: pl.Expr, codes: dict[str, str], *, labels: dict[str, str] | None = None
) -> pl.Expr:
    """The code for a label (or for a value that already is a code), else null.

    `codes` is the column's label → code table; `labels` (label → code) adds labels of
    the same codes from elsewhere, such as the dictionary item's own (肢体残疾 where the
    column's table has 肢体). A value is matched as written, in half-width form, with its
    numerals folded (贰级, Ⅳ级, 4级 → the code of 二级 / 四级), and finally by containment
    (`_CodeTable.code_of`: 城市低保 → 低保's code; 听力语言, 临时救助 → null). The work is
    done once per distinct value of the column, not per row.
    """
    table = _CodeTable(codes, labels)
    return expr.map_batches(table, return_dtype=pl.String, is_elementwise=True)


# -- phones, USCC ---------------------------------------------------------------------------


def parse_phone(expr: pl.Expr) -> pl.Expr:
    """An 11-digit mobile (1[3-9]…) or a landline with area code (0…), digits only."""
    s = blank_to_null(to_halfwidth(expr))
    digits = s.str.replace_all(r"[\s\-()（）]", "").str.replace(r"^(?:\+86|0086)", "")
    digits = (
        pl.when(digits.str.contains(r"^861[3-9]\d{9}$")).then(digits.str.slice(2)).otherwise(digits)
    )
    ok = digits.str.contains(r"^1[3-9]\d{9}$") | digits.str.contains(r"^0\d{9,11}$")
    return pl.when(ok).then(digits).otherwise(None)


def uscc_valid(expr: pl.Expr) -> pl.Expr:
    """GB 32100-2015: 18 characters of the USCC alphabet, digits 3–8, MOD 31 check character."""
    s = blank_to_null(to_halfwidth(expr)).str.to_uppercase()
    shape = s.str.contains(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    values = {c: i for i, c in enumerate(USCC_ALPHABET)}
    total = pl.sum_horizontal(
        [
            s.str.slice(i, 1).replace_strict(values, default=0, return_dtype=pl.Int64) * w
            for i, w in enumerate(_USCC_WEIGHTS)
        ]
    )
    check = ((31 - total % 31) % 31).replace_strict(
        dict(enumerate(USCC_ALPHABET)), default=None, return_dtype=pl.String
    )
    return (shape & (s.str.slice(17, 1) == check)).fill_null(False)


# -- ID numbers -----------------------------------------------------------------------------

_EXPONENT = r"^[0-9]+(?:\.[0-9]*)?[eE]\+?[0-9]+$"


def excel_numeric_id_text(value: float | int | str) -> str:
    """The text of a numeric workbook cell holding an ID.

    `value` is the number as the reader has it: the stored XML text of an xlsx cell
    ("150302196208302155", "1.50302199105272E+17") or a float (xls). Digits stored as
    digits are exact and returned unchanged (a report tool writes 18-digit integers into
    the cell). An 18-digit number that went through a float keeps 15 significant digits;
    it is given in exponent form, which `idcard.normalize` recognises (float_precision_lost)
    instead of mistaking the rounded digits for a typo. A 15-digit legacy number fits a
    float exactly.
    """
    if isinstance(value, str):
        text = value.strip()
        if m := re.fullmatch(r"([0-9]+)(?:\.0*)?", text):
            return m.group(1)
        return text
    if isinstance(value, int):
        return str(value)
    if value >= 1e16:
        return f"{value:.14E}"
    return str(int(value)) if value == int(value) else repr(value)


def _normalise_one(raw: str, today: date | None) -> tuple[str | None, str | None]:
    try:
        return idcard.normalize(raw, today=today), None
    except idcard.InvalidIdNumber as e:
        return None, e.code


_ID_SCHEMA = {"raw": pl.String, "id": pl.String, "error": pl.String}
_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PROVINCES = sorted(idcard.PROVINCE_CODES)


def _canonical_valid(values: pl.Series, today: date) -> pl.Series:
    """True where a value is an 18-character ID that `idcard.normalize` returns unchanged
    (same rules: province, calendar birth date in range, MOD 11-2 check character)."""
    frame = values.to_frame("v")
    shape = pl.col("v").str.contains(r"^\d{17}[\dX]$")
    digits = [pl.col("v").str.slice(i, 1).cast(pl.Int32, strict=False) for i in range(17)]
    total = pl.sum_horizontal([d * w for d, w in zip(digits, _CHECK_WEIGHTS, strict=True)])
    expected = pl.lit("10X98765432").str.slice(total % 11, 1)
    born = pl.col("v").str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    ok = (
        shape
        & pl.col("v").str.slice(0, 2).is_in(_PROVINCES)
        & born.is_between(idcard.EARLIEST_BIRTH, today)
        & (pl.col("v").str.slice(17, 1) == expected)
    )
    return frame.select(ok.fill_null(False)).to_series()


def normalise_ids(
    raw: pl.Series, *, excel_handled: bool = False, today: date | None = None
) -> pl.DataFrame:
    """(id, error) for every value of `raw`, computed once per distinct value.

    `error` is an `idcard.ERROR_CODES` code, "empty" for a missing ID, or:

    - "not_an_id" for text without a single digit (#N/A left by a failed VLOOKUP, 待补录,
      无, a name typed into the ID column);
    - "float_precision_lost" for an ID a spreadsheet held as a float: any exponent form
      (1.50304E+17) that is no valid ID, and — in files that went through Excel
      (`excel_handled`) — an 18-digit number ending in 000 that fails its check (Excel
      rounded it to 15 significant digits);
    - the warning "float_precision_suspect" (`excel_handled`) when such a …000 number
      happens to be valid (1 in 11 rounded numbers pass the check by chance, so linkage
      must confirm it with other fields; the ID is kept).

    An exact 18-digit number is fine wherever it came from, and a 15-digit legacy number
    becomes its 18-digit form.
    """
    raw = raw.rename("raw")
    uniq = raw.drop_nulls().unique()
    # Most values are already canonical and valid: settle those in Polars and send only
    # the rest through the Python rules, which name each problem precisely.
    fine = _canonical_valid(uniq, today or date.today())
    rest = uniq.filter(~fine)
    pairs = [_normalise_one(v, today) for v in rest.to_list()]
    table = pl.concat(
        [
            pl.DataFrame(
                {"raw": uniq.filter(fine), "id": uniq.filter(fine), "error": None},
                schema=_ID_SCHEMA,
            ),
            pl.DataFrame(
                {"raw": rest, "id": [p[0] for p in pairs], "error": [p[1] for p in pairs]},
                schema=_ID_SCHEMA,
            ),
        ]
    )
    # The value without formatting, as `idcard` cleans it: spaces, dashes, the "'" prefix.
    clean = (
        to_halfwidth(pl.col("raw"))
        .str.replace_all(r"[\s\u200b\u200c\u200d\ufeff\-\u2010-\u2015\u2212]+", "")
        .str.strip_prefix("'")
    )
    failed = pl.col("error").is_not_null() & (pl.col("error") != "empty")
    error = (
        pl.when(failed & clean.str.contains(_EXPONENT))
        .then(pl.lit("float_precision_lost"))
        .when(failed & ~clean.str.contains(r"[0-9]"))
        .then(pl.lit("not_an_id"))
        .otherwise(pl.col("error"))
    )
    if excel_handled:
        rounded = clean.str.contains(r"^\d{15}000$").fill_null(False)
        error = (
            pl.when(rounded & (pl.col("error") == "bad_check_digit"))
            .then(pl.lit("float_precision_lost"))
            .when(rounded & pl.col("error").is_null())
            .then(pl.lit("float_precision_suspect"))
            .otherwise(error)
        )
    table = table.with_columns(error=error)
    out = raw.to_frame().join(table, on="raw", how="left", maintain_order="left")
    return out.select(
        "id",
        error=pl.when(pl.col("raw").is_null() | (pl.col("raw").str.strip_chars() == ""))
        .then(pl.lit("empty"))
        .otherwise(pl.col("error")),
    )
