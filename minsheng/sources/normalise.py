"""Normalising department values, vectorised with Polars.

Every function takes a String expression (the raw cell text, null or empty when absent)
and returns an expression; the caller selects them over a whole file at once. The only
Python per-value work is the ID number (the GB 11643 rules live in `minsheng.lib.idcard`),
and it runs once per distinct value (`normalise_ids`), not once per row.

Nothing here guesses: what cannot be normalised exactly becomes null, and the caller
decides whether that row is quarantined or accepted with a flag.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from minsheng.lib import idcard

__all__ = [
    "EXCEL_EPOCH",
    "TRADITIONAL_TO_SIMPLIFIED",
    "USCC_ALPHABET",
    "blank_to_null",
    "code_value",
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


def to_halfwidth(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(_FULL, _HALF)


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    """Strip spaces (incl. U+3000) and turn "" into null: an empty cell is a missing value."""
    s = expr.str.strip_chars(" \t\r\n\u3000\u00a0\ufeff")
    return pl.when(s == "").then(None).otherwise(s)


def parse_name(expr: pl.Expr) -> pl.Expr:
    """Half-width, no stray spaces between Han characters, traditional → simplified."""
    s = blank_to_null(to_halfwidth(expr))
    s = s.str.replace_all(r"(\p{Han})\s+", "${1}").str.replace_all(r"\s+(\p{Han})", "${1}")
    return s.str.replace_many(TRADITIONAL_TO_SIMPLIFIED)


_SEX = {"男": "1", "女": "2", "1": "1", "2": "2", "男性": "1", "女性": "2", "M": "1", "F": "2"}


def parse_sex(expr: pl.Expr) -> pl.Expr:
    """GB/T 2261.1 codes: "1" male, "2" female; anything else null."""
    s = blank_to_null(to_halfwidth(expr)).str.to_uppercase()
    return s.replace_strict(_SEX, default=None, return_dtype=pl.String)


# -- dates ------------------------------------------------------------------------------

# Each pattern names y, m and (for day precision) d. The time part of a date-time is
# accepted and dropped: a date column holding "2024-03-05 00:00:00" is a workbook cell.
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_PATTERNS = (
    rf"^(?<y>\d{{4}})[-/.](?<m>\d{{1,2}})[-/.](?<d>\d{{1,2}}){_TIME}$",
    r"^(?<y>\d{4})年(?<m>\d{1,2})月(?<d>\d{1,2})日$",
    r"^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$",
)
_MONTH_PATTERNS = (
    r"^(?<y>\d{4})[-/.](?<m>\d{1,2})$",
    r"^(?<y>\d{4})年(?<m>\d{1,2})月$",
    r"^(?<y>\d{4})(?<m>\d{2})$",
)
# Excel serial numbers as text ("45356", "45356.0", "45356.5" with a time): five digits
# cover 1927-05-18 .. 2173, and no other format the departments write has five digits.
_SERIAL = r"^(\d{5})(?:\.\d+)?$"


def _ymd(s: pl.Expr, patterns: tuple[str, ...], day: bool) -> pl.Expr:
    out = pl.lit(None, dtype=pl.Date)
    for p in reversed(patterns):
        g = s.str.extract_groups(p)
        text = pl.concat_str(
            g.struct.field("y"),
            pl.lit("-"),
            g.struct.field("m").str.zfill(2),
            pl.lit("-"),
            g.struct.field("d").str.zfill(2) if day else pl.lit("01"),
        )
        out = (
            pl.when(g.struct.field("y").is_not_null())
            .then(text.str.to_date("%Y-%m-%d", strict=False))
            .otherwise(out)
        )
    return out


def parse_date(expr: pl.Expr, *, month_only: bool = False) -> pl.Expr:
    """A Date from any format the departments write, else null.

    Day formats: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, date-times, and
    Excel serials. Year-month formats (2024-03, 2024.03, 2024年3月, 202403) give the first
    day of the month; see `date_precision` to tell them apart. With `month_only` (a
    year_month column) the 6-digit form is read as a year-month before anything else.
    """
    s = blank_to_null(to_halfwidth(expr))
    serial = s.str.extract(_SERIAL, 1).cast(pl.Int64, strict=False)
    from_serial = pl.when(serial >= 61).then(
        pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    )  # below 61 the 1900 leap-year bug makes the serial ambiguous: leave it null
    day = _ymd(s, _DAY_PATTERNS, True)
    month = _ymd(s, _MONTH_PATTERNS, False)
    if month_only:
        return pl.coalesce(month, day, from_serial.cast(pl.Date))
    return pl.coalesce(day, month, from_serial.cast(pl.Date))


def date_precision(expr: pl.Expr) -> pl.Expr:
    """ "month" where the raw value is a year-month, "day" for other non-empty values."""
    s = blank_to_null(to_halfwidth(expr))
    is_month = pl.any_horizontal([s.str.contains(p) for p in _MONTH_PATTERNS])
    return (
        pl.when(s.is_null())
        .then(None)
        .when(is_month)
        .then(pl.lit("month"))
        .otherwise(pl.lit("day"))
    )


def parse_datetime(expr: pl.Expr) -> pl.Expr:
    """A Datetime from "2024-03-05 14:23[:11]" (also with / separators), else the date at 00:00."""
    s = blank_to_null(to_halfwidth(expr)).str.replace_all("/", "-")
    parsed = pl.coalesce(
        s.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False),
        s.str.to_datetime("%Y-%m-%d %H:%M", strict=False),
        s.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
    )
    return pl.coalesce(parsed, parse_date(expr).cast(pl.Datetime("us")))


# -- numbers, codes, phones, USCC ---------------------------------------------------------


def integer_value(expr: pl.Expr) -> pl.Expr:
    # "12.0" is how a workbook renders an integer cell read as text.
    s = blank_to_null(to_halfwidth(expr)).str.replace(r"\.0+$", "").str.replace_all(",", "")
    return s.cast(pl.Int64, strict=False)


def decimal_value(expr: pl.Expr, scale: int = 2) -> pl.Expr:
    s = blank_to_null(to_halfwidth(expr)).str.replace_all(",", "")
    return s.cast(pl.Decimal(18, scale), strict=False)


def code_value(expr: pl.Expr, codes: dict[str, str]) -> pl.Expr:
    """The code for a label (or for a value that already is a code), else null."""
    mapping = dict(codes) | {v: v for v in codes.values()}
    half = {k.translate(_HALF_TABLE): v for k, v in mapping.items()}
    # Labels are matched as written and, failing that, in half-width form: departments
    # mix 正常（人户分离） and 正常(人户分离).
    exact = blank_to_null(expr).replace_strict(mapping, default=None, return_dtype=pl.String)
    folded = blank_to_null(to_halfwidth(expr)).replace_strict(
        half, default=None, return_dtype=pl.String
    )
    return pl.coalesce(exact, folded)


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


def excel_numeric_id_text(value: float) -> str:
    """The text of a numeric workbook cell holding an ID.

    An 18-digit number stored as a float keeps 15 significant digits; writing it in
    exponent form lets `idcard.normalize` recognise it (float_precision_lost) instead of
    mistaking the rounded digits for a typo. A 15-digit legacy number fits exactly.
    """
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

    `error` is an `idcard.ERROR_CODES` code, "empty" for a missing ID, or — in files that
    went through Excel — "float_precision_lost" for an 18-digit number ending in 000 that
    fails its check (Excel rounded it to 15 significant digits) and the warning
    "float_precision_suspect" when such a number happens to be valid (1 in 11 rounded
    numbers pass the check by chance, so linkage must confirm it with other fields; the ID
    is kept).
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
    if excel_handled:
        rounded = (
            pl.col("raw")
            .str.replace_all(r"[\s\-]", "")
            .str.contains(r"^\d{15}000$")
            .fill_null(False)
        )
        table = table.with_columns(
            error=pl.when(rounded & (pl.col("error") == "bad_check_digit"))
            .then(pl.lit("float_precision_lost"))
            .when(rounded & pl.col("error").is_null())
            .then(pl.lit("float_precision_suspect"))
            .otherwise(pl.col("error"))
        )
    out = raw.to_frame().join(table, on="raw", how="left", maintain_order="left")
    return out.select(
        "id",
        error=pl.when(pl.col("raw").is_null() | (pl.col("raw").str.strip_chars() == ""))
        .then(pl.lit("empty"))
        .otherwise(pl.col("error")),
    )
