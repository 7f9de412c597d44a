"""The seed's Python example, as written there, with its TOKEN and BASE_URL taken from the
environment. Exits non-zero if an answer is not what the example expects to print."""

import os

import requests

TOKEN = os.environ["TOKEN"]
BASE_URL = os.environ["BASE_URL"]

headers = {"Authorization": f"Bearer {TOKEN}"}

# List models
response = requests.get(f"{BASE_URL}/v1/models", headers=headers)
print(response.json())
assert response.status_code == 200 and response.json()["object"] == "list"

# Chat completion
response = requests.post(
    f"{BASE_URL}/v1/chat/completions",
    headers={**headers, "Content-Type": "application/json"},
    json={
        "model": "llama3.2:latest",
        "messages": [{"role": "user", "content": "Hello!"}]
    }
)
print(response.json())
assert response.status_code == 200
assert response.json()["choices"][0]["message"]["content"] == "Hello! How can I help?"
