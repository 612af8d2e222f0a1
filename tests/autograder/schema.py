"""Gradescope's results.json specification as a JSON schema, for the tests to validate with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())


def validate(document: Any) -> None:
    """Raise jsonschema.ValidationError where `document` leaves Gradescope's specification."""
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
