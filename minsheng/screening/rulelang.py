"""The screening rule language: a small boolean expression language over archive items,
compiled to one SQL condition on the archive table.

    education.recent_graduate
    and employment.status = '未就业'
    and age between 16 and 59
    and not insurance.any_pension
    and household_any(assistance.dibao)

- Items are dictionary codes (`category.item`); a boolean item alone is a condition. Code
  items compare with their code value or their Chinese label ('未就业' = '3').
- Literals: numbers, 'text' or "text", true, false, null, date('2025-01-01'), today (the
  archive's as-of date).
- Operators: = != < <= > >=, between … and …, [not] in (…), is [not] null, and, or, not,
  parentheses.
- Functions: age (completed years), months_since(date item), years_since(date item),
  household_any(condition) and household_count(condition) over the members of the person's
  registered household, handled_within('业务事项', months) (a completed handling of that
  matter in the last months, from the 经办日志), business_any(condition) over the person's
  businesses.
- business_any(condition): true when the condition holds for any one of the market
  entities the person is the legal representative or owner of (the archive's set of
  businesses, `residents.Holding`), not only the latest one that the business.* items of
  the archive row show. Inside it the business.* items name that entity (is_legal_rep:
  the entity exists, 存续 or 在业; uscc, entity_name, entity_kind, status,
  established_date, employees); any other item is the person's own, so

      business_any(business.entity_kind = '企业' and business.status in ('存续', '在业')
                   and business.established_date >= unemployment.registration_date)

  asks for one company, still in business, registered after the person's unemployment.
  Outside it, business.* items are the archive row's (the latest business). Cannot be
  nested in itself.

`compile_rule(text)` returns the SQL (with %s parameters) for one database, plus the
rule's top-level conditions (the parts joined by `and`) each with its own SQL, so that for
any resident the engine can say which held and which did not. Errors name the line, the
column and the unknown word. Plain Python: no Django here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from minsheng.catalogue import dictionary
from minsheng.lib import sqldialect

__all__ = ["Compiled", "Condition", "RuleError", "compile_rule", "parse"]

FUNCTIONS = {
    "months_since": 1,
    "years_since": 1,
    "household_any": 1,
    "household_count": 1,
    "handled_within": 2,
    "business_any": 1,
    "date": 1,
}

# The set functions: name → (the kind of `residents.Holding` entry they range over, and
# for each item that names the entry, its SQL over the entry `{a}`; `{true}` and `{false}`
# are the dialect's booleans). The table and its columns are `residents.models.Holding`.
SETS = {
    "business_any": (
        "business",
        {
            "business.is_legal_rep": "CASE WHEN {a}.status IN ('1', '2') THEN {true} "
            "ELSE {false} END",
            "business.uscc": "{a}.key",
            "business.entity_name": "{a}.label",
            "business.entity_kind": "{a}.category",
            "business.status": "{a}.status",
            "business.established_date": "{a}.start_date",
            "business.employees": "{a}.employees",
        },
    ),
}
SET_TABLE = "residents_holding"
KEYWORDS = {"and", "or", "not", "in", "between", "is", "null", "true", "false", "today", "age"}

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+|\#[^\n]*)
  | (?P<nl>\n)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
    """,
    re.VERBOSE,
)


class RuleError(ValueError):
    """A rule that cannot be compiled; says where (line, column) and why."""

    def __init__(self, message: str, line: int, column: int, rule: str = "") -> None:
        self.line, self.column, self.rule, self.message = line, column, rule, message
        where = f"{rule}: " if rule else ""
        super().__init__(f"{where}line {line}, column {column}: {message}")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int
    column: int
    start: int


def _tokens(text: str, rule: str) -> list[Token]:
    out: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise RuleError(f"unexpected character {text[pos]!r}", line, pos - line_start + 1, rule)
        kind = m.lastgroup
        if kind == "nl":
            line, line_start = line + 1, m.end()
        elif kind != "ws":
            word = m.group()
            if kind == "name" and word.lower() in KEYWORDS:
                kind, word = "kw", word.lower()
            out.append(Token(kind, word, line, pos - line_start + 1, pos))
        pos = m.end()
    out.append(Token("end", "", line, pos - line_start + 1, pos))
    return out


# -- syntax tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    kind: str  # and/or/not/cmp/between/in/isnull/item/lit/func/today/age
    token: Token
    args: tuple = ()
    value: object = None


@dataclass
class _Parser:
    tokens: list[Token]
    rule: str
    i: int = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: Token | None = None) -> RuleError:
        tok = tok or self.tok
        return RuleError(message, tok.line, tok.column, self.rule)

    def take(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str) -> Token:
        tok = self.take(kind, text)
        if tok is None:
            found = self.tok.text or "end of rule"
            raise self.error(f"expected {text!r}, found {found!r}")
        return tok

    def expr(self) -> Node:
        left = self.conj()
        while tok := self.take("kw", "or"):
            left = Node("or", tok, (left, self.conj()))
        return left

    def conj(self) -> Node:
        left = self.neg()
        while tok := self.take("kw", "and"):
            left = Node("and", tok, (left, self.neg()))
        return left

    def neg(self) -> Node:
        if tok := self.take("kw", "not"):
            return Node("not", tok, (self.neg(),))
        return self.predicate()

    def predicate(self) -> Node:
        left = self.operand()
        tok = self.tok
        if tok.kind == "op" and tok.text in ("=", "!=", "<>", "<", "<=", ">", ">="):
            self.i += 1
            return Node("cmp", tok, (left, self.operand()), "!=" if tok.text == "<>" else tok.text)
        if self.take("kw", "between"):
            low = self.operand()
            self.expect("kw", "and")
            return Node("between", tok, (left, low, self.operand()))
        negated = False
        if tok.kind == "kw" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 1
            negated = True
        if self.take("kw", "in"):
            self.expect("op", "(")
            values = [self.operand()]
            while self.take("op", ","):
                values.append(self.operand())
            self.expect("op", ")")
            return Node("in", tok, (left, *values), negated)
        if self.take("kw", "is"):
            negated = self.take("kw", "not") is not None
            self.expect("kw", "null")
            return Node("isnull", tok, (left,), negated)
        return left

    def operand(self) -> Node:
        tok = self.tok
        if self.take("op", "("):
            inner = self.expr()
            self.expect("op", ")")
            return inner
        if self.take("number"):
            return Node("lit", tok, value=float(tok.text) if "." in tok.text else int(tok.text))
        if self.take("string"):
            return Node("lit", tok, value=tok.text[1:-1])
        if tok.kind == "kw" and tok.text in ("true", "false", "null"):
            self.i += 1
            return Node("lit", tok, value={"true": True, "false": False, "null": None}[tok.text])
        if self.take("kw", "today"):
            return Node("today", tok)
        if self.take("kw", "age"):
            return Node("age", tok)
        if self.take("name"):
            if "." in tok.text:
                return Node("item", tok, value=tok.text)
            if tok.text not in FUNCTIONS:
                known = ", ".join(sorted(FUNCTIONS))
                raise self.error(
                    f"unknown function or item {tok.text!r} (items are written "
                    f"category.item; functions: {known})",
                    tok,
                )
            self.expect("op", "(")
            args = [self.expr()] if self.tok.text != ")" else []
            while self.take("op", ","):
                args.append(self.expr())
            self.expect("op", ")")
            if len(args) != FUNCTIONS[tok.text]:
                raise self.error(
                    f"{tok.text}() takes {FUNCTIONS[tok.text]} argument(s), got {len(args)}", tok
                )
            return Node("func", tok, tuple(args), tok.text)
        found = tok.text or "end of rule"
        raise self.error(f"expected an item, a value or '(', found {found!r}")


def parse(text: str, rule: str = "") -> Node:
    p = _Parser(_tokens(text, rule), rule)
    node = p.expr()
    if p.tok.kind != "end":
        raise p.error(f"unexpected {p.tok.text!r} after a complete condition")
    return node


# -- compilation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    text: str  # the condition as written, for the explanation
    sql: str
    params: tuple


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple
    conditions: tuple[Condition, ...]
    items: frozenset[str] = field(default_factory=frozenset)


def _field(code: str) -> str:
    return code.replace(".", "_")


@dataclass
class _Compiler:
    text: str
    rule: str
    pg: bool
    alias: str
    as_of: date
    items: set[str] = field(default_factory=set)
    households: int = 0
    entries: int = 0
    # inside a set function: the items that name the set's entry → their SQL
    entry: dict[str, str] | None = None

    def error(self, message: str, node: Node) -> RuleError:
        return RuleError(message, node.token.line, node.token.column, self.rule)

    def item(self, node: Node) -> dictionary.Item:
        try:
            item = dictionary.item(str(node.value))
        except KeyError:
            raise self.error(f"unknown item {node.value!r}", node) from None
        self.items.add(item.code)
        return item

    def condition(self, node: Node, alias: str | None = None) -> tuple[str, list]:
        """SQL that is true, false or null; a bare boolean item means `= true`."""
        if node.kind in ("and", "or"):
            (ls, lp), (rs, rp) = (self.condition(a, alias) for a in node.args)
            return f"({ls} {node.kind.upper()} {rs})", lp + rp
        if node.kind == "not":
            s, p = self.condition(node.args[0], alias)
            return f"(NOT COALESCE({s}, {sqldialect.boolean(False, self.pg)}))", p
        if node.kind == "cmp":
            (ls, lp), (rs, rp) = self.pair(node.args[0], node.args[1], alias)
            return f"({ls} {node.value} {rs})", lp + rp
        if node.kind == "between":
            x, low, high = node.args
            (xs, xp), (ls, lp) = self.pair(x, low, alias)
            _, (hs, hp) = self.pair(x, high, alias)
            return f"({xs} BETWEEN {ls} AND {hs})", xp + lp + hp
        if node.kind == "in":
            x, *values = node.args
            parts, params = [], []
            xs, xp = self.value(x, alias)
            for v in values:
                _, (vs, vp) = self.pair(x, v, alias)
                parts.append(vs)
                params += vp
            op = "NOT IN" if node.value else "IN"
            return f"({xs} {op} ({', '.join(parts)}))", xp + params
        if node.kind == "isnull":
            s, p = self.value(node.args[0], alias)
            return f"({s} IS {'NOT ' if node.value else ''}NULL)", p
        if node.kind == "item":
            item = self.item(node)
            if item.type != "boolean":
                raise self.error(
                    f"{item.code} is a {item.type}, not a condition: compare it with a value",
                    node,
                )
            s, p = self.value(node, alias)
            return f"({s} = {sqldialect.boolean(True, self.pg)})", p
        if node.kind == "func" and node.value == "household_any":
            s, p = self.household(node, "EXISTS (SELECT 1", alias)
            return s, p
        if node.kind == "func" and node.value == "handled_within":
            return self.handled(node, alias)
        if node.kind == "func" and node.value in SETS:
            return self.any_entry(node, alias)
        if node.kind == "lit" and isinstance(node.value, bool):
            return sqldialect.boolean(node.value, self.pg), []
        raise self.error("this is a value, not a condition", node)

    def pair(self, left: Node, right: Node, alias: str | None) -> tuple[tuple, tuple]:
        """Both sides of a comparison; a text literal facing a code item may be its label."""
        for a, b in ((left, right), (right, left)):
            if a.kind == "item" and b.kind == "lit" and isinstance(b.value, str):
                item = self.item(a)
                if item.codes and b.value not in item.codes:
                    code = item.value_for(b.value)
                    if code is None:
                        labels = "、".join(item.codes.values())
                        raise self.error(
                            f"{b.value!r} is not a value of {item.code} (one of: {labels})", b
                        )
                    b = Node("lit", b.token, value=code)
                if a is left:
                    return self.value(a, alias), self.value(b, alias)
                return self.value(b, alias), self.value(a, alias)
        return self.value(left, alias), self.value(right, alias)

    def value(self, node: Node, alias: str | None = None) -> tuple[str, list]:
        alias = alias or self.alias
        if node.kind == "item":
            code = self.item(node).code
            if self.entry is not None and code in self.entry:
                return self.entry[code], []
            return f"{alias}.{_field(code)}", []
        if node.kind == "lit":
            if node.value is None:
                return "NULL", []
            if isinstance(node.value, bool):
                return sqldialect.boolean(node.value, self.pg), []
            return "%s", [node.value]
        if node.kind == "today":
            return self.date_param(self.as_of)
        if node.kind == "age":
            self.items.add("identity.age")
            return f"{alias}.identity_age", []
        if node.kind == "func":
            name = node.value
            if name == "date":
                arg = node.args[0]
                try:
                    when = date.fromisoformat(str(arg.value))
                except ValueError:
                    raise self.error(f"date() needs 'YYYY-MM-DD', got {arg.value!r}", arg) from None
                return self.date_param(when)
            if name in ("months_since", "years_since"):
                arg = node.args[0]
                if arg.kind != "item" or self.item(arg).type != "date":
                    raise self.error(f"{name}() takes a date item", arg)
                col, _ = self.value(arg, alias)
                today, params = self.date_param(self.as_of)
                fn = (
                    sqldialect.months_between
                    if name == "months_since"
                    else (sqldialect.years_between)
                )
                return fn(col, today, self.pg), params
            if name == "household_count":
                return self.household(node, "(SELECT COUNT(*)", alias)
        if node.kind in ("and", "or", "not", "cmp", "between", "in", "isnull"):
            s, p = self.condition(node, alias)
            return s, p
        raise self.error("not a value", node)

    def date_param(self, when: date) -> tuple[str, list]:
        # A literal, not a parameter: date arithmetic repeats its operands, and a date
        # object cannot carry anything but digits and dashes.
        return (f"DATE '{when.isoformat()}'" if self.pg else f"'{when.isoformat()}'"), []

    def household(self, node: Node, head: str, alias: str | None) -> tuple[str, list]:
        outer = alias or self.alias
        self.households += 1
        inner = f"hh{self.households}"
        self.items.add("hukou.household_number")
        cond, params = self.condition(node.args[0], inner)
        return (
            f"{head} FROM residents_resident {inner} WHERE {inner}.hukou_household_number = "
            f"{outer}.hukou_household_number AND {cond})",
            params,
        )

    def any_entry(self, node: Node, alias: str | None) -> tuple[str, list]:
        """EXISTS over the person's set entries of the function's kind; inside, the items
        that name the entry are its columns and every other item the person's own."""
        if self.entry is not None:
            raise self.error(f"{node.value}() cannot be used inside another one", node)
        kind, columns = SETS[str(node.value)]
        self.entries += 1
        inner = f"se{self.entries}"
        true, false = sqldialect.boolean(True, self.pg), sqldialect.boolean(False, self.pg)
        self.entry = {
            code: sql.format(a=inner, true=true, false=false) for code, sql in columns.items()
        }
        try:
            cond, params = self.condition(node.args[0], alias)
        finally:
            self.entry = None
        outer = alias or self.alias
        return (
            f"EXISTS (SELECT 1 FROM {SET_TABLE} {inner} WHERE {inner}.person_id = "
            f"{outer}.person_id AND {inner}.kind = '{kind}' AND {cond})",
            params,
        )

    def handled(self, node: Node, alias: str | None) -> tuple[str, list]:
        matter, months = node.args
        if matter.kind != "lit" or not isinstance(matter.value, str):
            raise self.error("handled_within() needs the matter as text first", matter)
        if months.kind != "lit" or not isinstance(months.value, int):
            raise self.error("handled_within() needs a whole number of months", months)
        since, params = self.date_param(self.as_of)
        start = sqldialect.add_months(since, -months.value, self.pg)
        handled = sqldialect.as_date("f.handled_at", self.pg)
        return (
            f"EXISTS (SELECT 1 FROM fact_rs_handling_log f WHERE f.person_id = "
            f"{alias or self.alias}.person_id AND f.matter = %s AND f.result = '办结' "
            f"AND {handled} > {start})",
            [matter.value, *params],
        )


def _conjuncts(node: Node) -> list[Node]:
    if node.kind == "and":
        return _conjuncts(node.args[0]) + _conjuncts(node.args[1])
    return [node]


def _split(text: str) -> list[str]:
    """The rule's text cut at its top-level `and`s (outside parentheses and not the `and`
    of a `between`)."""
    pieces, depth, start, pending_between = [], 0, 0, 0
    for tok in _tokens(text, ""):
        if tok.kind == "op" and tok.text in "()":
            depth += 1 if tok.text == "(" else -1
        elif tok.kind == "kw" and depth == 0 and tok.text == "between":
            pending_between += 1
        elif tok.kind == "kw" and depth == 0 and tok.text == "and":
            if pending_between:
                pending_between -= 1
            else:
                pieces.append(text[start : tok.start])
                start = tok.start + len(tok.text)
    pieces.append(text[start:])
    return [" ".join(re.sub(r"#[^\n]*", "", p).split()) for p in pieces]


def compile_rule(
    text: str, *, pg: bool, as_of: date, alias: str = "residents_resident", rule: str = ""
) -> Compiled:
    """Compile a rule for the archive table under `alias` (see the module docstring)."""
    if not text.strip():
        raise RuleError("the rule is empty", 1, 1, rule)
    tree = parse(text, rule)
    comp = _Compiler(text, rule, pg, alias, as_of)
    sql, params = comp.condition(tree)
    parts = _conjuncts(tree)
    texts = _split(text)
    if len(texts) != len(parts):  # e.g. `a or b and c`: explain the rule as one condition
        parts, texts = [tree], [" ".join(re.sub(r"#[^\n]*", "", text).split())]
    conditions = []
    for part, source in zip(parts, texts, strict=True):
        s, p = comp.condition(part)
        conditions.append(Condition(source, s, tuple(p)))
    return Compiled(sql, tuple(params), tuple(conditions), frozenset(comp.items))
