"""Options of the safety functions: plain frozen dataclasses with safe defaults.

The core functions take these objects and import nothing of Django. `options_from_settings`
reads a settings-like object (Django's `settings`, or anything with the same attributes), so the
callers decide where configuration comes from and tests can pass a `SimpleNamespace`.
"""

from dataclasses import dataclass, field
from typing import Literal

InjectionMode = Literal["log", "block"]
INJECTION_MODES: tuple[InjectionMode, ...] = ("log", "block")

DEFAULT_REGIONS: tuple[str, ...] = ("TR", "US", "GB", "DE")


@dataclass(frozen=True, slots=True)
class PiiOptions:
    """What `safety.pii.scrub` looks for. E-mail addresses and phone numbers are always on.

    `regions` are the ISO 3166 regions whose national phone formats are recognised (numbers
    written with a leading `+` or `00` are recognised whatever the regions); the first region
    wins when two read the same digits.
    """

    regions: tuple[str, ...] = DEFAULT_REGIONS
    names: bool = False
    addresses: bool = False
    cards: bool = False
    ibans: bool = False


@dataclass(frozen=True, slots=True)
class InjectionOptions:
    """How `safety.injection.detect` decides: a score at or above `threshold` is suspected.

    `mode` is for the caller: "log" records and counts a suspected text, "block" refuses it.
    """

    threshold: float = 0.5
    mode: InjectionMode = "log"


@dataclass(frozen=True, slots=True)
class SafetyOptions:
    pii: PiiOptions = field(default_factory=PiiOptions)
    injection: InjectionOptions = field(default_factory=InjectionOptions)


def options_from_settings(settings_obj: object) -> SafetyOptions:
    """Read the `SAFETY_*` settings from a settings-like object; a missing one keeps its default."""
    pii_defaults = PiiOptions()
    injection_defaults = InjectionOptions()
    regions = getattr(settings_obj, "SAFETY_PII_REGIONS", pii_defaults.regions)
    raw_mode = str(getattr(settings_obj, "SAFETY_INJECTION_MODE", injection_defaults.mode))
    mode: InjectionMode
    if raw_mode.lower() == "block":
        mode = "block"
    elif raw_mode.lower() == "log":
        mode = "log"
    else:
        raise ValueError(
            f"SAFETY_INJECTION_MODE must be one of {INJECTION_MODES}, not {raw_mode!r}"
        )
    return SafetyOptions(
        pii=PiiOptions(
            regions=tuple(str(region).strip().upper() for region in regions if str(region).strip()),
            names=bool(getattr(settings_obj, "SAFETY_PII_NAMES", pii_defaults.names)),
            addresses=bool(getattr(settings_obj, "SAFETY_PII_ADDRESSES", pii_defaults.addresses)),
            cards=bool(getattr(settings_obj, "SAFETY_PII_CARDS", pii_defaults.cards)),
            ibans=bool(getattr(settings_obj, "SAFETY_PII_IBANS", pii_defaults.ibans)),
        ),
        injection=InjectionOptions(
            threshold=float(
                getattr(settings_obj, "SAFETY_INJECTION_THRESHOLD", injection_defaults.threshold)
            ),
            mode=mode,
        ),
    )
