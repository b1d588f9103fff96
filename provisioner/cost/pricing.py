"""The price table and the cost lines kinds build from it.

The table is data (a YAML file shipped with the reconcilers), so prices can be updated
without touching code, and every line of an estimate can say which list price it used and
where that price was read. Kinds price API-shaped bodies through `PriceTable`; a price the
table lacks never stops the estimate: it becomes a line marked "not priced" that names the
key to add, so the total says plainly what it leaves out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

#: How each `per` turns into a monthly amount; `use` prices depend on consumption alone.
PERIODS = ("hour", "second", "month", "use")
Status = Literal["priced", "usage", "free", "unpriced"]

_KEY = re.compile(r"[A-Za-z0-9_.-]+")
_LOCATION = re.compile(r"global|[a-z]+-[a-z]+\d+")


class PriceTableError(Exception):
    """The price table cannot be used as it is; the message names the file, field and fix."""


class MissingPrice(Exception):
    """The table has no price for this key in this location."""

    def __init__(self, key: str, location: str, path: Path) -> None:
        self.key, self.location, self.path = key, location, path
        super().__init__(
            f"no price {key!r} for {location} in {path}; add it under prices.{key}.usd.{location}"
        )


@dataclass(frozen=True)
class Price:
    key: str
    description: str
    unit: str
    per: str
    usd: dict[str, float]
    source: str
    note: str | None = None


@dataclass(frozen=True)
class CostLine:
    """One charge of one resource, as a person reading a bill would want it explained.

    `monthly` is what the line adds to the total: 0 for usage-dependent charges (the price
    per unit is shown instead of a guess), for free items and for prices the table lacks.
    `monthly_max` is the same line at the autoscaling maximum, when that differs.
    """

    item: str
    monthly: float = 0.0
    status: Status = "priced"
    quantity: float | None = None
    unit: str | None = None
    unit_price: float | None = None
    per: str | None = None
    source: str | None = None
    note: str | None = None
    monthly_max: float | None = None

    @property
    def ceiling(self) -> float:
        return self.monthly if self.monthly_max is None else self.monthly_max

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item": self.item, "status": self.status, "monthly": round(self.monthly, 2)}
        if self.monthly_max is not None:
            out["monthly_max"] = round(self.monthly_max, 2)
        for name in ("quantity", "unit", "unit_price", "per", "source", "note"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


def free(item: str, reason: str) -> CostLine:
    """A resource (or part of one) that costs nothing by itself, and why."""
    return CostLine(item=item, status="free", note=reason)


@dataclass
class PriceTable:
    path: Path
    as_of: dt.date
    currency: str
    hours_per_month: float
    notes: list[str]
    prices: dict[str, Price] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        return sorted({p.source for p in self.prices.values()})

    def factor(self, per: str) -> float:
        """Units of `per` in a month (hours, seconds, or 1 for a monthly price)."""
        return {"hour": self.hours_per_month, "second": self.hours_per_month * 3600, "month": 1.0}[per]

    def price(self, key: str, location: str) -> tuple[Price, float]:
        """The price of `key` in `location`, falling back to its location-independent price."""
        entry = self.prices.get(key)
        if entry is None:
            raise MissingPrice(key, location, self.path)
        for where in (location, "global"):
            if where in entry.usd:
                return entry, entry.usd[where]
        raise MissingPrice(key, location, self.path)

    def charge(
        self,
        key: str,
        location: str,
        quantity: float,
        item: str,
        note: str | None = None,
        max_quantity: float | None = None,
    ) -> CostLine:
        """A recurring charge: `quantity` units billed for the whole month."""
        try:
            entry, amount = self.price(key, location)
        except MissingPrice as exc:
            return CostLine(item=item, status="unpriced", note=str(exc))
        if entry.per == "use":
            return self.usage(key, location, item, note)
        monthly = quantity * amount * self.factor(entry.per)
        ceiling = None
        if max_quantity is not None and max_quantity != quantity:
            ceiling = max_quantity * amount * self.factor(entry.per)
        return CostLine(
            item=item,
            monthly=monthly,
            quantity=quantity,
            unit=entry.unit,
            unit_price=amount,
            per=entry.per,
            source=entry.source,
            note=note,
            monthly_max=ceiling,
        )

    def credit(self, key: str, location: str, against: float, item: str, note: str | None = None) -> CostLine:
        """A monthly credit, taken off the total up to `against` (the charge it offsets): a
        credit never pays out more than the charge it is for."""
        try:
            entry, amount = self.price(key, location)
        except MissingPrice as exc:
            return CostLine(item=item, status="unpriced", note=str(exc))
        if entry.per == "use":
            raise ValueError(f"prices.{key} is a usage price, not a credit")
        return CostLine(
            item=item,
            monthly=-min(amount * self.factor(entry.per), max(against, 0.0)),
            source=entry.source,
            note=note,
        )

    def usage(self, key: str, location: str, item: str, note: str | None = None) -> CostLine:
        """A charge that depends on use (data stored, requests, traffic): its unit price, no guess."""
        try:
            entry, amount = self.price(key, location)
        except MissingPrice as exc:
            return CostLine(item=item, status="unpriced", note=str(exc))
        return CostLine(
            item=item,
            status="usage",
            unit=entry.unit,
            unit_price=amount,
            per=entry.per,
            source=entry.source,
            note=note,
        )


# -- loading -----------------------------------------------------------------------------
def load_price_table(path: Path) -> PriceTable:
    """Read and check the table before anything is priced or any API is called."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text()
    except OSError as exc:
        raise PriceTableError(f"{path}: cannot read the price table: {exc.strerror or exc}") from exc
    try:
        doc = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise PriceTableError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    return _Checker(path).table(doc)


class _Checker:
    """Turns the parsed document into a `PriceTable`, or says exactly what to fix."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Any, key: str | int | None, field: str, message: str) -> PriceTableError:
        line = None
        lc = getattr(node, "lc", None)
        if lc is not None and key is not None:
            try:
                line = lc.key(key)[0] + 1 if isinstance(key, str) else lc.item(key)[0] + 1
            except (KeyError, IndexError, TypeError):
                line = None
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        return PriceTableError(f"{where}: {field}: {message}")

    def table(self, doc: Any) -> PriceTable:
        if not isinstance(doc, dict):
            raise PriceTableError(f"{self.path}: expected a mapping with as_of, currency and prices")
        allowed = {"as_of", "currency", "hours_per_month", "notes", "prices"}
        for key in doc:
            if key not in allowed:
                raise self.fail(
                    doc, key, str(key), f"unknown key; expected one of {', '.join(sorted(allowed))}"
                )
        as_of = doc.get("as_of")
        if isinstance(as_of, str):
            try:
                as_of = dt.date.fromisoformat(as_of)
            except ValueError:
                as_of = None
        if not isinstance(as_of, dt.date):
            raise self.fail(
                doc,
                "as_of" if "as_of" in doc else None,
                "as_of",
                "the day the prices were read, as YYYY-MM-DD",
            )
        if doc.get("currency") != "USD":
            raise self.fail(
                doc,
                "currency" if "currency" in doc else None,
                "currency",
                "must be USD (the list prices are in US dollars)",
            )
        hours = doc.get("hours_per_month", 730)
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 744:
            raise self.fail(
                doc, "hours_per_month", "hours_per_month", "a number of hours above 0, at most 744"
            )
        notes = doc.get("notes", [])
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise self.fail(doc, "notes", "notes", "a list of sentences")
        prices = doc.get("prices")
        if not isinstance(prices, dict) or not prices:
            raise self.fail(
                doc,
                "prices" if "prices" in doc else None,
                "prices",
                "a mapping of price keys to entries with description, unit, per, usd and source",
            )
        table = PriceTable(self.path, as_of, "USD", float(hours), list(notes))
        for key, entry in prices.items():
            table.prices[str(key)] = self.entry(prices, str(key), entry)
        return table

    def entry(self, parent: Any, key: str, entry: Any) -> Price:
        where = f"prices.{key}"
        if not _KEY.fullmatch(key):
            raise self.fail(parent, key, where, "keys are letters, digits, '.', '-' and '_'")
        if not isinstance(entry, dict):
            raise self.fail(parent, key, where, "expected description, unit, per, usd and source")
        allowed = {"description", "unit", "per", "usd", "source", "note"}
        for name in entry:
            if name not in allowed:
                raise self.fail(
                    entry,
                    name,
                    f"{where}.{name}",
                    f"unknown key; expected one of {', '.join(sorted(allowed))}",
                )
        for name in ("description", "unit", "per", "usd", "source"):
            if name not in entry:
                raise self.fail(parent, key, f"{where}.{name}", "missing")
        for name in ("description", "unit"):
            if not isinstance(entry[name], str) or not entry[name].strip():
                raise self.fail(entry, name, f"{where}.{name}", "a non-empty text")
        if entry["per"] not in PERIODS:
            raise self.fail(
                entry, "per", f"{where}.per", f"one of {', '.join(PERIODS)}, got {entry['per']!r}"
            )
        source = entry["source"]
        if not isinstance(source, str) or not source.startswith("https://cloud.google.com/"):
            raise self.fail(
                entry,
                "source",
                f"{where}.source",
                "the https://cloud.google.com/... pricing page the price was read from",
            )
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            raise self.fail(entry, "note", f"{where}.note", "a sentence")
        usd = entry["usd"]
        if not isinstance(usd, dict) or not usd:
            raise self.fail(
                entry,
                "usd",
                f"{where}.usd",
                "a mapping of location (a region such as us-central1, or global) to a price",
            )
        amounts: dict[str, float] = {}
        for location, amount in usd.items():
            field = f"{where}.usd.{location}"
            if not isinstance(location, str) or not _LOCATION.fullmatch(location):
                raise self.fail(usd, location, field, "a region such as us-central1, or global")
            if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
                raise self.fail(usd, location, field, f"a price in USD as a number, got {amount!r}")
            if amount < 0:
                raise self.fail(usd, location, field, f"a price cannot be negative, got {amount}")
            amounts[location] = float(amount)
        return Price(key, entry["description"], entry["unit"], entry["per"], amounts, source, note)
