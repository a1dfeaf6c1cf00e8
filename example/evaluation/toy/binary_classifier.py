"""Logistic-regression binary classifier trained by batch gradient descent."""

from __future__ import annotations

import math


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class LogisticClassifier:
    def __init__(self, n_features: int, threshold: float = 0.5) -> None:
        self.weights = [0.0] * n_features
        self.bias = 0.0
        self.threshold = threshold
        self.history: list[float] = []

    def predict_proba(self, x: list[float]) -> float:
        return sigmoid(sum(w * v for w, v in zip(self.weights, x, strict=True)) + self.bias)

    def predict(self, x: list[float]) -> bool:
        return self.predict_proba(x) >= self.threshold

    def fit(self, xs: list[list[float]], ys: list[bool], epochs: int = 100, lr: float = 0.1) -> LogisticClassifier:
        n = len(xs)
        for _ in range(epochs):
            grad_w = [0.0] * len(self.weights)
            grad_b = 0.0
            loss = 0.0
            for x, y in zip(xs, ys, strict=True):
                p = self.predict_proba(x)
                err = p - (1.0 if y else 0.0)
                for j, v in enumerate(x):
                    grad_w[j] += err * v
                grad_b += err
                loss -= math.log(max(p if y else 1.0 - p, 1e-12))
            self.weights = [w - lr * g / n for w, g in zip(self.weights, grad_w, strict=True)]
            self.bias -= lr * grad_b / n
            self.history.append(loss / n)
        return self
