"""What the validator reports: issues with a severity, a rule id, a path and a YAML position."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Path = tuple[str | int, ...]


class Severity(StrEnum):
    """ERROR refuses a manifest; WARNING and NOTE do not (Ampersand's spec, section 1)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class ValidationIssue:
    severity: Severity
    rule: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": str(self.severity),
            "rule": self.rule,
            "path": self.path,
            "message": self.message,
            "line": self.line,
            "column": self.column,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidationIssue:
        """The issue `as_json` gave."""
        return cls(
            Severity(data["severity"]),
            data["rule"],
            data["path"],
            data["message"],
            data.get("line"),
            data.get("column"),
        )


@dataclass(frozen=True)
class ValidationResult:
    """The manifest as the platform reads it (unknown keys dropped) and every issue found.

    `manifest` is None when the source could not be read as a YAML mapping.
    """

    manifest: dict[str, Any] | None
    issues: list[ValidationIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[ValidationIssue]:
        return [issue for issue in self.issues if issue.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[ValidationIssue]:
        return [issue for issue in self.issues if issue.severity is Severity.WARNING]

    @property
    def notes(self) -> list[ValidationIssue]:
        return [issue for issue in self.issues if issue.severity is Severity.NOTE]

    @property
    def ok(self) -> bool:
        return not self.errors


def format_path(path: Path) -> str:
    """`integrations[0].read.objects[1].schedule`; the whole document is `manifest`."""
    if not path:
        return "manifest"
    text = ""
    for segment in path:
        if isinstance(segment, int) and not isinstance(segment, bool):
            text += f"[{segment}]"
        else:
            key = short(segment if isinstance(segment, str) else repr(segment), 60)
            text += f".{key}" if text else key
    return text


def short(value: object, limit: int = 80) -> str:
    """Text fit for a message, and for a database to keep: cut to `limit` characters, NULs and
    lone surrogates spelled out."""
    text = value if isinstance(value, str) else str(value)
    return spelled_out(text if len(text) <= limit else f"{text[:limit]}…")


def spelled_out(text: str) -> str:
    """`text` with each NUL and lone surrogate written as its escape (`\\x00`, `\\ud800`): text
    any page can show and any database keep."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def storable_text(text: str) -> bool:
    """Whether `text` holds no NUL and no lone surrogate: what `spelled_out` leaves as it is."""
    return spelled_out(text) == text


def quoted(value: object, limit: int = 80) -> str:
    return repr(short(value, limit)) if isinstance(value, str) else short(value, limit)
