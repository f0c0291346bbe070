"""Text boxes drawn on the map itself, such as the 示例数据 label of demo data.

A label on the map (not only on the page) stays with the map in screenshots
and exports.  Text is set with ``textContent``, so it is never parsed as HTML.
"""

from __future__ import annotations

from typing import Literal

import folium
from branca.element import MacroElement
from folium.template import Template

Corner = Literal["topleft", "topright", "bottomleft", "bottomright"]

DEMO_LABEL = "示例数据（合成，非真实）"
"""Text of the label every map of the demo district carries."""

LABEL_STYLE = (
    "background:#b42318;color:#fff;font-weight:700;font-size:15px;"
    "padding:4px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);"
    "pointer-events:none;"
)
"""Inline CSS of the label box: white on red, readable from a distance."""


class MapLabel(MacroElement):
    """A fixed text box in one corner of a Leaflet map.

    Parameters
    ----------
    text
        Plain text (not HTML).
    position
        Map corner.
    style
        Inline CSS of the box.
    class_name
        CSS class of the box, for tests and page styles.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var box = L.DomUtil.create("div", {{ this.class_name|tojson }});
                box.textContent = {{ this.text|tojson }};
                box.style.cssText = {{ this.style|tojson }};
                return box;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        text: str,
        position: Corner = "topright",
        style: str = LABEL_STYLE,
        class_name: str = "ipgrid-map-label",
    ) -> None:
        super().__init__()
        self._name = "MapLabel"
        self.text = str(text)
        self.position = position
        self.style = style
        self.class_name = class_name


def add_demo_label(fmap: folium.Map, text: str = DEMO_LABEL) -> MapLabel:
    """Put the 示例数据 label in the top-right corner of ``fmap``.

    Parameters
    ----------
    fmap
        The map, changed in place.
    text
        Label text.

    Returns
    -------
    MapLabel
        The label element.
    """
    label = MapLabel(text, position="topright")
    label.add_to(fmap)
    return label
