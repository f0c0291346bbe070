"""Names vulture cannot see being used (``vulture dashboard loaders geodata scripts/vulture_whitelist.py``).

Each entry says who uses it.  Anything else vulture reports is dead code: delete it, do not add it here.
"""

# ruff: noqa: B018, F821 - a vulture whitelist is bare names on purpose

# Documented public API with doctests; the engine's roll-up uses the same vectorised codes directly.
right_kind_from_number  # dashboard/engine/rights.py
status_class  # dashboard/engine/rights.py
unmatched_records  # RightsRollup field: a report of the roll-up (tests read it; problems carry the rows)
unmatched_holders  # RightsRollup field, idem
metrics_markdown  # generates the table of docs/metrics.md; tests/test_metrics_doc.py keeps the file equal to it
class_labels  # MapResult field: what the legend drew, read by tests/test_exports.py

# Module protocol (PEP 562): lazy attributes of dashboard.exports.
__getattr__
__dir__

# Attributes read by frameworks, not by our code.
_name  # branca/folium element name (rendered into the page's JavaScript)
tip_js  # folium template variable of AreaLayer/PointLayer
data_json  # folium template variable: the layer's data, read by its Jinja template
freeze_panes  # openpyxl worksheet
data_type  # openpyxl cell
number_format  # openpyxl cell
alignment  # openpyxl cell
glyphOrder  # fontTools glyf table: the font subsets converted in dashboard/exports/fonts.py
tableVersion  # fontTools maxp table, idem
maxZones  # fontTools maxp table, idem
formatType  # fontTools post table, idem
glyphDataFormat  # fontTools head table, idem
sfntVersion  # fontTools TTFont, idem
compress_type  # zipfile.ZipInfo
description  # LayerSchema/FieldSpec: what a layer or field is, documentation kept with the schema
_on_connect  # SQLAlchemy event listener of the GeoPackage backend's engine (dashboard/store/backends.py)
_on_error  # SQLAlchemy event listener turning a database refusal into a StoreError (idem)
__qualname__  # names of generated functions: the 无权查看 pages and ScopedEngine's delegates (dashboard/access)
__doc__  # idem: their docstrings, read by help() and Streamlit's page registry
