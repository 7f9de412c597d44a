"""The official OpenAI Python client against nodetool-edge's /v1 routes.

Run by tests/tests/openai_client.rs with BASE_URL (the server) and TOKEN (its bearer token);
the server's chat goes to an upstream stand-in that answers "Hello! How can I help?" and
streams it in 7 pieces. Exits non-zero, with the failing check, if anything differs.
"""

import os
import sys

import openai

BASE_URL = os.environ["BASE_URL"]
TOKEN = os.environ["TOKEN"]
EXPECTED = "Hello! How can I help?"


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


client = openai.OpenAI(base_url=f"{BASE_URL}/v1", api_key=TOKEN, max_retries=0)

models = client.models.list()
ids = [m.id for m in models.data]
check("llama3.2:latest" in ids, f"llama3.2:latest listed: {ids}")
check(all(m.owned_by == "ollama" for m in models.data), "owned_by ollama")

completion = client.chat.completions.create(
    model="llama3.2:latest",
    messages=[{"role": "user", "content": "Hello!"}],
)
check(completion.object == "chat.completion", f"object: {completion.object}")
check(completion.choices[0].message.content == EXPECTED, f"content: {completion}")
check(completion.usage is not None and completion.usage.completion_tokens == 7, "usage")

stream = client.chat.completions.create(
    model="llama3.2:latest",
    messages=[{"role": "user", "content": "Hello!"}],
    stream=True,
    stream_options={"include_usage": True},
)
text = ""
chunks = 0
usage = None
for chunk in stream:
    chunks += 1
    if chunk.usage is not None:
        usage = chunk.usage
    for choice in chunk.choices:
        text += choice.delta.content or ""
check(text == EXPECTED, f"streamed text: {text!r}")
check(chunks == 10, f"chunks: {chunks}")
check(usage is not None and usage.completion_tokens == 7, f"stream usage: {usage}")

try:
    client.chat.completions.create(model="llama3.2:latest", messages=[])
    check(False, "empty messages accepted")
except openai.BadRequestError as e:
    check(e.status_code == 400, f"status {e.status_code}")
    check("non-empty list" in str(e), f"message: {e}")

bad = openai.OpenAI(base_url=f"{BASE_URL}/v1", api_key="wrong-token", max_retries=0)
try:
    bad.models.list()
    check(False, "a wrong token was accepted")
except openai.AuthenticationError as e:
    check(e.status_code == 401, f"status {e.status_code}")

print("openai client: all checks passed")
