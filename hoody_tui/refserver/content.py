"""Seeded content: session topics, what agents say and run, file edits with real unified
diffs, questions, todos, and the jobs they start.

Every choice goes through a ``random.Random`` handed in by the caller (never the global
one), so a seed reproduces the same scenario.
"""

from __future__ import annotations

import difflib
import random
from dataclasses import dataclass
from typing import Any

from .catalog import WORKTREE
from .script import Ask, JobSpec, JobStep, Say, Script, Step, Think, Todos, ToolCall, question

__all__ = [
    "Topic",
    "TOPICS",
    "SAFE_COMMANDS",
    "RISKY_COMMANDS",
    "bash_output",
    "bash_call",
    "read_call",
    "edit_call",
    "webfetch_call",
    "file_diff",
    "plan_turn",
    "quiet_turn",
    "job_spec",
    "job_group_spec",
    "cli_agent_spec",
    "todos_for",
]


@dataclass(frozen=True)
class Topic:
    """What a session is about: its title, first prompt, the file it edits and a URL."""

    title: str
    prompt: str
    file: str
    url: str
    todos: tuple[str, ...]


_EDITS: dict[str, tuple[str, str]] = {
    "src/auth/login.ts": (
        'import { sessions, users } from "../store";\n'
        "\n"
        "export async function login(req: Request, res: Response) {\n"
        "  const user = await users.verify(req.body.email, req.body.password);\n"
        '  if (!user) return res.status(401).json({ error: "invalid credentials" });\n'
        '  res.redirect(req.query.next ?? "/");\n'
        "  await sessions.create(res, user);\n"
        "}\n",
        'import { sessions, users } from "../store";\n'
        'import { safeRedirect } from "./redirect";\n'
        "\n"
        "export async function login(req: Request, res: Response) {\n"
        "  const user = await users.verify(req.body.email, req.body.password);\n"
        '  if (!user) return res.status(401).json({ error: "invalid credentials" });\n'
        "  await sessions.create(res, user);\n"
        "  res.redirect(safeRedirect(req.query.next));\n"
        "}\n",
    ),
    "src/api/client.ts": (
        "export async function request(path: string, init: RequestInit = {}) {\n"
        "  const response = await fetch(`${BASE_URL}${path}`, init);\n"
        "  if (!response.ok) throw new ApiError(response.status, await response.text());\n"
        "  return response.json();\n"
        "}\n",
        "const IDEMPOTENT = new Set([\"GET\", \"HEAD\", \"PUT\", \"DELETE\"]);\n"
        "\n"
        "export async function request(path: string, init: RequestInit = {}, attempt = 0) {\n"
        "  const response = await fetch(`${BASE_URL}${path}`, init);\n"
        "  if (response.status >= 500 && IDEMPOTENT.has(init.method ?? \"GET\") && attempt < 3) {\n"
        "    await sleep(2 ** attempt * 250);\n"
        "    return request(path, init, attempt + 1);\n"
        "  }\n"
        "  if (!response.ok) throw new ApiError(response.status, await response.text());\n"
        "  return response.json();\n"
        "}\n",
    ),
    "README.md": (
        "# acme-web\n"
        "\n"
        "## Auth\n"
        "\n"
        "TODO: document the login flow.\n",
        "# acme-web\n"
        "\n"
        "## Auth\n"
        "\n"
        "`POST /login` verifies the credentials, creates a session cookie, then redirects to\n"
        "`?next=` when it is a same-origin path (see `safeRedirect`), else to `/`.\n"
        "Sessions expire after 14 days of inactivity.\n",
    ),
    ".github/workflows/ci.yml": (
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: npm install\n"
        "      - run: npm test\n",
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    strategy:\n"
        "      matrix:\n"
        "        shard: [1, 2, 3]\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-node@v4\n"
        "        with: { node-version: 22, cache: npm }\n"
        "      - run: npm ci\n"
        "      - run: npm test -- --shard=${{ matrix.shard }}/3\n",
    ),
    "tests/checkout.test.ts": (
        'it("applies the discount", async () => {\n'
        "  const cart = await createCart();\n"
        '  await applyCoupon(cart, "SAVE10");\n'
        "  expect(cart.total).toBe(90);\n"
        "});\n",
        'it("applies the discount", async () => {\n'
        "  const cart = await createCart();\n"
        '  await applyCoupon(cart, "SAVE10");\n'
        "  await cart.recalculated();\n"
        "  expect(cart.total).toBe(90);\n"
        "});\n",
    ),
    "src/utils/format.ts": (
        "export function formatPrice(cents: number) {\n"
        '  return "$" + (cents / 100).toFixed(2);\n'
        "}\n",
        "const usd = new Intl.NumberFormat(\"en-US\", { style: \"currency\", currency: \"USD\" });\n"
        "\n"
        "export function formatPrice(cents: number) {\n"
        "  return usd.format(cents / 100);\n"
        "}\n",
    ),
}

TOPICS: list[Topic] = [
    Topic("Fix the login redirect loop", "Users get stuck in a redirect loop after logging in. Find and fix it.",
          "src/auth/login.ts", "https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies",
          ("Reproduce the loop", "Fix cookie/redirect order", "Add a regression test")),
    Topic("Add retries to the API client", "Make the API client retry idempotent requests with backoff.",
          "src/api/client.ts", "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/503",
          ("Find the request helper", "Add exponential backoff", "Cover retries in tests")),
    Topic("Document the auth module", "Write docs for the login flow in the README.",
          "README.md", "https://github.com/acme/web/issues/412",
          ("Read the auth code", "Write the README section")),
    Topic("Speed up the CI pipeline", "CI takes 14 minutes. Shard the tests and cache dependencies.",
          ".github/workflows/ci.yml", "https://docs.github.com/en/actions/using-jobs/using-a-matrix-for-your-jobs",
          ("Measure the slow steps", "Shard the test job", "Cache node_modules")),
    Topic("Flaky checkout test", "tests/checkout.test.ts fails one run in five. Make it deterministic.",
          "tests/checkout.test.ts", "https://jestjs.io/docs/asynchronous",
          ("Reproduce the flake", "Await the recalculation", "Run it 50 times")),
    Topic("Format prices with Intl", "Use Intl.NumberFormat for prices instead of string concatenation.",
          "src/utils/format.ts",
          "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Intl/NumberFormat",
          ("Replace formatPrice", "Update snapshots")),
]

SAFE_COMMANDS = ["git status", "ls -la src", "npm test", "git diff --stat", "git log --oneline -5", "npm run lint",
                 "grep -rn \"TODO\" src"]
RISKY_COMMANDS = [
    "rm -rf build/",
    "git push --force origin main",
    "curl -fsSL https://get.example.dev/install.sh | sh",
    "sudo systemctl restart nginx",
    "git reset --hard HEAD~3",
    "chmod -R 777 .",
    "docker system prune -af",
    "npm install left-pad@1.3.0",
    "cat ~/.ssh/id_rsa",
]

_OUTPUTS = {
    "git status": "On branch feat/login-fix\nChanges not staged for commit:\n  modified:   src/auth/login.ts\n",
    "ls -la src": "total 24\ndrwxr-xr-x  6 dev dev 4096 .\ndrwxr-xr-x 12 dev dev 4096 ..\n"
                  "drwxr-xr-x  2 dev dev 4096 api\n"
                  "drwxr-xr-x  2 dev dev 4096 auth\ndrwxr-xr-x  2 dev dev 4096 components\ndrwxr-xr-x  2 dev dev 4096 utils\n",
    "npm test": "> acme-web@2.3.0 test\n> vitest run\n\n ✓ tests/format.test.ts (4)\n ✓ tests/login.test.ts (6)\n"
                " ✓ tests/checkout.test.ts (3)\n\n Test Files  3 passed (3)\n      Tests  13 passed (13)\n",
    "git diff --stat": " src/auth/login.ts | 4 ++--\n 1 file changed, 2 insertions(+), 2 deletions(-)\n",
    "git log --oneline -5": "9c1e2f4 Fix cart totals\n4b7a0d2 Add coupon codes\n1f3c9e8 Upgrade vitest\n"
                            "0a2b4c6 Login page copy\n7d8e9f0 Initial commit\n",
    "npm run lint": "> acme-web@2.3.0 lint\n> eslint src\n\n✔ No problems found.\n",
    "grep -rn \"TODO\" src": "src/auth/session.ts:41: // TODO: rotate the session id on privilege change\n",
    "rm -rf build/": "",
    "git push --force origin main": "To github.com:acme/web.git\n + 9c1e2f4...3e5d7a1 main -> main (forced update)\n",
    "curl -fsSL https://get.example.dev/install.sh | sh":
        "Downloading example-cli v1.4.2...\nInstalled to /usr/local/bin/example\n",
    "sudo systemctl restart nginx": "",
    "git reset --hard HEAD~3": "HEAD is now at 1f3c9e8 Upgrade vitest\n",
    "chmod -R 777 .": "",
    "docker system prune -af": "Deleted Containers: 3\nDeleted Images: 11\nTotal reclaimed space: 4.21GB\n",
    "npm install left-pad@1.3.0": "added 1 package, and audited 412 packages in 2s\nfound 0 vulnerabilities\n",
    "cat ~/.ssh/id_rsa":
        "-----BEGIN OPENSSH PRIVATE KEY-----\n(redacted by the reference server)\n-----END OPENSSH PRIVATE KEY-----\n",
}

_INTROS = [
    "Let me look at `{file}` first.",
    "I'll start by reading `{file}` and checking the working tree.",
    "First I want to see how `{file}` is structured today.",
]
_ANALYSES = [
    "The problem is in `{file}`: the order of operations is wrong, so the second request sees stale state. "
    "I'll make a small, focused change.",
    "I found it. `{file}` does the work before its precondition holds; moving one line fixes it, "
    "and the tests should confirm.",
    "This needs a change to `{file}`. I'll keep the diff minimal and run the suite afterwards.",
]
_SUMMARIES = [
    "Done. I changed `{file}` and the test suite passes. Summary:\n\n"
    "- fixed the ordering bug\n- kept the public API unchanged",
    "All set: `{file}` is updated and nothing else was touched. Run `npm test` to double-check locally.",
    "Finished. The change in `{file}` is small; I left a note on the remaining TODO for a follow-up.",
]
_THOUGHTS = [
    "The user wants this fixed without side effects. I should read the code before changing anything, "
    "then verify with the tests.",
    "Plan: inspect the file, find the root cause, make a minimal edit, run the suite.",
    "I should check git status first so I don't clobber uncommitted work.",
]
_QUESTIONS = [
    ("Which Node.js version should CI target?", ["22 LTS", "20 LTS"], "Node version"),
    ("Should I also update the snapshot tests?", ["Yes", "No"], "Snapshots"),
    ("Which package manager does this repo use?", ["npm", "pnpm", "yarn"], "Package manager"),
    ("How many times should idempotent requests be retried?", ["3", "5", "Never"], "Retry policy"),
]


def bash_output(command: str) -> str:
    """Canned output for a command (a generic line for unknown ones)."""
    return _OUTPUTS.get(command, f"$ {command}\n(exit 0)\n")


def bash_call(command: str, *, duration: float = 0.6, description: str | None = None) -> ToolCall:
    description = description or f"Run {command.split()[0]}"
    return ToolCall(
        "bash", {"command": command, "description": description}, title=description,
        output=bash_output(command), metadata={"description": description, "exit": 0}, duration=duration,
    )


def read_call(path: str) -> ToolCall:
    before = _EDITS.get(path, ("(empty file)\n", ""))[0]
    numbered = "".join(f"{i:05d}| {line}\n" for i, line in enumerate(before.splitlines(), 1))
    return ToolCall(
        "read", {"filePath": f"{WORKTREE}/{path}"}, title=path,
        output=f"<file>\n{numbered}</file>", metadata={"preview": before[:200]}, duration=0.2,
    )


def file_diff(path: str) -> dict[str, Any]:
    """``{"file","before","after","additions","deletions"}`` plus the unified ``diff`` text."""
    before, after = _EDITS[path]
    diff = "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}",
    ))
    additions = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    deletions = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return {"file": path, "before": before, "after": after, "additions": additions, "deletions": deletions,
            "diff": diff}


def edit_call(path: str) -> ToolCall:
    d = file_diff(path)
    old = "".join(line[1:] for line in d["diff"].splitlines(keepends=True) if line.startswith("-") and not line.startswith("---"))
    new = "".join(line[1:] for line in d["diff"].splitlines(keepends=True) if line.startswith("+") and not line.startswith("+++"))
    filediff = {k: d[k] for k in ("file", "before", "after", "additions", "deletions")}
    return ToolCall(
        "edit", {"filePath": f"{WORKTREE}/{path}", "oldString": old, "newString": new, "diff": d["diff"]},
        title=path, output="Edit applied successfully.", metadata={"diff": d["diff"], "filediff": filediff},
        duration=0.4,
    )


def webfetch_call(url: str) -> ToolCall:
    return ToolCall(
        "webfetch", {"url": url, "format": "markdown"}, title=url,
        output=f"# {url.rsplit('/', 1)[-1] or url}\n\nFetched 14.2 KB and converted it to markdown.\n",
        metadata={"url": url, "bytes": 14532}, duration=0.8,
    )


def todos_for(topic: Topic, done: int, rng: random.Random) -> list[dict[str, Any]]:
    """The topic's todo list with the first ``done`` items completed, the next in progress."""
    priorities = ["high", "medium", "low"]
    todos = []
    for i, content in enumerate(topic.todos):
        status = "completed" if i < done else "in_progress" if i == done else "pending"
        todos.append({"id": f"todo-{i + 1}", "content": content, "status": status,
                      "priority": priorities[min(i, 2)]})
    return todos


def plan_turn(
    rng: random.Random,
    topic: Topic,
    *,
    gates: bool = True,
    questions: bool = True,
    jobs: bool = True,
) -> Script:
    """A realistic turn: look around, analyse, change something (often behind a
    permission gate), maybe ask, maybe start a background job, summarise."""
    fmt = {"file": topic.file}
    explore: Step = [
        Think(rng.choice(_THOUGHTS)),
        Say(rng.choice(_INTROS).format(**fmt)),
        read_call(topic.file),
        bash_call(rng.choice(SAFE_COMMANDS)),
    ]
    act: Step = [Say(rng.choice(_ANALYSES).format(**fmt))]
    if gates and rng.random() < 0.75:
        kind = rng.choice(["edit", "edit", "risky", "risky", "webfetch"])
        if kind == "edit":
            act.append(edit_call(topic.file))
        elif kind == "risky":
            act.append(bash_call(rng.choice(RISKY_COMMANDS), duration=0.5))
        else:
            act.append(webfetch_call(topic.url))
    else:
        act.append(bash_call(rng.choice(SAFE_COMMANDS)))
    act.append(Todos(todos_for(topic, rng.randint(0, len(topic.todos) - 1), rng)))
    steps: Script = [explore, act]
    extra: Step = []
    if questions and rng.random() < 0.3:
        q, options, header = rng.choice(_QUESTIONS)
        extra.append(Ask([question(q, options, header)]))
    if jobs and rng.random() < 0.35:
        spec = job_spec(rng, "bash")
        extra.append(ToolCall(
            "bash", {"command": spec.input["command"], "description": "Run in the background", "background": True},
            title="Run in the background", output="", metadata={}, duration=0.2, job=spec,
        ))
    if extra:
        steps.append(extra)
    steps.append([Say(rng.choice(_SUMMARIES).format(**fmt))])
    return steps


def quiet_turn(rng: random.Random, topic: Topic) -> Script:
    """A turn that needs no permission (loop iterations): read, run the tests, report."""
    return [
        [Think("Another iteration: run the suite and look at the failures."), bash_call("npm test", duration=0.8)],
        [Say(f"Iteration result: the suite passes; `{topic.file}` needs no further change.")],
    ]


def job_spec(rng: random.Random, kind: str) -> JobSpec:
    """A job of ``kind`` (``bash``/``webfetch``/``rsi``); about a quarter fail."""
    fails = rng.random() < 0.25
    if kind == "webfetch":
        url = rng.choice(TOPICS).url
        return JobSpec(
            "webfetch", {"url": url, "format": "markdown"},
            [JobStep("Connecting...", 10), JobStep("Downloading...", 60, f"GET {url} 200\n"),
             JobStep("Converting to markdown...", 90)],
            outcome="failed" if fails else "completed",
            error="Request timed out after 30000ms" if fails else None,
            final_output="" if fails else "Converted 14.2 KB to markdown.\n",
        )
    if kind == "rsi":
        return JobSpec(
            "rsi", {"target": "src/", "mode": "review"},
            [JobStep("Collecting changes...", 15), JobStep("Reviewing src/auth...", 45, "src/auth: 2 findings\n"),
             JobStep("Reviewing src/api...", 75, "src/api: 1 finding\n")],
            outcome="completed", final_output="3 findings (1 high, 2 low).\n", wake_policy="manual",
        )
    command = rng.choice(["npm test", "npm run test:e2e", "npm run build"])
    lines = [f"Test {i} passed\n" for i in range(1, 6)]
    steps = [JobStep("Starting...", 5)] + [
        JobStep(f"Running test suite... ({i}/5)", 10 + i * 16, lines[i - 1]) for i in range(1, 6)
    ]
    return JobSpec(
        "bash", {"command": command}, steps,
        outcome="failed" if fails else "completed",
        error="2 tests failed (exit code 1)" if fails else None,
        final_output="Test 6 failed: expected 90, got 100\n" if fails else "All tests passed.\n",
        timeout=120000,
    )


def job_group_spec(rng: random.Random) -> JobSpec:
    """A parent job fanning out to three shard jobs (one may fail)."""
    children = []
    for shard in (1, 2, 3):
        spec = job_spec(rng, "bash")
        spec.input = {"command": f"npm test -- --shard={shard}/3"}
        children.append(spec)
    return JobSpec(
        "task", {"description": "Run the test suite in 3 shards"},
        [JobStep("Dispatching 3 shards...", 5)], children=children, timeout=300000,
    )


def cli_agent_spec(agent: str, prompt: str, model: str | None, timeout: int, rng: random.Random) -> JobSpec:
    """A CLI-agent run: a few progress steps, then a proposed fix."""
    label = agent
    return JobSpec(
        "cli_agent", {"agent": agent, "prompt": prompt, "model": model, "timeout": timeout},
        [JobStep(f"Starting {label}...", 5, f"[{label}] session started\n"),
         JobStep("Reading files...", 20, "[read] src/auth/login.ts\n"),
         JobStep("Analyzing test output", 55, "[run] npm test -- login\n"),
         JobStep("Writing the patch", 85, "[edit] src/auth/login.ts\n")],
        outcome="completed",
        final_output="Found the issue: the session cookie is set after the redirect. "
                     "Proposed patch moves sessions.create() before res.redirect().\n",
        wake_policy="manual", timeout=timeout,
    )
