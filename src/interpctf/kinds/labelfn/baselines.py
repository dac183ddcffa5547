"""Baselines that only see the public bundle: a constant answer, and a black-box copy of the model.

Neither may be ``solved``: the constant ignores the input, and the black-box copy reproduces the model's own
mistakes, while the bar demands strictly better agreement than the model's.
"""

import numpy as np

from interpctf.kinds.labelfn.domains import DOMAINS, Domain
from interpctf.kinds.labelfn.facts import LabelFnPublic
from interpctf.schema import AnswerFile, Challenge


def _model_predictions(challenge: Challenge) -> tuple[np.ndarray, np.ndarray, Domain]:
    public = challenge.public_as(LabelFnPublic)
    domain = DOMAINS[public.domain]
    model = domain.load(challenge.bundle_dir / "model")
    inputs = domain.query_inputs(public, challenge.bundle_dir)
    return inputs, domain.predict(model, inputs), domain


def constant(challenge: Challenge) -> AnswerFile:
    """Always the model's majority label."""
    _, preds, domain = _model_predictions(challenge)
    value = int(np.mean(preds) >= 0.5)
    args = "x, y" if domain.unpack else "image"
    return AnswerFile("constant.py", f"def label({args}):\n    return {value}\n".encode())


def blackbox(challenge: Challenge) -> AnswerFile:
    """Pairs: the model's answer for every pair as a lookup table. Digits: a decision tree fit to the model."""
    inputs, preds, domain = _model_predictions(challenge)
    if domain.unpack:
        p = challenge.public_as(LabelFnPublic).p
        table = "".join(str(int(v)) for v in preds)
        source = f"TABLE = {table!r}\n\ndef label(x, y):\n    return int(TABLE[x * {p} + y])\n"
    else:
        source = tree_source(inputs.reshape(len(inputs), -1), preds)
    return AnswerFile("blackbox.py", source.encode())


def tree_source(features: np.ndarray, targets: np.ndarray, max_depth: int = 12) -> str:
    """Fit a decision tree on pixels and write it out as plain Python (answers may not import scikit-learn)."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=3, random_state=0).fit(features, targets)
    t = tree.tree_
    lines = ["def label(image):", "    px = [float(v) for row in image for v in row]"]

    def emit(node: int, depth: int) -> None:
        pad = "    " * depth
        if t.children_left[node] == -1:
            lines.append(f"{pad}return {int(tree.classes_[np.argmax(t.value[node][0])])}")
            return
        lines.append(f"{pad}if px[{int(t.feature[node])}] <= {float(t.threshold[node])!r}:")
        emit(int(t.children_left[node]), depth + 1)
        lines.append(f"{pad}else:")
        emit(int(t.children_right[node]), depth + 1)

    emit(0, 1)
    return "\n".join(lines) + "\n"


BASELINES = {"constant": constant, "blackbox": blackbox}
