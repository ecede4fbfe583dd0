"""Drives llm-sim with the official `anthropic` and `openai` SDKs.

Usage: sdk_conformance.py BASE_URL AUTH_BASE_URL
  BASE_URL       an llm-sim started with --retry-after-ms 300
  AUTH_BASE_URL  an llm-sim started with --require-key and SIM_API_KEY=sk-sim-good-key-0000000000

Prints one JSON object per check: {"check": name, "ok": bool, "detail": str}.
No one on this project wrote these clients: they arbitrate the wire format.
"""
import json
import sys
import time
import traceback

import anthropic
import openai
from prometheus_client.parser import text_string_to_metric_families

BASE, AUTH_BASE = sys.argv[1], sys.argv[2]
results = []


def check(name):
    def wrap(fn):
        try:
            detail = fn()
            results.append({"check": name, "ok": True, "detail": str(detail or "")})
        except Exception as e:  # noqa: BLE001 - report every failure as data
            results.append({"check": name, "ok": False, "detail": f"{type(e).__name__}: {e}\n{traceback.format_exc()}"})
        return fn
    return wrap


def expect_raises(exc_class, fn):
    try:
        fn()
    except exc_class as e:
        return f"{type(e).__name__} status={getattr(e, 'status_code', None)}"
    raise AssertionError(f"expected {exc_class.__name__}")


ac = anthropic.Anthropic(base_url=BASE, api_key="sk-ant-test", max_retries=0)
oc = openai.OpenAI(base_url=BASE + "/v1", api_key="sk-test", max_retries=0)
MSG = [{"role": "user", "content": "Create a simple hello world Python script"}]


@check("anthropic.create")
def _():
    m = ac.messages.create(model="claude-sonnet-4", max_tokens=300, messages=MSG)
    assert m.type == "message" and m.role == "assistant", m
    text = m.content[0].text
    assert 'print("Hello, World!")' in text, text
    assert m.usage.input_tokens > 0 and m.usage.output_tokens > 0, m.usage
    assert m.usage.cache_read_input_tokens == 0
    assert m.stop_reason in ("end_turn", "max_tokens")
    return m.usage


@check("anthropic.stream_helper")
def _():
    with ac.messages.stream(model="claude-sonnet-4", max_tokens=300, messages=MSG) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == final.content[0].text, (text, final)
    assert 'print("Hello, World!")' in text
    assert final.usage.output_tokens > 0 and final.usage.input_tokens > 0
    return final.usage


@check("anthropic.raw_event_sequence")
def _():
    events = [e.type for e in ac.messages.create(model="claude-sonnet-4", max_tokens=50, messages=MSG, stream=True)]
    assert events[0] == "message_start" and events[1] == "content_block_start", events
    assert events[-2:] == ["message_delta", "message_stop"], events
    assert "content_block_delta" in events and "content_block_stop" in events
    return len(events)


@check("anthropic.thinking")
def _():
    with ac.messages.stream(model="claude-sonnet-4", max_tokens=500, messages=MSG,
                            thinking={"type": "enabled", "budget_tokens": 200}) as s:
        final = s.get_final_message()
    kinds = [b.type for b in final.content]
    assert kinds == ["thinking", "text"], kinds
    assert final.content[0].thinking
    return kinds


@check("anthropic.cache_usage")
def _():
    system = [{"type": "text", "text": "You are NAVI. " * 50, "cache_control": {"type": "ephemeral"}}]
    a = ac.messages.create(model="claude-sonnet-4", max_tokens=20, system=system, messages=MSG)
    b = ac.messages.create(model="claude-sonnet-4", max_tokens=20, system=system, messages=MSG)
    assert a.usage.cache_creation_input_tokens > 0 and a.usage.cache_read_input_tokens == 0, a.usage
    assert b.usage.cache_read_input_tokens == a.usage.cache_creation_input_tokens, b.usage
    return b.usage


def fault(kind):
    return {"x-sim-fault": kind}


@check("anthropic.errors")
def _():
    out = []
    call = lambda h: ac.messages.create(model="claude-sonnet-4", max_tokens=10, messages=MSG, extra_headers=h)
    out.append(expect_raises(anthropic.RateLimitError, lambda: call(fault("429"))))
    overloaded = getattr(anthropic, "OverloadedError", anthropic.InternalServerError)
    out.append(expect_raises(overloaded, lambda: call(fault("529"))))
    out.append(expect_raises(anthropic.InternalServerError, lambda: call(fault("500"))))
    out.append(expect_raises(anthropic.BadRequestError, lambda: ac.messages.create(model="claude-sonnet-4", max_tokens=10, messages=[])))
    try:
        call(fault("429"))
    except anthropic.RateLimitError as e:
        assert e.body["error"]["type"] == "rate_limit_error", e.body
        assert e.response.headers["retry-after"] == "1", dict(e.response.headers)
        assert e.response.headers["request-id"].startswith("req_")
    return out


@check("anthropic.auth")
def _():
    bad = anthropic.Anthropic(base_url=AUTH_BASE, api_key="sk-ant-wrong", max_retries=0)
    r = expect_raises(anthropic.AuthenticationError, lambda: bad.messages.create(model="claude-sonnet-4", max_tokens=10, messages=MSG))
    good = anthropic.Anthropic(base_url=AUTH_BASE, api_key="sk-sim-good-key-0000000000", max_retries=0)
    good.messages.create(model="claude-sonnet-4", max_tokens=10, messages=MSG)
    return r


@check("anthropic.retry_after_honoured")
def _():
    c = anthropic.Anthropic(base_url=BASE, api_key="sk-ant-test", max_retries=2)
    t = time.monotonic()
    m = c.messages.create(model="claude-sonnet-4", max_tokens=10, messages=MSG,
                          extra_headers={"x-sim-fault": "429", "x-sim-fault-once": f"a-{time.time_ns()}"})
    waited = time.monotonic() - t
    assert m.content[0].text
    assert waited >= 0.3, f"retried after {waited:.3f}s, before retry-after-ms=300"
    return f"{waited:.3f}s"


@check("anthropic.malformed_stream_raises")
def _():
    def consume():
        for _ in ac.messages.create(model="claude-sonnet-4", max_tokens=200, messages=MSG, stream=True, extra_headers=fault("malformed")):
            pass
    return expect_raises(Exception, consume)


@check("openai.chat")
def _():
    r = oc.chat.completions.create(model="gpt-4o", max_tokens=300, messages=MSG)
    text = r.choices[0].message.content
    assert 'print("Hello, World!")' in text, text
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    return r.usage


@check("openai.chat_stream_usage")
def _():
    chunks = list(oc.chat.completions.create(model="gpt-4o", max_tokens=300, messages=MSG, stream=True,
                                             stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert 'print("Hello, World!")' in text, text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes in (["stop"], ["length"]), finishes
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert chunks[-1].choices == []
    return chunks[-1].usage


@check("openai.responses")
def _():
    r = oc.responses.create(model="gpt-4o", input="Create a simple hello world Python script")
    assert 'print("Hello, World!")' in r.output_text, r.output_text
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0
    events = list(oc.responses.create(model="gpt-4o", input="Create a simple hello world Python script", stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed", kinds
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == events[-1].response.output_text, (deltas, events[-1].response.output_text)
    return len(events)


@check("openai.models")
def _():
    ids = [m.id for m in oc.models.list()]
    assert "gpt-4o" in ids and "claude-sonnet-4" in ids, ids
    return ids


@check("openai.errors")
def _():
    out = []
    call = lambda h: oc.chat.completions.create(model="gpt-4o", messages=MSG, extra_headers=h)
    out.append(expect_raises(openai.RateLimitError, lambda: call(fault("429"))))
    out.append(expect_raises(openai.InternalServerError, lambda: call(fault("500"))))
    out.append(expect_raises(openai.InternalServerError, lambda: call(fault("503"))))
    out.append(expect_raises(openai.BadRequestError, lambda: oc.chat.completions.create(model="gpt-4o", messages=[])))
    bad = openai.OpenAI(base_url=AUTH_BASE + "/v1", api_key="sk-wrong", max_retries=0)
    out.append(expect_raises(openai.AuthenticationError, lambda: bad.chat.completions.create(model="gpt-4o", messages=MSG)))
    return out


@check("openai.retry_after_honoured")
def _():
    c = openai.OpenAI(base_url=BASE + "/v1", api_key="sk-test", max_retries=2)
    t = time.monotonic()
    r = c.chat.completions.create(model="gpt-4o", messages=MSG,
                                  extra_headers={"x-sim-fault": "429", "x-sim-fault-once": f"o-{time.time_ns()}"})
    waited = time.monotonic() - t
    assert r.choices[0].message.content
    assert waited >= 0.3, f"retried after {waited:.3f}s, before retry-after-ms=300"
    return f"{waited:.3f}s"


@check("prometheus.parses")
def _():
    import urllib.request
    text = urllib.request.urlopen(BASE + "/metrics").read().decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    assert "aep_llm_calls" in fams or "aep_llm_calls_total" in fams, list(fams)
    assert "http_requests" in fams or "http_requests_total" in fams, list(fams)
    assert "http_request_duration_seconds" in fams
    return sorted(fams)


for r in results:
    print(json.dumps(r))
sys.exit(0 if all(r["ok"] for r in results) else 1)
