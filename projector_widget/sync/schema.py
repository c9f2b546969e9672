"""The whole kernel<->browser contract as one JSON Schema (draft-07).

Its ``definitions`` hold every request and every reply (protocol.py's declarations, by class
name), the ``Request`` and ``Reply`` unions (each member's ``type`` tells them apart), ``Spec``
(the ``_spec`` value) with its parts, ``TraitName`` (the names of the synced traits) and
``Traits`` (each synced trait's JSON kind). The traits come from the caller, who reads them off
the widget class (``traits.synced_kinds``): nothing in ``sync`` imports the widget.
``scripts/contract.py`` writes this schema and the TypeScript generated from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from projector_widget.sync import protocol
from projector_widget.sync.declare import definitions, ref


def contract(traits: Mapping[str, str]) -> dict[str, Any]:
    """The JSON Schema of the contract; ``traits``: the JSON kind of each synced trait by name.

    Deterministic: definitions in declaration order (each union, its members, what they use),
    trait names sorted.
    """
    missing = sorted(set(protocol.DECLARED_TRAITS) - set(traits))
    if missing:
        raise ValueError(
            f"protocol.DECLARED_TRAITS names {missing}, which the widget does not sync"
        )
    requests = get_args(protocol.Request)
    replies = get_args(protocol.Reply)
    groups: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]] = [
        (
            {
                "Request": {
                    "description": "Browser -> kernel: a custom message, told apart by its `type`.",
                    "oneOf": [ref(c) for c in requests],
                }
            },
            definitions(requests),
        ),
        (
            {
                "Reply": {
                    "description": "Kernel -> browser: a custom message, told apart by its `type`.",
                    "oneOf": [ref(c) for c in replies],
                }
            },
            definitions(replies),
        ),
        ({}, definitions((protocol.Spec,))),
        (
            {
                "TraitName": {
                    "description": "The synced traits of the widget (its model's keys).",
                    "enum": sorted(traits),
                },
                "Traits": {
                    "description": "The JSON value of each synced trait.",
                    "type": "object",
                    "properties": {
                        name: ref(protocol.DECLARED_TRAITS[name])
                        if name in protocol.DECLARED_TRAITS
                        else {"type": kind}
                        for name, kind in sorted(traits.items())
                    },
                    "required": sorted(traits),
                    "additionalProperties": False,
                },
            },
            {},
        ),
    ]
    defs: dict[str, dict[str, Any]] = {}
    for union, members in groups:
        for name, value in (union | members).items():
            if name in defs:
                raise ValueError(f"two definitions are called {name}")
            defs[name] = value
    # The root refers to each top-level type, so that generators reach every definition.
    tops = ("Request", "Reply", "Spec", "TraitName", "Traits")
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Contract",
        "description": (
            "The messages, the _spec value and the synced traits between projector-widget's "
            "kernel and its page, one property per top-level type (an index: nothing is sent "
            "in this shape). Generated from projector_widget/sync/protocol.py by "
            "scripts/contract.py (make contract): do not edit."
        ),
        "type": "object",
        "properties": {name: {"$ref": f"#/definitions/{name}"} for name in tops},
        "required": list(tops),
        "additionalProperties": False,
        "definitions": defs,
    }
