"""Questions an agent asks the user (undocumented shape: opencode's, read tolerantly)."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

from .base import ApiModel, TimeSpan, field
from .permissions import ToolRef

__all__ = ["QuestionOption", "QuestionItem", "Question"]


class QuestionOption(ApiModel):
    label: str = ""
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"label": data}
        return data


class QuestionItem(ApiModel):
    question: str = ""
    header: str | None = None
    options: list[QuestionOption] = field("options", default_factory=list)
    multiple: bool = False

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []

    @field_validator("multiple", mode="before")
    @classmethod
    def _multiple(cls, value: Any) -> Any:
        return bool(value)


class Question(ApiModel):
    """``{"id","sessionID","questions":[{question,header,options,multiple}],"tool"}``.

    The flat form ``{"id","sessionID","question","options"}`` is read as one item.
    """

    id: str
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    questions: list[QuestionItem] = field("questions", default_factory=list)
    tool: ToolRef | None = None
    time: TimeSpan | None = None
    generation: int | None = None
    """The gate's generation, on servers whose gates have one (a reply echoes it)."""

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data: Any) -> Any:
        if isinstance(data, dict) and "questions" not in data and "question" in data:
            data = dict(data)
            item = {k: data.pop(k) for k in ("question", "header", "options", "multiple") if k in data}
            data["questions"] = [item]
        return data

    @property
    def text(self) -> str:
        """All the questions' text, one per line."""
        return "\n".join(item.question for item in self.questions)
