"""A study's results CSV (rates, Wilson intervals, the target verdict) and the reveal of each question."""

from interpctf.rules.study import Question, grade_study
from interpctf.server.study_results import reveal_rows, results_csv


def test_results_csv_and_reveal():
    q = Question("s1-t0", 1, 10, "t0", tuple(f"c{i}" for i in range(8)), 2)
    grades = grade_study([(1, "s1-t0", 2), (2, "s1-t0", 2), (3, "s1-t0", 0)], [q])
    lines = results_csv(grades, 0.49).splitlines()
    assert lines[0].startswith("submission,trojan,right,answers,rate,wilson_low")
    assert lines[1].split(",")[:5] == ["1", "t0", "2", "3", "0.6667"] and lines[2].split(",")[1] == "all"
    assert lines[2].endswith(",0.49,0")  # 2 of 3: the interval reaches below the target
    assert reveal_rows([q])[0]["trigger"] == "c2"
