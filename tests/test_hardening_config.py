"""Every value of ipgrid.toml is checked: a wrong one is one Chinese line naming it, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.cli import main
from loaders.config import read_config
from loaders.errors import ConfigError
from tests.bad_inputs import write_base


@pytest.mark.parametrize(("toml", "message"), [
    ("[settings]\noverlap_tolerance_m2 = \"大约十\"\n", "overlap_tolerance_m2 应为数"),
    ("[district]\npopulation = \"一百万\"\n", "population 应为正数"),
    ("[district]\npopulation = -5\n", "population 应为正数"),
    ("enterprises = 3\n", "enterprises 应为一节"),
    ("settings = \"x\"\n", "settings 应为一节"),
    ("[settings]\nmetric_crs = \"EPSG:4549\"\nmetirc_crs = \"EPSG:4549\"\n", "未知设置 ['metirc_crs']"),
    ("[district]\nnmae = \"通州区\"\n", "未知设置 ['nmae']"),
    ("[enterprises]\ncolumns = \"企业名称\"\n", "[enterprises.columns] 应为一节"),
    ("[enterprises]\nsheet = [1, 2]\n", "sheet 应为文字"),
    ("[service_radius_m]\n\"基层知识产权工作站\" = \"三千米\"\n", "应为正数（米）"),
], ids=["tolerance-text", "population-text", "population-negative", "layer-plain-value", "settings-plain-value",
        "settings-typo", "district-typo", "columns-not-table", "sheet-list", "radius-text"])
def test_a_wrong_setting_is_one_chinese_line(tmp_path: Path, toml: str, message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_base(tmp_path / "数据")
    (folder / "ipgrid.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        read_config(folder)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and message in err and "Traceback" not in err


def test_the_documented_settings_are_accepted(tmp_path: Path) -> None:
    folder = write_base(tmp_path / "数据")
    (folder / "ipgrid.toml").write_text(
        '[district]\nname = "通州区"\ndata_date = "2025-12-31"\nsource = "区市场监管局"\ndemo = false\n'
        'population = 1261000\n[settings]\nmetric_crs = "EPSG:4549"\noverlap_tolerance_m2 = 10\n'
        'max_generated_cells = 200000\n[service_radius_m]\n\"基层知识产权工作站\" = 2500\n', encoding="utf-8")
    cfg = read_config(folder)
    assert cfg.district.population == 1261000.0 and cfg.overlap_tolerance_m2 == 10.0
    assert cfg.radius_for("基层知识产权工作站") == 2500.0
