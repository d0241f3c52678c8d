"""Build jsonschema's IRI grammar when an ``iri`` format is first checked, not at start.

Importing jupyter_server imports jsonschema, whose format checkers import
``rfc3987_syntax``; that package compiles some 40 Earley parsers from its grammar when
imported: about a second of CPU on a laptop, several on a boat's small computer, and half
of the platform's start-up, spent for a format that no Jupyter or platform schema uses
today. :func:`defer_iri_grammar` puts a stand-in module in its place whose
``is_valid_syntax`` (the one name jsonschema takes from it) imports the real package on
its first call and hands over to it: an ``iri`` or ``iri-reference`` format is checked
exactly as before, just later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

MODULE = "rfc3987_syntax"


def defer_iri_grammar() -> bool:
    """Install the stand-in; False when the real package is already imported or absent."""
    if MODULE in sys.modules:
        return False
    spec = importlib.util.find_spec(MODULE)
    if spec is None:
        return False
    stand_in = types.ModuleType(MODULE, __doc__)
    # The real spec and path: find_spec() still answers, and a submodule still imports.
    stand_in.__spec__ = spec
    stand_in.__path__ = list(spec.submodule_search_locations or [])
    loading = threading.Lock()
    real: list = []

    def is_valid_syntax(term: str, value: str) -> bool:
        if not real:
            with loading:
                if not real:
                    if sys.modules.get(MODULE) is stand_in:
                        del sys.modules[MODULE]
                    real.append(importlib.import_module(MODULE).is_valid_syntax)
        return real[0](term, value)

    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules[MODULE] = stand_in
    return True
