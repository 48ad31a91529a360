"""The provider catalog: which providers exist and what each (and each module) supports.

The data is Ampersand's generated catalog (`data/catalog.json`, see `data/SOURCE.md`), the same
that `GET /providers` answers.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

from integrations.ampersand.models import ProviderInfo

CATALOG_PATH = Path(__file__).parent / "data" / "catalog.json"

Action = Literal["read", "write", "subscribe", "proxy", "delete"]


class Catalog:
    """Provider information by provider name, parsed on first use of each provider."""

    def __init__(self, providers: dict[str, Any]) -> None:
        self.raw = providers
        self._parsed: dict[str, ProviderInfo] = {}

    def provider(self, name: str) -> ProviderInfo | None:
        if name not in self._parsed:
            data = self.raw.get(name)
            if not isinstance(data, dict):
                return None
            self._parsed[name] = ProviderInfo.model_validate(data)
        return self._parsed[name]

    def display_name(self, name: str) -> str:
        info = self.provider(name)
        return info.display_name if info is not None and info.display_name else name

    def modules(self, provider: str) -> list[str]:
        info = self.provider(provider)
        return sorted(info.modules) if info is not None else []

    def supports(self, provider: str, action: Action, module: str | None = None) -> bool:
        """Whether `provider` (through `module`, whose support overrides the provider's) can."""
        info = self.provider(provider)
        if info is None:
            return False
        support = info.support
        if module and module in info.modules:
            support = info.modules[module].support
        return bool(getattr(support, action))


@cache
def load_catalog() -> Catalog:
    """The bundled catalog (238 providers)."""
    return Catalog(json.loads(CATALOG_PATH.read_text(encoding="utf-8"))["catalog"])
