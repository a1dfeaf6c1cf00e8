"""A deterministic magic eight ball, used as a toy 3-class "model"."""

from __future__ import annotations

import zlib

ANSWERS = {
    "positive": ("It is certain.", "Without a doubt.", "Yes, definitely.", "Outlook good."),
    "neutral": ("Reply hazy, try again.", "Ask again later.", "Cannot predict now."),
    "negative": ("Don't count on it.", "My reply is no.", "Very doubtful."),
}
_ALL = [(sentiment, text) for sentiment, texts in ANSWERS.items() for text in texts]


class EightBall:
    def __init__(self, salt: str = "") -> None:
        self.salt = salt
        self.asked = 0

    def _index(self, question: str) -> int:
        key = (self.salt + question.strip().lower()).encode()
        return zlib.crc32(key) % len(_ALL)

    def answer(self, question: str) -> str:
        if not question.strip():
            raise ValueError("ask a question")
        self.asked += 1
        return _ALL[self._index(question)][1]

    def predict(self, question: str) -> str:
        """Return the sentiment class of the answer for ``question``."""
        if not question.strip().endswith("?"):
            return "neutral"
        return _ALL[self._index(question)][0]


def sentiment_of(answer: str) -> str:
    for sentiment, texts in ANSWERS.items():
        if answer in texts:
            return sentiment
    raise KeyError(answer)
