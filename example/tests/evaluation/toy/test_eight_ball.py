import pytest
from evaluation.classification_eval import evaluate_classifier
from evaluation.toy.eight_ball import ANSWERS, EightBall, sentiment_of


def test_answers_are_deterministic_and_counted():
    ball = EightBall()
    first = ball.answer("Will the model converge?")
    assert ball.answer("  will the model CONVERGE?") == first
    assert ball.asked == 2
    assert sentiment_of(first) in ANSWERS


def test_salt_changes_answers_for_some_questions():
    questions = [f"Question {i}?" for i in range(20)]
    plain, salted = EightBall(), EightBall(salt="x")
    assert any(plain.answer(q) != salted.answer(q) for q in questions)


def test_predict_and_statements():
    ball = EightBall()
    assert ball.predict("This is a statement.") == "neutral"
    assert ball.predict("Is it?") in ANSWERS


def test_errors():
    with pytest.raises(ValueError):
        EightBall().answer("   ")
    with pytest.raises(KeyError):
        sentiment_of("Maybe.")


def test_eight_ball_is_a_poor_classifier():
    dataset = [(f"Is {i} prime?", "positive") for i in range(30)]
    report = evaluate_classifier(EightBall().predict, dataset)
    assert report.accuracy < 0.9
