import pytest
from evaluation.classification_eval import (
    balanced_accuracy,
    best_threshold,
    classification_report,
    cohen_kappa,
    confusion_matrix,
    evaluate_classifier,
    expected_calibration_error,
    format_report,
    multilabel_f1,
    precision_recall_f1,
    roc_auc,
    safe_div,
    top_k_accuracy,
    unique_labels,
)

Y_TRUE = ["cat", "cat", "dog", "dog", "dog", "bird"]
Y_PRED = ["cat", "dog", "dog", "dog", "cat", "cat"]


def test_confusion_matrix_default_and_explicit_labels():
    labels, matrix = confusion_matrix(Y_TRUE, Y_PRED)
    assert labels == ["bird", "cat", "dog"]
    assert matrix == [[0, 1, 0], [0, 1, 1], [0, 1, 2]]
    labels, matrix = confusion_matrix(Y_TRUE, Y_PRED, labels=["cat", "dog"])
    assert matrix == [[1, 1], [1, 2]]


def test_input_checks():
    with pytest.raises(ValueError, match="y_pred has 1"):
        confusion_matrix([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        confusion_matrix([], [])


def test_unique_labels_handles_unorderable_types():
    assert unique_labels([3, 1], [2]) == [1, 2, 3]
    assert unique_labels([1, "a"], ["a", None]) == [1, "a", None]


def test_report_numbers():
    report = classification_report(Y_TRUE, Y_PRED)
    cat = report.scores_for("cat")
    assert cat.precision == pytest.approx(1 / 3) and cat.recall == pytest.approx(0.5)
    bird = report.scores_for("bird")
    assert (bird.precision, bird.recall, bird.f1, bird.support) == (0.0, 0.0, 0.0, 1)
    assert report.accuracy == pytest.approx(0.5)
    assert report.micro[2] == pytest.approx(0.5)
    assert report.macro[1] == pytest.approx((0 + 0.5 + 2 / 3) / 3)
    assert report.weighted[1] == pytest.approx(0.5)
    assert report.worst_class().label == "bird"
    with pytest.raises(KeyError):
        report.scores_for("fish")


def test_precision_recall_zero_division():
    assert precision_recall_f1(0, 0, 0) == (0.0, 0.0, 0.0)
    assert safe_div(1, 0) == 0.0


def test_balanced_accuracy_ignores_prediction_only_labels():
    assert balanced_accuracy([0, 0, 1, 1], [0, 2, 1, 1]) == pytest.approx(0.75)


def test_cohen_kappa():
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]) == 1.0
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.0)


def test_top_k_accuracy():
    scores = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]
    assert top_k_accuracy(scores, [1, 1, 0], k=1) == pytest.approx(1 / 3)
    assert top_k_accuracy(scores, [1, 1, 0], k=2) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        top_k_accuracy(scores, [1, 1, 0], k=0)


def test_expected_calibration_error():
    assert expected_calibration_error([1.0, 1.0], [True, True]) == pytest.approx(0.0)
    ece = expected_calibration_error([0.9, 0.9, 0.2, 0.3], [True, False, False, False], n_bins=5)
    assert ece == pytest.approx(0.5 * 0.4 + 0.25 * 0.2 + 0.25 * 0.3)
    with pytest.raises(ValueError, match="outside"):
        expected_calibration_error([1.5], [True])


def test_format_report_and_evaluate_classifier():
    dataset = [(x, x % 3 == 0) for x in range(12)]
    report = evaluate_classifier(lambda x: x % 6 == 0, dataset)
    text = format_report(report, digits=2)
    assert "precision" in text.splitlines()[0]
    assert "weighted avg" in text and "macro avg" in text and "accuracy" in text
    assert report.accuracy == pytest.approx(10 / 12)


def test_roc_auc_with_ties():
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert roc_auc([0.5, 0.5, 0.5], [True, False, True]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc([0.2, 0.3], [True, True])


def test_best_threshold():
    scores = [0.1, 0.4, 0.35, 0.8, 0.9]
    labels = [False, False, True, True, True]
    threshold, f1 = best_threshold(scores, labels)
    assert threshold == pytest.approx(0.35) and f1 == pytest.approx(6 / 7)
    threshold, acc = best_threshold(scores, labels, metric="accuracy")
    assert threshold == pytest.approx(0.35) and acc == pytest.approx(0.8)
    with pytest.raises(ValueError, match="unknown metric"):
        best_threshold(scores, labels, metric="auc")


def test_multilabel_f1():
    truth = [{"a", "b"}, {"c"}]
    pred = [{"a"}, {"c", "d"}]
    assert multilabel_f1(truth, pred) == pytest.approx(2 / 3)
    assert multilabel_f1(truth, pred, average="samples") == pytest.approx((2 / 3 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="unsupported average"):
        multilabel_f1(truth, pred, average="macro")


def test_normalize_matrix_and_most_confused():
    from evaluation.classification_eval import most_confused, normalize_matrix

    labels, matrix = confusion_matrix(Y_TRUE, Y_PRED)
    rows = normalize_matrix(matrix)
    assert rows[1] == [0.0, 0.5, 0.5]
    cols = normalize_matrix(matrix, over="pred")
    assert cols[0] == [0.0, pytest.approx(1 / 3), 0.0]
    assert sum(map(sum, normalize_matrix(matrix, over="all"))) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="over must be"):
        normalize_matrix(matrix, over="diag")
    assert most_confused(labels, matrix, n=2) == [("bird", "cat", 1), ("cat", "dog", 1)]
