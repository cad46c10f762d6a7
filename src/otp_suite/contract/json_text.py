"""Request bodies as JSON text, with values Python's ``json`` cannot write: ``1e400``, ``-0``,
``5.496e3``, ``NaN``, a string spelt with ``\\u`` escapes.

A :class:`JsonLiteral` anywhere in a document is written verbatim, so the contract's checks of the
extremes of JSON (contract, 'Fields') send exactly the text they name, not what a float of it
would print.
"""

from __future__ import annotations

import json
import secrets
from typing import Any


class JsonLiteral(str):
    """JSON text written as is where this value stands in a document (``JsonLiteral("1e400")``)."""

    __slots__ = ()


def json_bytes(document: Any) -> bytes:
    """``document`` as UTF-8 JSON, each :class:`JsonLiteral` in it spliced in verbatim."""
    literals: dict[str, str] = {}

    def marked(value: Any) -> Any:
        if isinstance(value, JsonLiteral):
            # A random mark cannot occur in the rest of the document by chance.
            mark = f"json-literal-{secrets.token_hex(8)}"
            literals[mark] = str(value)
            return mark
        if isinstance(value, dict):
            return {key: marked(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [marked(item) for item in value]
        return value

    text = json.dumps(marked(document))
    for mark, literal in literals.items():
        text = text.replace(json.dumps(mark), literal, 1)
    return text.encode()


def escaped_string(text: str) -> JsonLiteral:
    """``text`` as a JSON string with every character a ``\\uXXXX`` escape: once parsed, the same string."""
    return JsonLiteral('"' + "".join(f"\\u{ord(char):04x}" for char in text) + '"')
