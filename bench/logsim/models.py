"""The models a user of llm prompts, and the response_json their plugins log."""
from __future__ import annotations

import json

PLAIN_MODELS = [
    ("gpt-4o-mini", 18), ("claude-3-7-sonnet-latest", 14), ("gpt-4o", 8),
    ("gpt-4.1-mini", 8), ("gpt-4.1", 5), ("o3-mini", 4),
    ("anthropic/claude-3-7-sonnet-latest", 6), ("claude-3-5-haiku-latest", 4),
    ("gemini-2.0-flash", 6), ("gemini-2.5-pro-exp-03-25", 4),
    ("openrouter/google/gemini-2.5-flash-preview", 3),
    ("openrouter/deepseek/deepseek-r1", 3), ("deepseek-reasoner", 2),
    ("llama3.2:latest", 2), ("mistral-small-latest", 1),
]
MEMBER_MODELS = [
    "gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "o3-mini",
    "claude-3-7-sonnet-latest", "anthropic/claude-3-7-sonnet-latest",
    "claude-3-5-haiku-latest", "gemini-2.0-flash", "gemini-2.5-pro-exp-03-25",
    "openrouter/google/gemini-2.5-pro-preview-03-25",
    "openrouter/google/gemini-2.5-flash-preview", "openrouter/deepseek/deepseek-r1",
    "deepseek-chat", "online-fast-4.1-nano", "qwq-32b",
]
ARBITER_MODELS = [
    "claude-3-7-sonnet-latest", "anthropic/claude-3-7-sonnet-latest",
    "gemini-2.0-flash", "gpt-4.1", "o3-mini", "gemini-2.5-pro-exp-03-25",
]
OPENAI_STYLE = ("gpt-", "o3", "o1", "openrouter/", "deepseek", "online-", "qwq")


def response_json(rng, model: str, rid: str, n_in: int, n_out: int,
                  created: float):
    """The response_json llm stores for this model's plugin (None for others)."""
    if model.startswith(("claude", "anthropic/")):
        return json.dumps({
            "id": "msg_" + format(rng.getrandbits(96), "024x"),
            "content": [{"citations": None, "text": {"$": f"r:{rid}"},
                         "type": "text"}],
            "model": "claude-3-7-sonnet-20250219", "role": "assistant",
            "stop_reason": "end_turn", "stop_sequence": None,
            "type": "message",
            "usage": {"input_tokens": n_in, "output_tokens": n_out}})
    if model.startswith(OPENAI_STYLE):
        return json.dumps({
            "content": {"$": f"r:{rid}"}, "finish_reason": "stop",
            "usage": {"completion_tokens": n_out, "prompt_tokens": n_in,
                      "total_tokens": n_in + n_out},
            "id": "chatcmpl-" + format(rng.getrandbits(96), "024x"),
            "object": "chat.completion.chunk", "model": model.split("/")[-1],
            "created": int(created)})
    return None
