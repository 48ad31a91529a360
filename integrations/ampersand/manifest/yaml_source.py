"""amp.yaml text to a document, with the YAML position of every path and limits on what it costs.

PyYAML's safe loader (its libyaml parser) composes a node tree (which keeps positions), the tree
is measured against the limits below, and only then constructed into Python values.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from integrations.ampersand.manifest.issues import Path, Severity, ValidationIssue, short

MAX_SOURCE_BYTES = 1024 * 1024
# A YAML document whose aliases expand beyond this many nodes is refused (billion laughs).
MAX_EXPANDED_NODES = 200_000
MAX_NESTING = 40


@dataclass(frozen=True)
class Position:
    """Where a path sits: its key (or list item) and its value, 1-based."""

    line: int
    column: int
    value_line: int
    value_column: int
    scalar: bool


Positions = dict[Path, Position]


@dataclass(frozen=True)
class ParsedYaml:
    document: object
    positions: Positions
    issues: list[ValidationIssue]


def parse_yaml(source: str) -> ParsedYaml:
    """The document in `source` and the position of each of its paths; issues instead on refusal."""
    size = len(source.encode("utf-8", errors="replace"))
    if size > MAX_SOURCE_BYTES:
        return _refused(
            "manifest-too-large",
            f"The manifest is {size} bytes; the limit is {MAX_SOURCE_BYTES} bytes (1 MiB).",
        )
    try:
        # PyYAML's reader refuses characters YAML does not allow, and says where, as soon as
        # it is made; lone surrogates among them, which libyaml could not even be given.
        yaml.reader.Reader(source)
    except yaml.reader.ReaderError as error:
        return _refused_character(source, error)
    # libyaml composes the nodes, with their positions, about 8x as fast as PyYAML's Python
    # parser; construction and tag resolution are PyYAML's safe ones either way.
    loader = yaml.CSafeLoader(source)
    try:
        root = loader.get_single_node()
        if root is None:
            return ParsedYaml(None, {}, [])
        _check_node_graph(root)
        document = loader.construct_document(root)
    except _NodeGraphError as error:
        return _refused(error.rule, error.problem or "", error.problem_mark)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = short(error.problem or error.context or "malformed YAML", 200)
        return _refused("yaml-syntax", f"The YAML is malformed: {problem}.", mark)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as error:
        detail = (
            "The YAML is nested too deeply."
            if isinstance(error, RecursionError)
            else f"The YAML could not be read: {short(error)}."
        )
        return _refused("yaml-syntax", detail)
    finally:
        loader.dispose()
    positions: Positions = {}
    _record_positions(root, (), positions)
    return ParsedYaml(document, positions, [])


def _refused(rule: str, message: str, mark: yaml.Mark | None = None) -> ParsedYaml:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    if line is not None:
        message = f"{message.rstrip('.')} (line {line}, column {column})."
    issue = ValidationIssue(Severity.ERROR, rule, "manifest", message, line, column)
    return ParsedYaml(None, {}, [issue])


def _refused_character(source: str, error: yaml.reader.ReaderError) -> ParsedYaml:
    position = error.position
    line = source.count("\n", 0, position) + 1
    column = position - source.rfind("\n", 0, position)
    character = error.character
    shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
    message = (
        f"The YAML holds the character {shown}, which YAML does not allow "
        f"(line {line}, column {column})."
    )
    issue = ValidationIssue(Severity.ERROR, "yaml-syntax", "manifest", message, line, column)
    return ParsedYaml(None, {}, [issue])


def _position(key_node: yaml.Node, value_node: yaml.Node) -> Position:
    return Position(
        key_node.start_mark.line + 1,
        key_node.start_mark.column + 1,
        value_node.start_mark.line + 1,
        value_node.start_mark.column + 1,
        isinstance(value_node, yaml.ScalarNode),
    )


def _record_positions(node: yaml.Node, path: Path, positions: Positions) -> None:
    if not path:
        positions[path] = _position(node, node)
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            positions.setdefault((*path, index), _position(item, item))
            _record_positions(item, (*path, index), positions)
    elif isinstance(node, yaml.MappingNode):
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged += (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                continue
            child = (*path, key_node.value)
            positions.setdefault(child, _position(key_node, value_node))
            _record_positions(value_node, child, positions)
        for source in merged:
            # Keys merged in with `<<` sit where the anchored mapping wrote them.
            _record_positions(source, path, positions)


class _NodeGraphError(yaml.MarkedYAMLError):
    def __init__(self, rule: str, problem: str, mark: yaml.Mark) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.rule = rule


def _check_node_graph(root: yaml.Node) -> None:
    """Refuse documents that expand too much through aliases, nest too deeply or repeat a key."""
    measured: dict[int, tuple[int, int]] = {}

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        known = measured.get(id(node))
        if known is not None:
            size, height = known
        else:
            if depth > MAX_NESTING:
                raise _NodeGraphError(
                    "yaml-too-deep",
                    f"The YAML is nested deeper than {MAX_NESTING} levels (or an alias refers to "
                    "itself).",
                    node.start_mark,
                )
            size, height = 1, 0
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                seen_keys: set[str] = set()
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                        if key_node.value in seen_keys:
                            raise _NodeGraphError(
                                "yaml-duplicate-key",
                                f"The key {short(key_node.value)!r} appears twice in this mapping.",
                                key_node.start_mark,
                            )
                        seen_keys.add(key_node.value)
                    children += [key_node, value_node]
            for child in children:
                child_size, child_height = measure(child, depth + 1)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_EXPANDED_NODES:
                    raise _NodeGraphError(
                        "yaml-too-large",
                        f"The YAML expands to more than {MAX_EXPANDED_NODES} nodes through "
                        "aliases or sheer size.",
                        node.start_mark,
                    )
            measured[id(node)] = (size, height)
        if depth + height > MAX_NESTING:
            raise _NodeGraphError(
                "yaml-too-deep",
                f"The YAML is nested deeper than {MAX_NESTING} levels.",
                node.start_mark,
            )
        return size, height

    measure(root, 0)
