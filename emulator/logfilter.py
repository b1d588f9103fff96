"""The part of the Logging query language that log-based metrics here are written in.

https://cloud.google.com/logging/docs/view/logging-query-language: comparisons
`FIELD OP VALUE` joined by AND, OR and NOT (AND binds tighter than OR; a space between two
comparisons is an AND), grouped with parentheses. Operators: `=`, `!=`, `:` (has: substring),
`=~` and `!~` (RE2 regular expressions, searched anywhere in the value), and `<`, `<=`, `>`,
`>=`, which order `severity` by its levels and other fields as text. A field that is missing
matches nothing but `!=` and `!~`. Values are double-quoted strings or bare words. What the
emulator cannot parse is refused with 400, as an invalid filter is by the real API; the
language's functions (`sample`, `ip_in_net`, ...) are not implemented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from emulator.errors import invalid

Entry = dict[str, Any]
Predicate = Callable[[Entry], bool]

#: LogSeverity in order (google.logging.type.LogSeverity).
SEVERITIES = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"]
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>=~|!~|!=|<=|>=|=|<|>|:)|(?P<paren>[()])'
    r"|(?P<word>[^\s()=!<>:\"]+))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise invalid(f"Invalid filter: unexpected text at '{text[pos : pos + 20]}'.", field="filter")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
        pos = m.end()
    return out


def _field(entry: Entry, path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part.strip('"'))
    return value


def _compare(op: str, actual: Any, expected: str, path: str) -> bool:
    if actual is None:
        return op in ("!=", "!~")
    text = str(actual)
    if op == "=":
        return text == expected
    if op == "!=":
        return text != expected
    if op == ":":
        return expected.lower() in text.lower()
    if op in ("=~", "!~"):
        try:
            found = re.search(expected, text) is not None
        except re.error as exc:
            raise invalid(
                f"Invalid filter: bad regular expression '{expected}': {exc}.", field="filter"
            ) from None
        return found if op == "=~" else not found
    if path == "severity":
        if expected.upper() not in SEVERITIES or text not in SEVERITIES:
            raise invalid(f"Invalid filter: unknown severity '{expected}'.", field="filter")
        left, right = SEVERITIES.index(text), SEVERITIES.index(expected.upper())
    else:
        left, right = text, expected  # type: ignore[assignment]
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid("Invalid filter: it ends too early.", field="filter")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise invalid(f"Invalid filter: unexpected '{self.peek()[1]}'.", field="filter")  # type: ignore[index]
        return predicate

    def disjunction(self) -> Predicate:
        terms = [self.conjunction()]
        while self.peek() == ("word", "OR"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda e: any(t(e) for t in terms))

    def conjunction(self) -> Predicate:
        terms = [self.negation()]
        while (token := self.peek()) is not None and token not in (("paren", ")"), ("word", "OR")):
            if token == ("word", "AND"):
                self.take()
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else (lambda e: all(t(e) for t in terms))

    def negation(self) -> Predicate:
        if self.peek() in (("word", "NOT"), ("op", "-")):
            self.take()
            inner = self.negation()
            return lambda e: not inner(e)
        if self.peek() == ("paren", "("):
            self.take()
            inner = self.disjunction()
            if self.take() != ("paren", ")"):
                raise invalid("Invalid filter: unbalanced parentheses.", field="filter")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        kind, path = self.take()
        if kind != "word":
            raise invalid(f"Invalid filter: expected a field name, got '{path}'.", field="filter")
        op_kind, op = self.take()
        if op_kind != "op":
            raise invalid(f"Invalid filter: expected an operator after '{path}'.", field="filter")
        value_kind, value = self.take()
        if value_kind not in ("str", "word"):
            raise invalid(f"Invalid filter: expected a value after '{path} {op}'.", field="filter")
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise invalid(
                    f"Invalid filter: bad regular expression '{value}': {exc}.", field="filter"
                ) from None
        return lambda e: _compare(op, _field(e, path), value, path)


def compile_filter(text: str) -> Predicate:
    """A predicate over LogEntry dicts; raises a 400 for a filter it cannot parse."""
    if not text.strip():
        return lambda e: True
    return _Parser(text).parse()
