"""How dangerous a permission request looks: a mark and the reasons, in words.

The rules are deliberately simple and explainable: each names what it found, so the
user can judge. A miss is possible (shell is Turing-complete); a mark is a prompt
to read closely, never a substitute for reading.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..api.permissions import PermissionRequest

__all__ = ["Risk", "classify", "classify_command", "classify_path", "always_breadth"]


@dataclass(frozen=True)
class Risk:
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def risky(self) -> bool:
        return bool(self.reasons)

    def describe(self) -> str:
        return "; ".join(self.reasons)


_COMMAND_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\brm\s+(-[a-zA-Z]*[rR][a-zA-Z]*\s+-?[a-zA-Z]*[fF]|-[a-zA-Z]*[fF][a-zA-Z]*\s+-?[a-zA-Z]*[rR]|-[a-zA-Z]*([rR][a-zA-Z]*[fF]|[fF][a-zA-Z]*[rR]))"), "deletes recursively without asking (rm -rf)"),
    (re.compile(r"\brm\s+(-\S+\s+)*--recursive\b"), "deletes recursively (rm --recursive)"),
    (re.compile(r"(^|[\s;&|(])sudo\b"), "runs as root (sudo)"),
    (re.compile(r"(^|[\s;&|(])(doas|su\s+-?c?)\b"), "switches user"),
    (re.compile(r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|k|da)?sh\b"), "pipes a download into a shell (curl | sh)"),
    (re.compile(r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(python3?|perl|ruby|node)\b"), "pipes a download into an interpreter"),
    (re.compile(r"\bgit\s+push\b[^;&|]*(\s--force(-with-lease)?\b|\s-[a-zA-Z]*f\b|\s\+\S)"), "force-pushes (git push --force)"),
    (re.compile(r"\bgit\s+reset\b[^;&|]*--hard\b"), "throws away uncommitted work (git reset --hard)"),
    (re.compile(r"\bgit\s+clean\b[^;&|]*-[a-zA-Z]*f"), "deletes untracked files (git clean -f)"),
    (re.compile(r"\bgit\s+checkout\b[^;&|]*\s(--\s+)?\.(\s|$)"), "discards local changes (git checkout .)"),
    (re.compile(r"\bchmod\b[^;&|]*(-R|--recursive)[^;&|]*\b[0-7]?777\b|\bchmod\b[^;&|]*\b[0-7]?777\b[^;&|]*(-R|--recursive)"), "opens permissions recursively (chmod -R 777)"),
    (re.compile(r"\bchmod\b[^;&|]*\b[0-7]?777\b"), "makes files world-writable (chmod 777)"),
    (re.compile(r"(^|[\s;&|(])dd\b[^;&|]*\bof=/dev/"), "writes a raw device (dd of=/dev/…)"),
    (re.compile(r"(^|[\s;&|(])mkfs(\.\w+)?\b"), "formats a file system (mkfs)"),
    (re.compile(r">\s*/dev/(sd|nvme|hd|vd)"), "writes a raw device"),
    (re.compile(r":\(\)\s*\{\s*:\|:&\s*\};:"), "fork bomb"),
    (re.compile(r"\b(shutdown|reboot|halt|poweroff)\b"), "stops the machine"),
    (re.compile(r"\bkill(all)?\s+-9\s+(-1|1)\b"), "kills every process"),
    (re.compile(r"\b(npm|yarn|pnpm)\s+publish\b|\btwine\s+upload\b|\bcargo\s+publish\b"), "publishes a package"),
    (re.compile(r"\bdrop\s+(table|database|schema)\b", re.IGNORECASE), "drops a database table"),
    (re.compile(r"\btruncate\s+table\b", re.IGNORECASE), "empties a database table (TRUNCATE)"),
    (re.compile(r"\bdocker\s+((system|image|volume|container|network|builder)\s+)?prune\b"), "deletes Docker data (docker … prune)"),
    (re.compile(r"\bkubectl\b[^;&|]*\sdelete\b"), "deletes Kubernetes resources (kubectl delete)"),
    (re.compile(r"\bterraform\s+(destroy|apply\b[^;&|]*-destroy)\b"), "destroys infrastructure (terraform destroy)"),
    (re.compile(r"\bfind\b[^;&|]*\s(-delete\b|-exec\s+rm\b)"), "deletes the files it finds (find -delete)"),
    (re.compile(r"\bgit\s+branch\b[^;&|]*\s-D\b"), "deletes a branch without checking it is merged (git branch -D)"),
]

_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(^|[/\s'\"=])\.env(\.[\w.-]+)?($|[\s'\"])"), "touches a .env secrets file"),
    (re.compile(r"(^|[\s'\"=])~?/?[\w./-]*\.ssh(/|$|[\s'\"])"), "touches ~/.ssh"),
    (re.compile(r"\bid_(rsa|ed25519|ecdsa|dsa)\b"), "touches an SSH private key"),
    (re.compile(r"\.aws/credentials|\.config/gcloud|\.kube/config|\.docker/config\.json|\.netrc\b|\.npmrc\b|\.pypirc\b"), "touches cloud or registry credentials"),
    (re.compile(r"\.(pem|key|p12|pfx)($|[\s'\"])"), "touches a private key or certificate"),
    (re.compile(r"/etc/(shadow|sudoers|passwd)\b"), "touches system account files"),
]


def _secret_reasons(text: str) -> list[str]:
    return [reason for pattern, reason in _SECRET_PATTERNS if pattern.search(text)]


def classify_command(command: str) -> list[str]:
    """Reasons a shell command is risky (empty when nothing was found)."""
    reasons: list[str] = []
    flat = " ".join(command.split())
    for pattern, reason in _COMMAND_RULES:
        if pattern.search(flat) and reason not in reasons:
            # chmod 777 is implied by chmod -R 777; say the stronger one only.
            if reason.startswith("makes files world-writable") and any(r.startswith("opens permissions") for r in reasons):
                continue
            reasons.append(reason)
    reasons.extend(r for r in _secret_reasons(flat) if r not in reasons)
    return reasons


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(root)]) == os.path.abspath(root)
    except ValueError:
        return False


def classify_path(path: str, workspace: str | None) -> list[str]:
    """Reasons a file write is risky: outside the workspace, or a secrets file."""
    reasons = []
    expanded = os.path.expanduser(path)
    if workspace and os.path.isabs(expanded) and not _inside(expanded, workspace):
        reasons.append(f"writes outside the workspace ({workspace})")
    reasons.extend(_secret_reasons(path))
    return reasons


def _command_paths(command: str) -> Iterable[str]:
    try:
        words = shlex.split(command, comments=False, posix=True)
    except ValueError:
        words = command.split()
    for word in words:
        if word.startswith(("/", "~")) and not word.startswith("/dev/null"):
            yield word
        elif ">" in word:
            target = word.split(">")[-1]
            if target.startswith(("/", "~")):
                yield target


def classify(request: PermissionRequest, *, workspace: str | None = None) -> Risk:
    """The risk of a permission request from its command, file path and patterns."""
    reasons: list[str] = []

    def add(items: Iterable[str]) -> None:
        for item in items:
            if item not in reasons:
                reasons.append(item)

    command = request.command
    if command:
        add(classify_command(command))
        if workspace:
            for path in _command_paths(command):
                if re.search(r"(>|\btee\b|\bcp\b|\bmv\b|\brm\b|\btouch\b|\bmkdir\b)", command):
                    add(r for r in classify_path(path, workspace) if r.startswith("writes outside"))
    filepath = request.filepath
    if filepath:
        add(classify_path(filepath, workspace))
    # What the call itself asks for; the breadth of "always" is judged when the user
    # chooses always (see always_breadth), not on every request.
    for pattern in request.patterns:
        if request.permission == "bash":
            add(classify_command(pattern))
            if pattern.strip() in ("*", "**"):
                add(["asks to run any command"])
        else:
            add(_secret_reasons(pattern))
    return Risk(tuple(reasons))


_EVERYTHING = {"edit": "every edit of any file", "write": "every write of any file", "bash": "every command",
               "webfetch": "every fetch of any URL", "read": "every read of any file"}


def always_breadth(request: PermissionRequest) -> str | None:
    """A warning when "always" would allow far more than this one call."""
    everything = [p for p in request.always if p.strip() in ("*", "**", "**/*")]
    if everything:
        what = _EVERYTHING.get(request.permission or "", f"every {request.permission or 'such'} call")
        return f"'always' here allows {what} in this session from now on, without asking you"
    broad = [p for p in request.always if p.strip().endswith(" *") and len(p.strip()) <= 4]
    if broad:
        return f"'always' would allow every future {request.permission or 'such'} call matching {', '.join(broad)} in this session"
    return None
