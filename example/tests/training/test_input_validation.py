import pytest
from training.input_validation import (
    TRAINING_CONFIG_SCHEMA,
    ConfigError,
    Field,
    apply_overrides,
    describe_schema,
    parse_override,
    validate,
    validate_or_raise,
    validate_training_config,
)

GOOD = {"steps": 100, "optimizer": {"lr": 1}}


def test_defaults_and_widening():
    config = validate_training_config(GOOD)
    assert config["optimizer"] == {"name": "sgd", "lr": 1.0, "weight_decay": 0.0, "momentum": 0.9}
    assert isinstance(config["optimizer"]["lr"], float)
    assert config["batch_size"] == 8 and config["tags"] == []
    config["tags"].append("mutated")
    assert validate_training_config(GOOD)["tags"] == []


def test_all_errors_collected():
    report = validate(
        {
            "steps": 0,
            "batch_size": True,
            "alpha": 2,
            "scheduler": "exp",
            "optimizer": {"lr": "x", "name": "adam"},
            "tags": ["a", 3],
            "extra": 1,
        },
        TRAINING_CONFIG_SCHEMA,
    )
    assert not report.ok
    text = "\n".join(report.errors)
    assert "steps: 0 is below the minimum 1" in text
    assert "batch_size: expected int, got bool" in text
    assert "alpha: 2.0 is above the maximum 1.0" in text
    assert "scheduler: 'exp' is not one of" in text
    assert "optimizer.lr: expected float, got str" in text
    assert "optimizer.name: 'adam' is not one of" in text
    assert "tags[1]: expected str, got int" in text
    assert report.warnings == ["extra: unknown key ignored"]


def test_missing_required_and_nested_warning():
    report = validate({"optimizer": {"lr": 0.1, "beta": 2}}, TRAINING_CONFIG_SCHEMA)
    assert report.errors == ["steps: required field missing"]
    assert report.warnings == ["optimizer.beta: unknown key ignored"]


def test_fields_without_defaults_are_omitted():
    schema = {"opt": Field(str), "n": Field(int, default=3, description="count")}
    assert validate({}, schema).config == {"n": 3}
    with pytest.raises(ConfigError) as info:
        validate_or_raise({"opt": 1}, schema)
    assert info.value.errors == ["opt: expected str, got int"]
    assert validate_or_raise({"opt": "x"}, schema) == {"opt": "x", "n": 3}


def test_cross_field_checks():
    with pytest.raises(ConfigError, match="eval_every"):
        validate_training_config({**GOOD, "steps": 10, "eval_every": 20})
    with pytest.raises(ConfigError, match="only used by the 'momentum'"):
        validate_training_config({"steps": 10, "optimizer": {"lr": 0.1, "momentum": 0.5}})
    ok = validate_training_config(
        {"steps": 10, "eval_every": 5, "optimizer": {"lr": 0.1, "name": "momentum", "momentum": 0.5}}
    )
    assert ok["eval_every"] == 5
    with pytest.raises(ConfigError, match="required field missing"):
        validate_training_config({"steps": 10})


def test_overrides():
    assert parse_override("optimizer.lr=0.5") == (["optimizer", "lr"], 0.5)
    assert parse_override("name=momentum") == (["name"], "momentum")
    assert parse_override('tags=["a"]') == (["tags"], ["a"])
    with pytest.raises(ValueError, match="key=value"):
        parse_override("oops")
    with pytest.raises(ValueError, match="empty key"):
        parse_override(" . =1")
    updated = apply_overrides(GOOD, ["optimizer.lr=0.5", "scheduler.kind=step", "steps=5"])
    assert updated["optimizer"]["lr"] == 0.5 and updated["scheduler"] == {"kind": "step"}
    assert GOOD["optimizer"]["lr"] == 1
    with pytest.raises(ValueError, match="not a mapping"):
        apply_overrides(GOOD, ["steps.inner=1"])


def test_describe_schema():
    text = describe_schema(TRAINING_CONFIG_SCHEMA)
    assert "steps: int, required" in text
    assert "scheduler: str, default='cosine', one of constant/linear/cosine/step" in text
    assert "  lr: float, required" in text
    assert describe_schema({"x": Field(str)}) == "x: str"
