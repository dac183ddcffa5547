"""A study's results as CSV and its reveal: the rates and intervals of rules.study, and the trigger behind each
question, for the results page and the organizer's download."""

import csv
import io

from interpctf.rules.study import Question, SubmissionGrade

COLUMNS = ["submission", "trojan", "right", "answers", "rate", "wilson_low", "wilson_high", "target",
           "beats_target"]


def results_csv(grades: dict[int, SubmissionGrade], target: float) -> str:
    """One row per submission and trojan, then one ``all`` row per submission."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for sid in sorted(grades):
        g = grades[sid]
        for trojan, r in sorted(g.per_trojan.items()) + [("all", g.overall)]:
            writer.writerow([sid, trojan, r.right, r.n, f"{r.rate:.4f}", f"{r.low:.4f}", f"{r.high:.4f}",
                             f"{target:g}", int(r.beats)])
    return out.getvalue()


def reveal_rows(questions: list[Question]) -> list[dict[str, object]]:
    """Per question: its candidates, the right position and the trigger behind it (shown after the study)."""
    return [{"question": q.id, "submission": q.submission, "trojan": q.trojan, "answer": q.answer,
             "trigger": q.candidates[q.answer], "candidates": list(q.candidates), "attention": q.attention}
            for q in questions]
