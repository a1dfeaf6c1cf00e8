import pytest
from conversion.validators import ValidationError, ensure_positive, validate_name, validate_opset


@pytest.mark.parametrize("name", ["input", "layer.0/weight", "_x:0", "a-b"])
def test_valid_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "0abc", "has space", None, 3])
def test_invalid_names(name):
    with pytest.raises(ValidationError):
        validate_name(name)


def test_opset_bounds():
    assert validate_opset(9) == 9
    assert validate_opset(18) == 18
    with pytest.raises(ValidationError, match=r"9\.\.18"):
        validate_opset(19)
    with pytest.raises(ValidationError):
        validate_opset(8)


def test_ensure_positive():
    assert ensure_positive(3, "dim") == 3
    with pytest.raises(ValidationError, match="dim must be positive"):
        ensure_positive(0, "dim")
