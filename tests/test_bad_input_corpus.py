"""The bad-input corpus (:mod:`tests.bad_inputs`) through ``validate``, the engine, the CLI and every app page.

Each case must end in its documented exit code with a Chinese explanation, and nothing may raise anything but an
``IpgridError`` (which the CLI turns into one line and exit 2) — no traceback on a terminal or a page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import loaders
from dashboard.app_data import DATA_ENV
from dashboard.cli import main
from dashboard.engine import Engine
from dashboard.pages import PAGES
from tests.bad_inputs import CASES, Case, build

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
COMMANDS = (("stats", "--level", "town"), ("stats", "--level", "grid"), ("coverage",), ("targets", "--json"))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpus")
    return {case.name: build(case, root) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_answers_each_case(case: Case, folders: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(folders[case.name])])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == case.exit_code, text
    assert case.message in text
    assert "Traceback" not in text
    if code == 2:  # cannot run: one Chinese line on stderr
        assert out.err.startswith("错误：") and out.err.count("\n") == 1, out.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_engine_opens_or_refuses_each_case(case: Case, folders: dict[str, Path]) -> None:
    if not case.loads:
        with pytest.raises(loaders.IpgridError):
            loaders.load_folder(folders[case.name])
        return
    if not case.usable:  # it opens, with a failed (empty) required layer, and the analyses refuse it
        bundle = loaders.load_folder(folders[case.name])
        assert any(layer.failed for layer in bundle.layers.values())
        with pytest.raises(loaders.IpgridError):
            loaders.load_folder(folders[case.name], analysis=True)
        Engine(bundle).firm_table()  # what the app does with it must not raise either
        return
    engine = Engine(loaders.load_folder(folders[case.name], analysis=True))
    for level in ("district", "town", "park", "grid"):
        table = engine.stats(level)
        assert list(table.columns[:3]) == ["level", "id", "name"]
    # every located firm is counted once at town level (towns + 区外 + 未定位 = district)
    towns = engine.stats("town")
    assert towns["enterprises"].sum() == engine.stats("district")["enterprises"].iloc[0]
    engine.firm_table()
    engine.targets()
    engine.uncovered_firms()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_cli_commands_answer_each_case(case: Case, command: tuple[str, ...], folders: dict[str, Path],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main([command[0], str(folders[case.name]), *command[1:]])
    out = capsys.readouterr()
    assert code == (0 if case.usable else 2), out.err
    assert "Traceback" not in out.out + out.err
    if not case.usable:
        assert out.err.startswith("错误：")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_app_page_shows_each_case_without_a_traceback(case: Case, folders: dict[str, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_ENV, str(folders[case.name]))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    if not case.loads:  # the data page explains, with the folder's error
        assert at.error and any(case.message in e.value for e in at.error)
        return
    for page in PAGES[1:]:
        at.switch_page(page.file)
        at.run()
        assert not at.exception, (page.key, [e.value for e in at.exception])


def test_coverage_without_service_points_says_so(folders: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    # the corpus folders have no service points: coverage is no data, not 0 %
    assert main(["coverage", str(folders["mixed_crs"])]) == 0
    assert "没有服务站点图层（服务站点.xlsx/.csv），无法计算覆盖率" in capsys.readouterr().out
    engine = Engine(loaders.load_folder(folders["mixed_crs"]))
    district = engine.stats("district").iloc[0]
    assert district["service_coverage_rate"] != district["service_coverage_rate"]  # NaN
