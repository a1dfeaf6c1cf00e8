"""Classification metrics computed from label lists.

Implements confusion matrices, per-class precision/recall/F1 with macro,
micro and weighted averages, top-k accuracy, Cohen's kappa and expected
calibration error.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

Label = Hashable


@dataclass(frozen=True)
class ClassScores:
    label: Label
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class ClassificationReport:
    per_class: list[ClassScores]
    accuracy: float
    macro: tuple[float, float, float]
    weighted: tuple[float, float, float]
    micro: tuple[float, float, float]
    matrix: list[list[int]] = field(repr=False, default_factory=list)

    def scores_for(self, label: Label) -> ClassScores:
        for scores in self.per_class:
            if scores.label == label:
                return scores
        raise KeyError(label)

    def worst_class(self) -> ClassScores:
        return min(self.per_class, key=lambda s: (s.f1, str(s.label)))


def _check_lengths(y_true: Sequence, y_pred: Sequence) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    if not y_true:
        raise ValueError("cannot evaluate an empty prediction set")


def safe_div(num: float, den: float) -> float:
    """Division that returns 0.0 for a zero denominator (sklearn's zero_division=0)."""
    return num / den if den else 0.0


def unique_labels(*sequences: Iterable[Label]) -> list[Label]:
    seen: dict[Label, None] = {}
    for seq in sequences:
        for label in seq:
            seen.setdefault(label, None)
    try:
        return sorted(seen)  # type: ignore[type-var]
    except TypeError:
        return list(seen)


def confusion_matrix(
    y_true: Sequence[Label], y_pred: Sequence[Label], labels: Sequence[Label] | None = None
) -> tuple[list[Label], list[list[int]]]:
    """Rows are true labels, columns predicted labels."""
    _check_lengths(y_true, y_pred)
    labels = list(labels) if labels is not None else unique_labels(y_true, y_pred)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for truth, pred in zip(y_true, y_pred, strict=True):
        if truth not in index or pred not in index:
            continue  # labels outside the requested set are ignored
        matrix[index[truth]][index[pred]] += 1
    return labels, matrix


def precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = safe_div(tp, tp + fp)
    recall = safe_div(tp, tp + fn)
    return precision, recall, safe_div(2 * precision * recall, precision + recall)


def classification_report(
    y_true: Sequence[Label], y_pred: Sequence[Label], labels: Sequence[Label] | None = None
) -> ClassificationReport:
    labels, matrix = confusion_matrix(y_true, y_pred, labels)
    per_class = []
    total_tp = total_fp = total_fn = 0
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        fp = sum(matrix[r][i] for r in range(len(labels))) - tp
        fn = sum(matrix[i]) - tp
        total_tp, total_fp, total_fn = total_tp + tp, total_fp + fp, total_fn + fn
        p, r, f = precision_recall_f1(tp, fp, fn)
        per_class.append(ClassScores(label, p, r, f, tp + fn))
    n_classes = len(per_class)
    support = sum(s.support for s in per_class)
    macro = (
        safe_div(sum(s.precision for s in per_class), n_classes),
        safe_div(sum(s.recall for s in per_class), n_classes),
        safe_div(sum(s.f1 for s in per_class), n_classes),
    )
    weighted = (
        safe_div(sum(s.precision * s.support for s in per_class), support),
        safe_div(sum(s.recall * s.support for s in per_class), support),
        safe_div(sum(s.f1 * s.support for s in per_class), support),
    )
    micro = precision_recall_f1(total_tp, total_fp, total_fn)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    accuracy = safe_div(correct, sum(map(sum, matrix)))
    return ClassificationReport(per_class, accuracy, macro, weighted, micro, matrix)


def balanced_accuracy(y_true: Sequence[Label], y_pred: Sequence[Label]) -> float:
    report = classification_report(y_true, y_pred)
    recalls = [s.recall for s in report.per_class if s.support > 0]
    return safe_div(sum(recalls), len(recalls))


def cohen_kappa(y_true: Sequence[Label], y_pred: Sequence[Label]) -> float:
    """Agreement corrected for chance; 1.0 is perfect, 0.0 is chance level."""
    labels, matrix = confusion_matrix(y_true, y_pred)
    n = sum(map(sum, matrix))
    observed = sum(matrix[i][i] for i in range(len(labels))) / n
    expected = sum(sum(matrix[i]) * sum(row[i] for row in matrix) for i in range(len(labels))) / (n * n)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def top_k_accuracy(scores: Sequence[Sequence[float]], y_true: Sequence[int], k: int = 1) -> float:
    """Fraction of rows whose true class index is among the ``k`` best scores."""
    if k < 1:
        raise ValueError("k must be >= 1")
    _check_lengths(scores, y_true)
    hits = 0
    for row, truth in zip(scores, y_true, strict=True):
        ranked = sorted(range(len(row)), key=lambda j: (-row[j], j))
        if truth in ranked[:k]:
            hits += 1
    return hits / len(y_true)


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> float:
    """ECE with equal-width bins over ``[0, 1]``."""
    _check_lengths(confidences, correct)
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for conf, ok in zip(confidences, correct, strict=True):
        if not 0.0 <= conf <= 1.0:
            raise ValueError(f"confidence {conf} outside [0, 1]")
        idx = min(int(conf * n_bins), n_bins - 1)
        bins[idx].append((conf, ok))
    total = len(confidences)
    ece = 0.0
    for members in bins:
        if not members:
            continue
        avg_conf = sum(c for c, _ in members) / len(members)
        accuracy = sum(1 for _, ok in members if ok) / len(members)
        ece += len(members) / total * abs(avg_conf - accuracy)
    return ece


def format_report(report: ClassificationReport, digits: int = 3) -> str:
    """Render a report as a fixed-width text table."""
    width = max([len(str(s.label)) for s in report.per_class] + [len("weighted avg")])
    header = f"{'':>{width}}  precision  recall  f1-score  support"
    lines = [header]
    for s in report.per_class:
        lines.append(
            f"{s.label!s:>{width}}  {s.precision:9.{digits}f}  {s.recall:6.{digits}f}"
            f"  {s.f1:8.{digits}f}  {s.support:7d}"
        )
    support = sum(s.support for s in report.per_class)
    lines.append("")
    lines.append(f"{'accuracy':>{width}}  {'':9}  {'':6}  {report.accuracy:8.{digits}f}  {support:7d}")
    for name, (p, r, f) in (("macro avg", report.macro), ("weighted avg", report.weighted)):
        lines.append(f"{name:>{width}}  {p:9.{digits}f}  {r:6.{digits}f}  {f:8.{digits}f}  {support:7d}")
    return "\n".join(lines)


def evaluate_classifier(
    predict: Callable[[object], Label], dataset: Sequence[tuple[object, Label]]
) -> ClassificationReport:
    """Run ``predict`` over ``(input, label)`` pairs and build a report."""
    y_true = [label for _, label in dataset]
    y_pred = [predict(x) for x, _ in dataset]
    return classification_report(y_true, y_pred)


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve via the rank-sum (Mann-Whitney U) statistic.

    Tied scores receive their average rank.
    """
    _check_lengths(scores, labels)
    n_pos = sum(1 for y in labels if y)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both positive and negative examples")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        avg_rank = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = avg_rank
        i = j + 1
    pos_rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (pos_rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def best_threshold(scores: Sequence[float], labels: Sequence[bool], metric: str = "f1") -> tuple[float, float]:
    """Sweep every distinct score as a threshold and return ``(threshold, value)``."""
    if metric not in ("f1", "accuracy"):
        raise ValueError(f"unknown metric {metric!r}")
    _check_lengths(scores, labels)
    best = (0.0, -1.0)
    for threshold in sorted(set(scores)):
        preds = [s >= threshold for s in scores]
        tp = sum(1 for p, y in zip(preds, labels, strict=True) if p and y)
        fp = sum(1 for p, y in zip(preds, labels, strict=True) if p and not y)
        fn = sum(1 for p, y in zip(preds, labels, strict=True) if not p and y)
        if metric == "f1":
            value = precision_recall_f1(tp, fp, fn)[2]
        else:
            value = sum(1 for p, y in zip(preds, labels, strict=True) if p == y) / len(labels)
        if value > best[1]:
            best = (threshold, value)
    return best


def multilabel_f1(y_true: Sequence[set[Label]], y_pred: Sequence[set[Label]], average: str = "micro") -> float:
    """F1 for multi-label predictions given as sets per example."""
    _check_lengths(y_true, y_pred)
    if average == "samples":
        per_sample = []
        for truth, pred in zip(y_true, y_pred, strict=True):
            tp = len(truth & pred)
            per_sample.append(precision_recall_f1(tp, len(pred) - tp, len(truth) - tp)[2])
        return sum(per_sample) / len(per_sample)
    if average != "micro":
        raise ValueError(f"unsupported average {average!r}")
    tp = sum(len(t & p) for t, p in zip(y_true, y_pred, strict=True))
    fp = sum(len(p - t) for t, p in zip(y_true, y_pred, strict=True))
    fn = sum(len(t - p) for t, p in zip(y_true, y_pred, strict=True))
    return precision_recall_f1(tp, fp, fn)[2]


def normalize_matrix(matrix: list[list[int]], over: str = "true") -> list[list[float]]:
    """Normalise a confusion matrix over rows (``true``), columns (``pred``) or ``all``."""
    if over == "true":
        return [[safe_div(v, sum(row)) for v in row] for row in matrix]
    if over == "pred":
        col_sums = [sum(col) for col in zip(*matrix, strict=True)]
        return [[safe_div(v, col_sums[j]) for j, v in enumerate(row)] for row in matrix]
    if over == "all":
        total = sum(map(sum, matrix))
        return [[safe_div(v, total) for v in row] for row in matrix]
    raise ValueError(f"over must be 'true', 'pred' or 'all', not {over!r}")


def most_confused(labels: Sequence[Label], matrix: list[list[int]], n: int = 3) -> list[tuple[Label, Label, int]]:
    """The ``n`` largest off-diagonal cells as ``(true, predicted, count)``."""
    cells = [
        (labels[i], labels[j], count)
        for i, row in enumerate(matrix)
        for j, count in enumerate(row)
        if i != j and count > 0
    ]
    cells.sort(key=lambda c: -c[2])
    return cells[:n]
