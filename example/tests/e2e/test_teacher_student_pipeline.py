"""Teacher querying -> caching -> repair -> quality filtering -> tool-use scoring."""

import json

from evaluation.tool_use_eval import ToolCall, ToolSchema, evaluate_tool_use
from models.teacher.teacher_client import TeacherClient, TransientTeacherError
from training.feature_flags import default_registry
from training.json_repair import repair_json
from training.logging_utils import MetricLogger, get_logger
from training.prompt_templates import get_template
from training.quality_scoring import deduplicate, filter_by_quality
from training.teacher_cache import TeacherCache

SCHEMAS = [ToolSchema("search", {"query": "string", "top_k": "integer"}, required=("query",))]
QUERIES = ["distillation temperature", "gqa attention", "kv cache size", "refuse me", "distillation temperature"]


class ScriptedTeacher:
    """Emits slightly malformed tool calls, one refusal, and a transient failure."""

    def __init__(self):
        self.calls = 0

    def __call__(self, prompt, params):
        self.calls += 1
        if self.calls == 2:
            raise TransientTeacherError("rate limited")
        query = prompt.rsplit("User: ", 1)[-1]
        if "refuse" in query:
            return "I'm sorry, but I can't help with that."
        return f"```json\n{{'name': 'search', 'arguments': {{'query': '{query}', 'top_k': 3,}}}}\n```"


def test_pipeline():
    flags = default_registry(environ={})
    backend = ScriptedTeacher()
    cache = TeacherCache(max_entries=16) if flags.is_enabled("teacher_cache") else None
    client = TeacherClient(backend, cache=cache, sleep=lambda s: None)
    template = get_template("tool")
    prompts = [template.render(tools=[s.name for s in SCHEMAS], query=q) for q in QUERIES]

    outputs = client.generate_batch(prompts)
    assert client.stats.retries == 1 and client.stats.cache_hits == 1
    assert backend.calls == 5  # 4 distinct prompts + 1 retry

    samples = [{"prompt": p, "response": o} for p, o in zip(prompts, outputs, strict=True)]
    samples = deduplicate(samples, threshold=0.95)
    assert len(samples) == 4
    kept, rejected = filter_by_quality(samples, threshold=0.5, keywords=["search"], expect_json=True, target_words=8)
    assert len(kept) == 3 and rejected[0]["rejected_because"] == "refusal"
    assert all(repair_json(s["response"]).repaired for s in kept)

    examples = [
        (s["response"], [ToolCall("search", {"query": q, "top_k": 3})]) for s, q in zip(kept, QUERIES[:3], strict=True)
    ]
    score = evaluate_tool_use(examples, SCHEMAS)
    assert score.as_dict()["exact_match"] == 1.0

    logger, handler = get_logger("covsplit.e2e", json_format=True)
    MetricLogger(logger, every=1).log(1, score.as_dict())
    assert json.loads(handler.records[0])["metrics"]["valid_rate"] == 1.0
