"""Map the headers a file has to a layer's canonical fields.

Offices write the same column a dozen ways (单位名称 / 企业名称 / 名称,
质押融资金额（万元） / 质押融资金额(亿元)).  Each field lists its aliases in
:mod:`loaders.schema`; ``[layer.columns]`` in ``ipgrid.toml`` overrides them.
A unit in brackets is read and turned into a factor to the canonical unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loaders.errors import ConfigError
from loaders.schema import LayerSchema, normalize_header, split_unit


@dataclass
class HeaderMap:
    """Which file header feeds which canonical field."""

    columns: dict[str, str] = field(default_factory=dict)
    """Canonical field → header as written in the file."""
    factors: dict[str, float] = field(default_factory=dict)
    """Canonical field → factor from the header's unit to the canonical unit."""
    missing: list[str] = field(default_factory=list)
    """Required fields with no header."""


def known_headers(schema: LayerSchema, overrides: dict[str, str] | None = None) -> set[str]:
    """Every normalized header that means some field of ``schema`` (for header-row detection)."""
    names = {normalize_header(a) for f in schema.fields for a in (f.name, *f.aliases)}
    names |= {normalize_header(h) for h in (overrides or {}).values()}
    return names


def map_headers(
    schema: LayerSchema, headers: list[str], overrides: dict[str, str] | None = None
) -> HeaderMap:
    """Match ``headers`` to the fields of ``schema``.

    Overrides win; then, field by field in schema order, the first alias (in
    alias order) that equals a header, first exactly and then with the
    header's bracketed unit removed.  A header feeds at most one field.

    Raises
    ------
    ConfigError
        An override names a header that the file does not have.
    """
    overrides = overrides or {}
    normalized = {h: normalize_header(h) for h in headers}
    result = HeaderMap()
    used: set[str] = set()

    for field_name, wanted in overrides.items():
        target = normalize_header(wanted)
        match = next((h for h, n in normalized.items() if n == target), None)
        if match is None:
            msg = (
                f"ipgrid.toml 中 [{schema.name}.columns] {field_name} = 「{wanted}」，"
                f"但文件中没有这一列；文件中的表头为：{'、'.join(headers)}"
            )
            raise ConfigError(msg)
        result.columns[field_name] = match
        used.add(match)

    for spec in schema.fields:
        if spec.name in result.columns:
            continue
        # Chinese aliases first: a KML's empty "Name" column must not beat its "名称".
        aliases = [normalize_header(a) for a in (*spec.aliases, spec.name)]
        match = _match(aliases, normalized, used, with_unit=False)
        if match is None:
            match = _match(aliases, normalized, used, with_unit=True)
        if match is not None:
            result.columns[spec.name] = match
            used.add(match)

    for spec in schema.fields:
        header = result.columns.get(spec.name)
        if header is not None and spec.units:
            _, unit = split_unit(normalized[header])
            if unit is not None and unit in spec.units:
                result.factors[spec.name] = spec.units[unit]
        if header is None and spec.required:
            result.missing.append(spec.name)
    return result


def _match(
    aliases: list[str], normalized: dict[str, str], used: set[str], *, with_unit: bool
) -> str | None:
    for alias in aliases:
        for header, norm in normalized.items():
            if header in used:
                continue
            candidate = split_unit(norm)[0] if with_unit else norm
            if candidate == alias:
                return header
    return None
