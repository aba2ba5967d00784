"""A scripted OpenAI-compatible model for a real ``opencode serve``: deterministic, offline.

opencode reaches it through a custom provider (``@ai-sdk/openai-compatible`` with ``baseURL`` at
:attr:`FakeModel.base_url`). Every request is recorded (:attr:`FakeModel.requests`) so tests can
assert what opencode sent back to the model (e.g. a rejection's feedback in a ``tool`` message).

The script — the text of the LAST ``user`` message decides the turn:

* ``run: <command>`` (rest of the line), the request offers the ``bash`` tool and no ``tool``
  message follows that user message yet → text ``I'll run <command>.`` then a ``bash`` tool call
  with ``{"command": <command>, "description": "Run <command>"}``, ``finish_reason: "tool_calls"``.
* ``ask: <question>`` and the request offers the ``question`` tool (opencode offers it only with
  ``OPENCODE_ENABLE_QUESTION_TOOL=1`` or an app/cli/desktop client) → a ``question`` tool call
  with one question whose options are ``Yes``/``No``. Not offered → plain text.
* the last message has role ``tool`` → text ``Final: <first 200 chars of the tool result>``,
  ``finish_reason: "stop"``.
* a title request (the small model, no tools, system prompt asking for a title) → ``Test session``.
* anything else → ``OK: <first line of the prompt>``.

Each answer is streamed as SSE ``chat.completion.chunk`` objects, then a usage chunk
(``choices: []``), then ``data: [DONE]``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["MODEL_ID", "FakeModel", "message_text"]

MODEL_ID = "fake-model"
TITLE = "Test session"
RUN_RE = re.compile(r"run:[ \t]*(?P<command>[^\r\n]+)")
ASK_RE = re.compile(r"ask:[ \t]*(?P<question>[^\r\n]+)")


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whatever its shape: ``content`` as a string, a list of parts
    (``{"type": "text", "text": …}`` or bare strings) or missing/None."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces: list[str] = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, str):
                    pieces.append(text)
                elif isinstance(part.get("content"), str):
                    pieces.append(part["content"])
        return "\n".join(pieces)
    return str(content)


def tool_names(body: dict[str, Any]) -> list[str]:
    """The names of the tools a chat request offers (``tools: [{type, function: {name}}]``)."""
    names: list[str] = []
    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
            name = fn.get("name") if isinstance(fn, dict) else None
            if isinstance(name, str):
                names.append(name)
    return names


def _is_title_request(messages: list[dict[str, Any]], tools: list[str]) -> bool:
    if tools:
        return False
    system = " ".join(message_text(m) for m in messages if m.get("role") == "system").lower()
    return "title" in system


class FakeModel:
    """The fake model server, running in a daemon thread on ``127.0.0.1`` (free port)."""

    def __init__(self, model_id: str = MODEL_ID) -> None:
        self.model_id = model_id
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What goes into the provider's ``options.baseURL``."""
        return f"{self.url}/v1"

    def start(self, timeout: float = 30.0) -> FakeModel:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self._sock = sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self._app(), log_level="warning", access_log=False, log_config=None, lifespan="off",
            ws="none", timeout_graceful_shutdown=1, server_header=False,
        )
        server = uvicorn.Server(config)
        self._server = server
        thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), name="fake-model", daemon=True,
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake model server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> FakeModel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what was asked ----------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A snapshot of every request: ``{"method", "path", "body"}`` (body = parsed JSON or None)."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[dict[str, Any]]:
        """The bodies of the ``POST /v1/chat/completions`` requests, oldest first."""
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions") and r["body"]]

    def tool_results(self) -> list[str]:
        """The text of every ``tool`` message sent back to the model (all requests, in order)."""
        seen: list[str] = []
        for body in self.chat_requests():
            for message in body.get("messages") or []:
                if message.get("role") == "tool":
                    text = message_text(message)
                    if text not in seen:
                        seen.append(text)
        return seen

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, method: str, path: str, body: Any) -> None:
        with self._lock:
            self._requests.append({"method": method, "path": path, "body": body})

    # -- the app -----------------------------------------------------------------------------

    def _app(self) -> Starlette:
        async def models(request: Request) -> Response:
            self._record("GET", request.url.path, None)
            return JSONResponse({
                "object": "list",
                "data": [{"id": self.model_id, "object": "model", "created": 0, "owned_by": "fake"}],
            })

        async def chat(request: Request) -> Response:
            try:
                body = json.loads(await request.body())
            except ValueError:
                body = None
            self._record("POST", request.url.path, body)
            if not isinstance(body, dict):
                return JSONResponse({"error": {"message": "invalid JSON body"}}, status_code=400)
            events = list(self._turn(body))
            if body.get("stream") is False:
                return JSONResponse(_collapse(events, self.model_id))
            return StreamingResponse(
                _sse(events), media_type="text/event-stream", headers={"cache-control": "no-cache"},
            )

        return Starlette(routes=[
            Route("/v1/models", models, methods=["GET"]),
            Route("/models", models, methods=["GET"]),
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/chat/completions", chat, methods=["POST"]),
        ])

    # -- the script --------------------------------------------------------------------------

    def _turn(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The chunks answering one chat request."""
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        tools = tool_names(body)
        completion_id = f"chatcmpl-fake-{next(self._ids)}"
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": self.model_id,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        prompt = message_text(messages[last_user]) if last_user >= 0 else ""
        answered = any(m.get("role") == "tool" for m in messages[last_user + 1:])
        run = RUN_RE.search(prompt)
        ask = ASK_RE.search(prompt)

        yield chunk({"role": "assistant", "content": ""})
        if messages and messages[-1].get("role") == "tool":
            yield chunk({"content": "Final: " + message_text(messages[-1])[:200]})
            yield chunk({}, "stop")
        elif run and "bash" in tools and not answered:
            command = run.group("command").strip()
            yield chunk({"content": f"I'll run {command}."})
            yield from self._tool_call(chunk, "bash", {"command": command, "description": f"Run {command}"})
        elif ask and "question" in tools and not answered:
            question = ask.group("question").strip()
            yield chunk({"content": "I have a question."})
            yield from self._tool_call(chunk, "question", {"questions": [{
                "question": question,
                "header": question[:30],
                "options": [
                    {"label": "Yes", "description": "Answer yes"},
                    {"label": "No", "description": "Answer no"},
                ],
            }]})
        elif _is_title_request(messages, tools):
            yield chunk({"content": TITLE})
            yield chunk({}, "stop")
        else:
            first_line = prompt.strip().splitlines()[0] if prompt.strip() else ""
            yield chunk({"content": f"OK: {first_line[:200]}"})
            yield chunk({}, "stop")
        prompt_tokens = sum(len(message_text(m)) for m in messages) // 4 + 1
        yield {
            "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": self.model_id,
            "choices": [],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 10, "total_tokens": prompt_tokens + 10},
        }

    def _tool_call(self, chunk: Any, name: str, arguments: dict[str, Any]) -> Iterator[dict[str, Any]]:
        call_id = f"call_fake_{next(self._ids)}"
        yield chunk({"tool_calls": [{
            "index": 0, "id": call_id, "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }]})
        yield chunk({}, "tool_calls")


def _sse(events: list[dict[str, Any]]) -> Iterator[bytes]:
    for event in events:
        yield f"data: {json.dumps(event)}\n\n".encode()
    yield b"data: [DONE]\n\n"


def _collapse(events: list[dict[str, Any]], model_id: str) -> dict[str, Any]:
    """The non-streaming form of a scripted answer (opencode streams; this is for completeness)."""
    content = ""
    tool_calls: list[dict[str, Any]] = []
    finish = "stop"
    usage: dict[str, Any] = {}
    for event in events:
        if not event["choices"]:
            usage = event.get("usage", {})
            continue
        choice = event["choices"][0]
        content += choice["delta"].get("content") or ""
        tool_calls.extend(choice["delta"].get("tool_calls") or [])
        finish = choice["finish_reason"] or finish
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [{k: v for k, v in call.items() if k != "index"} for call in tool_calls]
    return {
        "id": events[0]["id"], "object": "chat.completion", "created": events[0]["created"], "model": model_id,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage,
    }
