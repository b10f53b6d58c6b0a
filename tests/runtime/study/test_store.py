import pytest

from hardware_profiles.errors import ResourceError
from runtime.study.store import ResultStore

COLUMNS = ("task_id", "x", "y")


def test_rows_survive_reopen_and_torn_last_line_is_cut(tmp_path) -> None:
    path = tmp_path / "results.csv"
    store = ResultStore(path, COLUMNS)
    store.append({"task_id": "a", "x": 1, "y": 0.1})
    store.append({"task_id": "b", "x": 2, "y": "text, with comma"})
    with path.open("ab") as fh:
        fh.write(b"c,3,0.")  # a writer killed mid-line
    again = ResultStore(path, COLUMNS)
    assert set(again.rows) == {"a", "b"}
    assert again.rows["a"]["y"] == repr(0.1)
    assert again.rows["b"]["y"] == "text, with comma"
    assert path.read_text().count("\n") == 3  # header + 2 rows, torn bytes gone
    again.append({"task_id": "c", "x": 3, "y": 0.5})
    assert set(ResultStore(path, COLUMNS).rows) == {"a", "b", "c"}
    assert path.read_text().splitlines()[0] == "task_id,x,y"


def test_other_header_is_refused(tmp_path) -> None:
    path = tmp_path / "results.csv"
    ResultStore(path, COLUMNS).append({"task_id": "a", "x": 1, "y": 2})
    with pytest.raises(ResourceError, match="another study"):
        ResultStore(path, ("task_id", "z"))
