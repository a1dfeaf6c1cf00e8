import pytest
from training.feature_flags import (
    DEFAULT_FLAGS,
    Flag,
    FlagRegistry,
    UnknownFlagError,
    bucket,
    default_registry,
    parse_bool,
)


@pytest.mark.parametrize("raw,expected", [("1", True), ("Yes", True), (" on ", True), ("0", False), ("off", False)])
def test_parse_bool(raw, expected):
    assert parse_bool(raw) is expected


def test_parse_bool_rejects_garbage():
    with pytest.raises(ValueError):
        parse_bool("maybe")


def test_flag_validation():
    assert Flag("fast_path").env_var == "COVSPLIT_FLAG_FAST_PATH"
    with pytest.raises(ValueError, match="identifiers"):
        Flag("not-valid")
    with pytest.raises(ValueError, match="rollout"):
        Flag("x", rollout_percent=120)


def test_registry_basics():
    registry = default_registry(environ={})
    assert registry.names() == sorted(f.name for f in DEFAULT_FLAGS)
    assert registry.is_enabled("fused_attention")
    assert not registry.is_enabled("kd_temperature_schedule")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Flag("teacher_cache"))
    with pytest.raises(UnknownFlagError):
        registry.is_enabled("nope")


def test_environment_override():
    registry = default_registry(environ={"COVSPLIT_FLAG_FUSED_ATTENTION": "false"})
    assert not registry.is_enabled("fused_attention")


def test_rollout_is_deterministic_and_roughly_proportional():
    registry = default_registry(environ={})
    subjects = [f"user{i}" for i in range(2000)]
    enabled = [s for s in subjects if registry.is_enabled("new_tokenizer", subject=s)]
    assert 100 < len(enabled) < 300
    assert all(registry.is_enabled("new_tokenizer", subject=s) for s in enabled[:20])
    assert not registry.is_enabled("new_tokenizer")  # no subject -> default
    assert 0 <= bucket("x", "y") < 100


def test_override_context_nests_and_restores():
    registry = default_registry(environ={"COVSPLIT_FLAG_TEACHER_CACHE": "0"})
    with registry.override(teacher_cache=True):
        assert registry.is_enabled("teacher_cache")
        with registry.override(fused_attention=False):
            assert registry.is_enabled("teacher_cache")
            assert not registry.is_enabled("fused_attention")
        assert registry.is_enabled("fused_attention")
    assert not registry.is_enabled("teacher_cache")
    with pytest.raises(UnknownFlagError), registry.override(missing=True):
        pass  # pragma: no cover
    assert registry.snapshot()["teacher_cache"] is False


def test_gated_decorator():
    registry = FlagRegistry(environ={})
    registry.register(Flag("beta", default=False))

    @registry.gated("beta", fallback=lambda x: f"old {x}")
    def new_path(x):
        """New implementation."""
        return f"new {x}"

    @registry.gated("beta")
    def no_fallback():
        return "ran"

    assert new_path(1) == "old 1" and no_fallback() is None
    assert new_path.__doc__ == "New implementation."
    with registry.override(beta=True):
        assert new_path(2) == "new 2" and no_fallback() == "ran"


def test_load_overrides_from_file(tmp_path):
    from training.feature_flags import load_overrides

    registry = default_registry(environ={})
    path = tmp_path / "flags.json"
    path.write_text('{"fused_attention": "off", "teacher_cache": false}')
    overrides = load_overrides(path, registry)
    assert overrides == {"fused_attention": False, "teacher_cache": False}
    with registry.override(**overrides):
        assert not registry.is_enabled("fused_attention")
    path.write_text('{"fused_attention": 1}')
    with pytest.raises(ValueError, match="must be a boolean"):
        load_overrides(path, registry)
    path.write_text("[]")
    with pytest.raises(ValueError, match="JSON object"):
        load_overrides(path, registry)
    path.write_text('{"missing": true}')
    with pytest.raises(UnknownFlagError):
        load_overrides(path, registry)


def test_describe():
    from training.feature_flags import describe

    registry = FlagRegistry(environ={})
    registry.register(Flag("plain"))
    registry.register(Flag("rolled", True, "gradual", rollout_percent=12.5))
    assert describe(registry).splitlines() == [
        "plain                        off",
        "rolled                       on (12.5% rollout)  gradual",
    ]
