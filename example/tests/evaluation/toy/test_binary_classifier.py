"""Trains a logistic regression to convergence: deliberately the slow test of
the evaluation package (a tiny module with a lot of CPU work)."""

import itertools
import random

import pytest
from evaluation.classification_eval import classification_report, roc_auc
from evaluation.toy.binary_classifier import LogisticClassifier, sigmoid


def make_blobs(n, seed=0):
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        label = i % 2 == 0
        cx, cy = (1.5, 1.0) if label else (-1.0, -1.5)
        xs.append([rng.gauss(cx, 1.0), rng.gauss(cy, 1.0), rng.gauss(0.0, 1.0)])
        ys.append(label)
    return xs, ys


def test_sigmoid_is_stable_on_both_sides():
    assert sigmoid(0.0) == 0.5
    assert sigmoid(800.0) == 1.0
    assert sigmoid(-800.0) == 0.0
    assert sigmoid(-2.0) == pytest.approx(1 - sigmoid(2.0))


def test_untrained_model_is_uninformative():
    model = LogisticClassifier(3)
    assert model.predict_proba([1.0, 2.0, 3.0]) == 0.5
    assert model.predict([1.0, 2.0, 3.0])
    assert not LogisticClassifier(3, threshold=0.9).predict([1.0, 2.0, 3.0])


def test_training_converges_on_separable_blobs():
    xs, ys = make_blobs(200, seed=1)
    model = LogisticClassifier(3).fit(xs, ys, epochs=60, lr=0.5)
    assert model.history[-1] < model.history[0]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(model.history[10:]))
    test_x, test_y = make_blobs(150, seed=2)
    preds = [model.predict(x) for x in test_x]
    report = classification_report(test_y, preds)
    assert report.accuracy > 0.85
    assert roc_auc([model.predict_proba(x) for x in test_x], test_y) > 0.9
    assert abs(model.weights[2]) < abs(model.weights[0])
