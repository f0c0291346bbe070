"""Leaflet, markercluster and jQuery served by the app itself: no request leaves the machine.

Government intranets often have no internet, so the maps must not depend on a
CDN.  The JavaScript and CSS come from the installed ``xstatic-*`` packages:
:func:`ensure_vendor_assets` copies them into ``static/vendor/`` beside
``streamlit_app.py`` (Streamlit serves that folder at ``/app/static/`` when
``server.enableStaticServing`` is on), and :func:`make_map` /
:func:`localize` point every folium element's ``default_js``/``default_css``
at those copies.  Links folium adds that the maps do not need (bootstrap,
font-awesome, awesome-markers) are dropped; any other external link is an
error, so a new plugin cannot silently reach the internet.

Nothing from the xstatic packages is committed: ``static/vendor/`` is
git-ignored and refilled at app start.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import branca.colormap
import branca.element
import folium
import folium.elements
import xstatic.pkg.jquery as xs_jquery
import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_markercluster

VENDOR_DIR = "vendor"
"""Sub-folder of the app's ``static/`` folder that holds the copied files."""

STATIC_ROUTE = "app/static"
"""Path under which Streamlit serves the ``static/`` folder (after ``server.baseUrlPath``)."""


@dataclass(frozen=True)
class VendorPackage:
    """Files of one xstatic package that the maps need.

    Attributes
    ----------
    folder
        Sub-folder of ``static/vendor/`` the files are copied to.
    source
        The package's data folder (``xstatic.pkg.<name>.BASE_DIR``).
    version
        Package version, appended to URLs so browsers drop stale copies.
    files
        Paths relative to ``source``; a trailing ``/`` copies a whole folder.
    """

    folder: str
    source: Path
    version: str
    files: tuple[str, ...]


VENDOR_PACKAGES: dict[str, VendorPackage] = {
    "leaflet": VendorPackage(
        "leaflet", Path(xs_leaflet.BASE_DIR), xs_leaflet.VERSION,
        ("leaflet.js", "leaflet.css", "images/"),
    ),
    "markercluster": VendorPackage(
        "leaflet.markercluster", Path(xs_markercluster.BASE_DIR), xs_markercluster.VERSION,
        ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
    ),
    "jquery": VendorPackage(
        "jquery", Path(xs_jquery.BASE_DIR), xs_jquery.VERSION, ("jquery.min.js",),
    ),
}
"""Every vendored package by name."""

LOCAL_LINKS: dict[str, tuple[str, str]] = {
    # folium.Map
    "leaflet": ("leaflet", "leaflet.js"),
    "leaflet_css": ("leaflet", "leaflet.css"),
    "jquery": ("jquery", "jquery.min.js"),
    # folium.plugins.MarkerCluster
    "markerclusterjs": ("markercluster", "leaflet.markercluster.js"),
    "markerclustercss": ("markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": ("markercluster", "MarkerCluster.Default.css"),
}
"""folium link name → (vendored package, file) served locally instead."""

DROPPED_LINKS: frozenset[str] = frozenset({
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
})
"""folium link names the maps do without (only ``folium.Marker`` icons and
folium's own UI widgets use them; the maps draw ``CircleMarker``)."""


USER_BASEMAP = "_ipgrid_user_basemap"
"""Attribute set on a tile layer the user chose explicitly (Tianditu, an intranet mirror):
:func:`localize` lets its URL through; every other external URL is refused."""


class ExternalAssetError(ValueError):
    """A map element would load a file from the internet."""


def static_url_prefix() -> str:
    """URL path at which the app's ``static/`` folder is served, without trailing slash.

    Honours Streamlit's ``server.baseUrlPath``.

    Examples
    --------
    >>> static_url_prefix()
    '/app/static'
    """
    import streamlit as st  # local import: the maps work without a running app

    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, STATIC_ROUTE) if part)


def asset_url(package: str, file: str) -> str:
    """URL of one vendored file as the browser requests it.

    Parameters
    ----------
    package
        Key of :data:`VENDOR_PACKAGES`.
    file
        File name inside the package's vendored folder.

    Returns
    -------
    str
        Absolute path on the app's own host, with ``?v=<version>``.

    Examples
    --------
    >>> asset_url("leaflet", "leaflet.js")
    '/app/static/vendor/leaflet/leaflet.js?v=1.9.3'
    """
    try:
        pkg = VENDOR_PACKAGES[package]
    except KeyError:
        msg = f"unknown vendored package {package!r}; expected one of {sorted(VENDOR_PACKAGES)}"
        raise KeyError(msg) from None
    return f"{static_url_prefix()}/{VENDOR_DIR}/{pkg.folder}/{file}?v={pkg.version}"


def _source_files(pkg: VendorPackage) -> Iterator[tuple[Path, Path]]:
    """Yield (source file, path relative to the package's vendored folder)."""
    for entry in pkg.files:
        src = pkg.source / entry
        if entry.endswith("/"):
            for path in sorted(src.rglob("*")):
                if path.is_file():
                    yield path, path.relative_to(pkg.source)
        else:
            yield src, Path(entry)


def _copy_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` so that a reader never sees a half-written file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_vendor_assets(static_dir: str | os.PathLike[str]) -> list[Path]:
    """Copy the vendored files into ``static_dir/vendor/`` when missing or outdated.

    Idempotent and safe to call on every script run: a file whose copy already
    has the same bytes is left alone.

    Parameters
    ----------
    static_dir
        The ``static/`` folder beside ``streamlit_app.py``.

    Returns
    -------
    list of Path
        Files written by this call (empty when everything was up to date).

    Raises
    ------
    FileNotFoundError
        An xstatic package lacks a file it should ship (a broken install).
    """
    root = Path(static_dir) / VENDOR_DIR
    written: list[Path] = []
    for pkg in VENDOR_PACKAGES.values():
        for src, rel in _source_files(pkg):
            if not src.is_file():
                msg = f"{src} is missing: reinstall the xstatic package that provides it"
                raise FileNotFoundError(msg)
            dst = root / pkg.folder / rel
            if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
                continue
            _copy_atomic(src, dst)
            written.append(dst)
    return written


def _is_external(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "//"))


def _local_links(owner: type, links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Replace or drop each (name, url) pair; raise on an external link we do not serve."""
    out: list[tuple[str, str]] = []
    for name, url in links:
        if name in LOCAL_LINKS:
            out.append((name, asset_url(*LOCAL_LINKS[name])))
        elif name in DROPPED_LINKS:
            continue
        elif _is_external(url):
            msg = (
                f"{owner.__name__} loads {name!r} from {url}; the maps must work without "
                "internet: vendor the file in dashboard.maps.assets (VENDOR_PACKAGES and "
                "LOCAL_LINKS) or use another element"
            )
            raise ExternalAssetError(msg)
        else:
            out.append((name, url))
    return out


def _walk(element: branca.element.Element) -> Iterator[branca.element.Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def localize(fmap: folium.Map) -> folium.Map:
    """Point every element of ``fmap`` at the vendored files; check nothing is external.

    Call it after the last element was added and before rendering
    (:func:`dashboard.maps.render.show_map` and
    :func:`dashboard.maps.render.map_html` do).  The links are set on each
    element instance, so folium's class-level defaults stay untouched.

    Parameters
    ----------
    fmap
        The map, changed in place.

    Returns
    -------
    folium.Map
        ``fmap``, for chaining.

    Raises
    ------
    ExternalAssetError
        An element needs a file that is not vendored, a tile layer has an
        internet URL, or a branca colormap is on the map (streamlit-folium
        then adds d3 from the internet: draw legends in HTML instead).
    """
    for element in _walk(fmap):
        if isinstance(element, branca.colormap.ColorMap):
            msg = (
                "a branca colormap makes streamlit-folium load d3 from the internet; "
                "draw the legend as HTML instead"
            )
            raise ExternalAssetError(msg)
        if (isinstance(element, folium.TileLayer) and _is_external(str(element.tiles))
                and not getattr(element, USER_BASEMAP, False)):
            msg = (
                f"tile layer {element.tile_name!r} loads tiles from {element.tiles}; "
                "serve tiles from the app's static folder or create the map with tiles=None"
            )
            raise ExternalAssetError(msg)
        if isinstance(element, folium.elements.JSCSSMixin):
            element.default_js = _local_links(type(element), list(element.default_js))
            element.default_css = _local_links(type(element), list(element.default_css))
    return fmap


MAP_CSS = """
<style>
  .leaflet-container { background: #f4f6f8; font-size: 14px; }
  .leaflet-tooltip table, .leaflet-popup-content table { border-collapse: collapse; }
  .leaflet-tooltip th, .leaflet-popup-content th { text-align: left; padding-right: 8px;
    color: #555; font-weight: normal; white-space: nowrap; vertical-align: top; }
</style>
"""
"""Page-wide map styles (no tiles: a light background instead of Leaflet's grey)."""


def make_map(**kwargs: Any) -> folium.Map:
    """Create a folium map that loads nothing from the internet.

    ``tiles=None`` (no basemap unless local tiles are added later), Leaflet,
    markercluster and jQuery from the app's ``static/vendor/``, and folium's
    bootstrap / font-awesome links dropped.  Plugins added later are
    localized by :func:`localize` when the map is shown.

    Parameters
    ----------
    **kwargs
        Passed to :class:`folium.Map`; ``tiles`` may only be ``None`` or a
        local URL template.

    Returns
    -------
    folium.Map
        The empty map.

    Examples
    --------
    >>> m = make_map()
    >>> [name for name, _ in m.default_js]
    ['leaflet', 'jquery']
    """
    kwargs.setdefault("tiles", None)
    kwargs.setdefault("control_scale", True)
    kwargs.setdefault("zoom_snap", 0.25)
    fmap = folium.Map(**kwargs)
    root = cast(branca.element.Figure, fmap.get_root())  # typed Element; a folium.Map's root is its Figure
    root.header.add_child(branca.element.Element(MAP_CSS), name="ipgrid_map_css")
    return localize(fmap)
