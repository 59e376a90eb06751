"""Money: exact decimals, shown as decimal strings in the currency's minor units (ISO 4217).

Amounts are ``Decimal`` inside (never floats). Order amounts are rounded half up to the currency's minor units
when an order is accepted; every answer shows money as a string with exactly that many decimals (``"59.90"``
USD, ``"1200"`` JPY, ``"1.250"`` KWD), so a client never parses a float and never loses a cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, Field

# ISO 4217 minor units where they are not 2 (List One, 2024). Codes without minor units (XAU, XXX) show 2.
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF")
        + ("XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
MONEY_RULE = (
    'Money is a decimal string in the currency\'s minor units (ISO 4217): `"59.90"` USD, `"1200"` JPY, `"1.250"` KWD'
)
Money = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", description=MONEY_RULE, examples=["59.90"])]


def minor_units(currency: str) -> int:
    """Decimals of ``currency``'s minor unit: 2 unless ISO 4217 says otherwise."""
    return MINOR_UNITS.get(currency.upper(), 2)


def amount(value: Any) -> Decimal:
    """``value`` (a Decimal, int, decimal string or float) as an exact Decimal; 0 for anything else (NaN too)."""
    try:
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return exact if exact.is_finite() else Decimal(0)


def quantize(value: Any, currency: str) -> Decimal:
    """``value`` rounded half up to ``currency``'s minor units: ``10.005`` USD -> ``10.01``, ``99.5`` JPY -> ``100``."""
    return amount(value).quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def money(value: Any, currency: str) -> str:
    """``value`` as shown in answers: a decimal string with ``currency``'s minor units (``"59.90"``)."""
    return format(quantize(value, currency), "f")


CURRENCY_RULE = "must be an ISO 4217 currency code like USD (any case)"


def currency_code(value: str) -> str:
    """``"usd "`` -> ``"USD"``: every currency Orbit accepts, in any case, is stored upper-case."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(CURRENCY_RULE)
    return code


CurrencyCode = Annotated[
    str,
    AfterValidator(currency_code),
    Field(description="ISO 4217 code, any case; stored upper-case", examples=["USD"]),
]


def shown(value: Any, currency: str | None) -> str:
    """``value`` as a decimal string with at least ``currency``'s minor units, never rounded: ``79.5`` USD ->
    ``"79.50"``; an amount finer than the minor unit stays exact (``"19.999"``)."""
    exact = amount(value)
    rounded = quantize(exact, currency or "")
    return money(exact, currency or "") if rounded == exact else format(exact, "f")
