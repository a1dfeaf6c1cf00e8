import pytest
from evaluation.reasoning_eval import (
    answers_match,
    count_steps,
    evaluate_reasoning,
    extract_final_answer,
    majority_vote,
    normalize_answer,
    pass_at_k,
    to_number,
)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("3 + 4 = 7\n#### 7", "7"),
        ("so we get \\boxed{12} overall", "12"),
        ("Therefore the answer is: Paris.", "Paris."),
        ("first 3 then 5 and finally 1,200 apples", "1,200"),
        ("no digits here", None),
    ],
)
def test_extract_final_answer(text, expected):
    assert extract_final_answer(text) == expected


def test_normalisation_and_numbers():
    assert normalize_answer(" $1,234. ") == "1234"
    assert normalize_answer("Paris.") == "paris"
    assert normalize_answer("1,2,3 apples") == "1,2,3 apples"
    assert to_number("1/2") == to_number("0.5")
    assert to_number("50\\%") == 50
    assert to_number("abc") is None
    assert to_number("1/0") is None


def test_answers_match():
    assert answers_match("1,000", "1000")
    assert answers_match("0.3333333", "1/3", tolerance=1e-6)
    assert not answers_match("2", "3")
    assert answers_match("Paris.", "paris")
    assert not answers_match(None, "1")


def test_count_steps():
    assert count_steps("Step 1: add\nStep 2: multiply\n#### 4") == 2
    assert count_steps("1. a\n2) b\n3. c") == 3
    assert count_steps("we add\nthen we divide\n\n#### 2") == 2
    assert count_steps("") == 0


def test_evaluate_reasoning():
    examples = [
        ("Step 1: 2+2\n#### 4", "4"),
        ("It is \\boxed{5}", "6"),
        ("the answer is 10", "10"),
        ("Step 1\nStep 2\nStep 3\n#### 9", "9"),
    ]
    result = evaluate_reasoning(examples)
    assert (result.total, result.correct, result.formatted) == (4, 3, 3)
    assert result.accuracy == 0.75 and result.format_rate == 0.75
    capped = evaluate_reasoning(examples, max_steps=2)
    assert capped.correct == 2
    empty = evaluate_reasoning([])
    assert empty.accuracy == 0.0 and empty.format_rate == 0.0 and empty.mean_steps == 0.0


def test_majority_vote():
    outputs = ["#### 4", "the answer is 5", "#### 5", "no idea", "#### 4"]
    assert majority_vote(outputs) == "4"
    assert majority_vote(["nothing", "here"]) is None


def test_pass_at_k():
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 5) == 1.0
    assert pass_at_k(5, 1, 1) == pytest.approx(0.2)
    assert pass_at_k(4, 2, 3) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
