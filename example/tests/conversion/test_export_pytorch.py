import json

import pytest
from conversion.export_pytorch import (
    CheckpointError,
    RenameRule,
    average_checkpoints,
    checkpoint_size,
    compare_state_dicts,
    dequantize_int8,
    encode_state_dict,
    export_checkpoint,
    flatten_state_dict,
    flatten_values,
    load_checkpoint,
    quantize_int8,
    rename_keys,
    reshape,
    shape_of,
    to_float16,
    unflatten_state_dict,
)
from conversion.make_toy_block import make_toy_block

PARAMS = {"encoder": {"w": [[1.0, -2.0], [0.5, 4.0]], "b": [0.1, 0.2]}, "scale": 3.0}


def test_flatten_roundtrip():
    flat = flatten_state_dict(PARAMS)
    assert set(flat) == {"encoder.w", "encoder.b", "scale"}
    assert unflatten_state_dict(flat) == PARAMS


def test_shapes_and_reshape():
    assert shape_of([[1, 2, 3], [4, 5, 6]]) == [2, 3]
    assert shape_of(2.0) == []
    assert shape_of([]) == [0]
    values = flatten_values([[1, 2, 3], [4, 5, 6]])
    assert reshape(values, [2, 3]) == [[1, 2, 3], [4, 5, 6]]
    assert reshape([7.0], []) == 7.0


def test_int8_quantisation():
    q, scale = quantize_int8([0.0, 1.27, -1.27, 0.5])
    assert q[1] == 127 and q[2] == -127
    assert dequantize_int8(q, scale) == pytest.approx([0.0, 1.27, -1.27, 0.5], abs=scale)
    assert quantize_int8([0.0, 0.0]) == ([0, 0], 1.0)
    assert quantize_int8([]) == ([], 1.0)


def test_float16_rounding_and_saturation():
    assert to_float16([0.1])[0] == pytest.approx(0.1, abs=1e-4)
    assert to_float16([1e6, -1e6]) == [65504.0, -65504.0]


def test_rename_rules_and_collisions():
    flat = flatten_state_dict(PARAMS)
    rules = [RenameRule(r"^encoder\.", "enc."), RenameRule(r"\.w$", ".weight")]
    assert set(rename_keys(flat, rules)) == {"enc.weight", "enc.b", "scale"}
    with pytest.raises(CheckpointError, match="collision"):
        rename_keys(flat, [RenameRule(r".*", "same")])


@pytest.mark.parametrize("dtype,atol", [("float32", 0.0), ("float16", 1e-3), ("int8", 0.05)])
def test_export_and_load(tmp_path, dtype, atol):
    path = export_checkpoint(PARAMS, tmp_path / f"ck_{dtype}.json", dtype=dtype, metadata={"step": 3})
    params, meta = load_checkpoint(path)
    assert meta == {"step": 3}
    assert compare_state_dicts(PARAMS, params, atol=atol + 1e-9) == []
    flat, _ = load_checkpoint(path, nested=False)
    assert "encoder.w" in flat


def test_unsupported_dtype():
    with pytest.raises(CheckpointError, match="unsupported dtype"):
        encode_state_dict(PARAMS, dtype="bfloat16")


def test_corruption_and_version_checks(tmp_path):
    path = export_checkpoint(PARAMS, tmp_path / "ck.json")
    doc = json.loads(path.read_text())
    doc["payload"]["tensors"]["scale"]["data"] = [4.0]
    path.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(path)

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CheckpointError, match="not JSON"):
        load_checkpoint(bad)

    missing = tmp_path / "missing.json"
    missing.write_text("{}")
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(missing)

    from conversion import export_pytorch as ep

    payload = {"format_version": 99, "metadata": {}, "tensors": {}}
    future = tmp_path / "future.json"
    future.write_text(json.dumps({"payload": payload, "sha256": ep._checksum(payload)}))
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(future)

    legacy_payload = {"metadata": {}, "tensors": {}}
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps({"payload": legacy_payload, "sha256": ep._checksum(legacy_payload)}))
    assert load_checkpoint(legacy) == ({}, {})


def test_compare_state_dicts_reports_everything():
    other = {"encoder": {"w": [[1.0, -2.0], [0.5, 4.5]], "b": [0.1, 0.2, 0.3]}, "extra": 1.0}
    problems = compare_state_dicts(PARAMS, other)
    assert "missing in second: scale" in problems
    assert "missing in first: extra" in problems
    assert any(p.startswith("shape mismatch for encoder.b") for p in problems)
    assert any(p.startswith("value mismatch for encoder.w") for p in problems)
    assert compare_state_dicts({"e": []}, {"e": []}) == []


def test_toy_block_checkpoint_and_average(tmp_path):
    a = make_toy_block(seed=1).parameters()
    b = make_toy_block(seed=2).parameters()
    pa = export_checkpoint(a, tmp_path / "a.json")
    pb = export_checkpoint(b, tmp_path / "b.json")
    avg = average_checkpoints([pa, pb])
    assert avg["w1"][0][0] == pytest.approx((a["w1"][0][0] + b["w1"][0][0]) / 2)
    assert checkpoint_size(a) == 4 * (4 * 8 * 2 + 8 + 4)
    assert checkpoint_size(a, "int8") == checkpoint_size(a) // 4


def test_average_errors(tmp_path):
    with pytest.raises(CheckpointError, match="at least one"):
        average_checkpoints([])
    pa = export_checkpoint({"x": [1.0]}, tmp_path / "a.json")
    pb = export_checkpoint({"y": [1.0]}, tmp_path / "b.json")
    with pytest.raises(CheckpointError, match="different parameter names"):
        average_checkpoints([pa, pb])
