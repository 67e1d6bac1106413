"""Checking an event's payload against its type in debates.events: what the pipeline tests
assert about every event they write."""

import types
import typing
from typing import Any, Union, get_args, get_origin

from debates.events import PAYLOADS, strip_not_required
from debates.models import EventType


def payload_errors(type: str, payload: object) -> list[str]:
    """What is wrong with `payload` as the payload of an event of `type`; [] when nothing."""
    try:
        expected = PAYLOADS[EventType(type)]
    except ValueError:
        return [f"unknown event type {type!r}"]
    return _errors(expected, payload, "payload")


def _errors(expected: Any, value: object, where: str) -> list[str]:
    if typing.is_typeddict(expected):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        hints = typing.get_type_hints(expected)
        required: frozenset[str] = expected.__required_keys__
        problems = [f"{where}: missing {key!r}" for key in sorted(required - value.keys())]
        problems += [f"{where}: unexpected {key!r}" for key in sorted(value.keys() - hints.keys())]
        for key, hint in hints.items():
            if key in value:
                problems += _errors(strip_not_required(hint), value[key], f"{where}.{key}")
        return problems
    origin = get_origin(expected)
    if origin in (Union, types.UnionType):
        options = [_errors(option, value, where) for option in get_args(expected)]
        return [] if any(not option for option in options) else min(options, key=len)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {value!r}"]
        (item,) = get_args(expected)
        return [error for i, v in enumerate(value) for error in _errors(item, v, f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        _key, item = get_args(expected)
        return [error for k, v in value.items() for error in _errors(item, v, f"{where}.{k}")]
    if expected is Any:
        return []
    if expected is type(None):
        return [] if value is None else [f"{where}: expected null, got {value!r}"]
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected)
    return [] if ok else [f"{where}: expected {expected.__name__}, got {value!r}"]
