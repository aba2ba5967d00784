"""An agent's Markdown, drawn line by line (Textual's line API) instead of as a widget per block.

Textual's ``Markdown`` makes a widget of every paragraph, list item and code block: an
answer being typed changed the height of one of them at every draw, and each draw laid
out and repainted the whole screen (measured: 45-50 % of a core for an answer typed at
100 updates a second). Here one widget holds the whole text as a list of lines
(:class:`~textual.strip.Strip`), so a draw that adds a word repaints the line(s) that
changed, and the layout is asked for only when the number of lines changes.

The text is parsed into top-level blocks (markdown-it, as Textual's ``Markdown`` does):
every block but the last is finished and drawn once (again only when the width or the
theme changes); an answer that grows at its end re-parses and redraws its last block only.

Inert by construction: the text given is already neutralised (:func:`hoody_tui.text.neutralise`),
what markdown-it decodes from entities is neutralised again, and the lines are built as
:class:`~textual.content.Content` from plain strings (never markup); a link is shown as its
text (and its address when that differs), never as a terminal hyperlink or a click action.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.segment import Segment
from textual.content import Content, Span
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.style import Style
from textual.timer import Timer
from textual.visual import RenderOptions
from textual.widget import Widget

from ...text import neutralise
from .placement import placed

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from markdown_it.tree import SyntaxTreeNode
    from textual.css.styles import RulesMap
    from textual.selection import Selection

__all__ = ["MarkdownLines", "warm_up"]

_parser: MarkdownIt | None = None


def _markdown_it() -> MarkdownIt:
    """The parser (as Textual's Markdown: GitHub-like), made on first use: importing
    markdown-it costs 12-14 ms of start-up otherwise."""
    global _parser
    if _parser is None:
        from markdown_it import MarkdownIt

        _parser = MarkdownIt("gfm-like")
    return _parser


def warm_up() -> None:
    """Import and exercise what the first text shown needs (the parser, the code highlighter),
    so the first stream opened does not stop the app for it."""
    import textual.highlight  # noqa: F401  (pygments, for code blocks)

    _markdown_it().parse("warm *up*\n\n- a\n\n```\nb\n```\n")


GROW_AHEAD = 3
"""Lines a text being typed takes ahead of what it needs, when it starts growing (see ``_fit``)."""
AHEAD_SECONDS = 0.75
MAX_AHEAD = 8
"""Then: the lines it grew by in AHEAD_SECONDS (at least one, at most MAX_AHEAD)."""
SETTLE = 1.0
"""Seconds after which a text that stopped changing gives those lines back."""

_SPACES = re.compile(r"\s+")

BULLETS = ("• ", "▪ ", "‣ ", "⭑ ", "◦ ")
"""Bullets of unordered lists, by depth (as Textual's Markdown)."""

# Blank lines above and below a block of each kind (as Textual's Markdown's margins); between
# two blocks the larger of the two.
_MARGINS = {"h1": (2, 1), "h2": (2, 1), "h3": (1, 1), "h4": (1, 1), "h5": (1, 1), "h6": (1, 1),
            "fence": (1, 1), "code_block": (1, 1), "blockquote": (1, 1), "hr": (1, 1)}
_DEFAULT_MARGINS = (0, 1)


def _blocks(source: str) -> list[tuple[int, str, list[Token]]]:
    """The top-level blocks of ``source``: their first line, their kind and their tokens."""
    tokens = _markdown_it().parse(source)
    blocks: list[tuple[int, str, list[Token]]] = []
    index, count = 0, len(tokens)
    while index < count:
        token = tokens[index]
        end = index
        if token.nesting == 1:
            while end < count and not (tokens[end].level == token.level and tokens[end].nesting == -1):
                end += 1
        if token.map is not None:
            kind = token.tag if token.type == "heading_open" else token.type.removesuffix("_open")
            blocks.append((token.map[0], kind, tokens[index:end + 1]))
        index = end + 1
    return blocks


def _line_offset(text: str, line: int) -> int:
    """Where line ``line`` of ``text`` starts (lines end at ``\\n``: the text is neutralised,
    so no other line break is left in it)."""
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


class _Block:
    """A top-level block: its source (to draw it again at another width) and its margins;
    the last block keeps its tokens too (drawn again at each draw of a text being typed)."""

    __slots__ = ("bottom", "kind", "source", "tokens", "top")

    def __init__(self, kind: str, source: str, tokens: list[Token] | None = None) -> None:
        self.kind = kind
        self.source = source
        self.tokens = tokens
        self.top, self.bottom = _MARGINS.get(kind, _DEFAULT_MARGINS)


COMPONENTS = frozenset({
    "md--h1", "md--h2", "md--h3", "md--h4", "md--h5", "md--h6", "md--em", "md--strong", "md--s",
    "md--code-inline", "md--link", "md--link-url", "md--bullet", "md--fence", "md--quote-bar",
    "md--rule", "md--table-header", "md--note",
})
"""The theme's styles of what MarkdownLines draws (a subclass lists them too: Textual
inherits component classes and CSS along the first base of a widget only)."""


def markdown_css(*type_names: str) -> str:
    """The CSS of MarkdownLines' components, for widgets of these types."""
    return "".join(_CSS.replace("MarkdownLines", name) for name in type_names)


_CSS = """
    MarkdownLines {
        width: 1fr;
        height: auto;
        & > .md--h1 { color: $markdown-h1-color; background: $markdown-h1-background; text-style: $markdown-h1-text-style; }
        & > .md--h2 { color: $markdown-h2-color; background: $markdown-h2-background; text-style: $markdown-h2-text-style; }
        & > .md--h3 { color: $markdown-h3-color; background: $markdown-h3-background; text-style: $markdown-h3-text-style; }
        & > .md--h4 { color: $markdown-h4-color; background: $markdown-h4-background; text-style: $markdown-h4-text-style; }
        & > .md--h5 { color: $markdown-h5-color; background: $markdown-h5-background; text-style: $markdown-h5-text-style; }
        & > .md--h6 { color: $markdown-h6-color; background: $markdown-h6-background; text-style: $markdown-h6-text-style; }
        & > .md--em { text-style: italic; }
        & > .md--strong { text-style: bold; }
        & > .md--s { text-style: strike; }
        &:dark > .md--code-inline { background: $warning 10%; color: $text-warning 95%; }
        &:light > .md--code-inline { background: $error 5%; color: $text-error 95%; }
        & > .md--link { color: $link-color; text-style: $link-style; }
        & > .md--link-url { color: $text-muted; }
        & > .md--bullet { color: $text-primary; }
        &:light > .md--bullet { color: $text-secondary; }
        & > .md--fence { background: $foreground 5%; }
        & > .md--quote-bar { color: $text-primary 50%; }
        &:light > .md--quote-bar { color: $text-secondary; }
        & > .md--rule { color: $secondary; }
        & > .md--table-header { color: $text-primary; text-style: bold; }
        & > .md--note { color: $text-muted; text-style: italic; }
    }
    """


class MarkdownLines(Widget):
    """Markdown drawn as lines; ``update(text)`` redraws only what changed, and lays the
    screen out again only when the line count changes."""

    COMPONENT_CLASSES = set(COMPONENTS)
    DEFAULT_CSS = markdown_css("MarkdownLines")

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._source = ""
        self._done: list[_Block] = []
        """The finished blocks (all but the last)."""
        self._open: _Block | None = None
        """The last block: the one an answer being typed grows."""
        self._open_start = 0
        """Where the last block starts in the source (what is before it is parsed for good)."""
        self._width = 0
        """The width the lines are drawn for (0: not drawn yet)."""
        self._style_key: object = None
        self._done_lines: list[Strip] = []
        """The finished blocks' lines (with the blank lines between them)."""
        self._open_lines: list[Strip] = []
        """The last block's lines, with the blank lines around it."""
        self._note = ""
        self._note_lines: list[Strip] = []
        self._lines: list[Strip] = []
        """All the lines."""
        self._height = 0
        """The lines the widget takes (its lines, and while it is typed a few ahead)."""
        self._plain: list[str] | None = None
        self.update(text)

    @property
    def source(self) -> str:
        """The text shown (as given: already neutralised)."""
        return self._source

    # --- the text -------------------------------------------------------------------

    def update(self, text: str) -> None:
        """Show ``text`` (neutralised by the caller). A text that grows at its end re-parses
        and redraws its last block only; the layout is asked for only if the line count
        changed, else only the lines that changed are repainted."""
        if text == self._source and (text or self._open is None):
            return
        previous = self._source
        start = self._open_start
        if not (start and text.startswith(previous[:start])):
            self._done, self._done_lines, start = [], [], 0
        tail = text[start:]
        blocks = _blocks(tail)
        self._source = text
        if not blocks:
            self._open, self._open_start = None, start
            self._redraw_open(previous)
            return
        width = self._width
        for _line, kind, tokens in blocks[:-1]:
            block = _Block(kind, self._block_source(tail, tokens))
            if width:
                self._append_done(block, self._draw_block(kind, tokens, width))
            self._done.append(block)
        line, kind, tokens = blocks[-1]
        offset = _line_offset(tail, line)
        self._open_start = start + offset
        self._open = _Block(kind, tail[offset:], tokens)
        self._redraw_open(previous)

    @staticmethod
    def _block_source(tail: str, tokens: list[Token]) -> str:
        first, last = tokens[0].map or (0, 0)
        begin = _line_offset(tail, first)
        end = _line_offset(tail, last)
        return tail[begin:end]

    # --- drawing --------------------------------------------------------------------

    def set_note(self, note: str) -> None:
        """A line of ours under the text (not the agent's: a cut text's "press v" note)."""
        if note == self._note:
            return
        self._note = note
        if self._width:
            before, height = self._lines, self._height
            self._note_lines = self._draw_note(self._width)
            self._join()
            self._fit(before, height, grows=False)
        elif self.is_attached:
            self.refresh(layout=True)

    def _redraw_open(self, previous: str) -> None:
        """Draw the last block again and repaint what changed (see :meth:`update`)."""
        if not self._width:
            # Not drawn yet: the first layout draws it (at the width it is given).
            if self.is_attached:
                self.refresh(layout=True)
            return
        before, height = self._lines, self._height
        self._open_lines = self._draw_open(self._width)
        self._join()
        self._fit(before, height, grows=bool(previous) and self._source.startswith(previous))

    def _join(self) -> None:
        self._lines = self._done_lines + self._open_lines + self._note_lines
        self._plain = None

    _grown_at = 0.0
    _grown_to = 0

    def _fit(self, before: list[Strip], height: int, *, grows: bool) -> None:
        """Take the lines needed (a text being typed: some more, see below), and repaint
        what changed: the lines that differ, or all from the first one that differs with
        a layout of the screen when the height changed."""
        needed = len(self._lines)
        if needed > height and grows:
            # A text being typed takes the lines it will need in the next AHEAD_SECONDS
            # (from how fast it grew): they fill without a layout of the screen, which
            # costs as much as a repaint of all of it (one layout per line was most of the
            # CPU of a stream open on an answer being typed).
            now = time.monotonic()
            ahead = GROW_AHEAD
            if self._grown_to and now > self._grown_at:
                rate = (needed - self._grown_to) / (now - self._grown_at)
                ahead = max(1, min(MAX_AHEAD, round(rate * AHEAD_SECONDS)))
            self._grown_at, self._grown_to = now, needed
            self._height = needed + ahead
        elif needed > height or not grows:
            self._height = needed
        if self._height > needed:
            self._settle_later()
        self._repaint(before, height)

    def _repaint(self, before: list[Strip], height: int) -> None:
        """Repaint the lines that differ from ``before`` (``height`` lines high before)."""
        after = self._lines
        first = 0
        shortest = min(len(before), len(after))
        while first < shortest and before[first] is after[first]:
            first += 1  # the finished blocks' lines are the same objects: skipped at once
        while first < shortest and before[first] == after[first]:
            first += 1
        if height != self._height:
            self.refresh(Region(0, first, self._width, max(height, self._height) - first), layout=True)
            return
        last = max(len(before), len(after))
        while last > first and last <= shortest and before[last - 1] == after[last - 1]:
            last -= 1
        if last > first:
            self.refresh(Region(0, first, self._width, last - first))

    _settle_timer: Timer | None = None
    _changed_at = 0.0

    def _settle_later(self) -> None:
        """Give back the lines taken ahead once the text has not changed for SETTLE seconds."""
        self._changed_at = time.monotonic()
        if self._settle_timer is None and self.is_attached:
            self._settle_timer = self.set_timer(SETTLE, self._settle, name="text settle")

    def _settle(self) -> None:
        self._settle_timer = None
        idle = time.monotonic() - self._changed_at
        if idle < SETTLE:
            self._settle_timer = self.set_timer(SETTLE - idle, self._settle, name="text settle")
        elif self._height > len(self._lines):
            self._height = len(self._lines)
            self._grown_to = 0
            self.refresh(layout=True)

    def _draw_note(self, width: int) -> list[Strip]:
        if not self._note:
            return []
        return self._strips(Content(self._note), width, self._style("md--note"))

    def _draw_open(self, width: int) -> list[Strip]:
        """The last block's lines, with the blank lines before it and after it."""
        block = self._open
        if block is None:
            return [self._blank_line()] * (self._done[-1].bottom if self._done else 0)
        tokens = block.tokens or []
        return self._gap(block) + self._draw_block(block.kind, tokens, width) + [self._blank_line()] * block.bottom

    def _gap(self, block: _Block) -> list[Strip]:
        if not self._done:
            return []
        return [self._blank_line()] * max(self._done[-1].bottom, block.top)

    def _append_done(self, block: _Block, lines: list[Strip]) -> None:
        self._done_lines = self._done_lines + self._gap(block) + lines

    def _redraw_all(self, width: int) -> None:
        """Draw every block at ``width`` (the first draw, a new width or a new theme)."""
        self._width = width
        self._style_key = self._current_style_key()
        done, self._done, self._done_lines = self._done, [], []
        for block in done:
            parsed = _blocks(block.source)
            lines = self._draw_block(block.kind, parsed[0][2], width) if parsed else []
            self._append_done(block, lines)
            self._done.append(block)
        self._open_lines = self._draw_open(width)
        self._note_lines = self._draw_note(width)
        self._join()
        self._height = len(self._lines)
        self._grown_to = 0

    def _current_style_key(self) -> object:
        return (self.app.theme, self.visual_style)

    def _ensure(self, width: int) -> None:
        if width != self._width:
            self._redraw_all(width)
        elif self._restyle:
            self._restyle = False
            if width and self._current_style_key() != self._style_key:
                self._redraw_all(width)

    _restyle = False

    def notify_style_update(self) -> None:
        # (The theme's styles are read when the lines are next drawn: the component
        # styles may not be updated yet when this is called.)
        super().notify_style_update()
        if self._width:
            self._restyle = True
            self.refresh()

    # --- Textual's line API ---------------------------------------------------------

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._ensure(width)
        return self._height

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return placed(self, size, virtual_size, container_size, keep_lines=True)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._ensure(width)
        lines = self._lines
        if y >= len(lines):
            return self._blank_line()  # (lines taken ahead of a text being typed)
        line = lines[y]
        if line is self._blank_strip:
            return line
        line = line.apply_offsets(0, y)  # (where the mouse selects text)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            line = self._select(line, *span)
        return line

    def _select(self, line: Strip, start: int, end: int) -> Strip:
        """``line`` with the cells ``start`` to ``end`` (-1: its end) drawn as selected."""
        length = line.cell_length
        end = length if end == -1 else min(end, length)
        if end <= start:
            return line
        style = self.screen.get_component_rich_style("screen--selection")
        before, chosen, after = line.divide([start, end, length])[:3]
        chosen = Strip(list(Segment.apply_style(chosen, post_style=style)), chosen.cell_length)
        return Strip.join([before, chosen, after])

    def _plain_lines(self) -> list[str]:
        if self._plain is None:
            self._plain = [line.text.rstrip() for line in self._lines]
        return self._plain

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self._plain_lines())), "\n"

    # --- blocks ---------------------------------------------------------------------

    _blank_strip: Strip | None = None
    _blank_key: object = None

    def _blank_line(self) -> Strip:
        """The blank line between blocks (one object: it holds nothing to select)."""
        key = (self._width, self._style_key)
        if self._blank_strip is None or key != self._blank_key:
            background = self.visual_style.background_style.rich_style  # (as a blank line of any widget)
            self._blank_strip, self._blank_key = Strip.blank(self._width, background), key
        return self._blank_strip

    def _style(self, name: str) -> Style:
        """The theme's style of a component: whole (a colour such as ``auto 87%`` is
        resolved on the widget's background), but only the text style of emphasis (it
        wraps other styles)."""
        return self.get_visual_style(name, partial=name in _TEXT_STYLES)

    def _blank(self, width: int) -> Strip:
        return Strip.blank(width, self.visual_style.background_style.rich_style)

    def _strips(self, content: Content, width: int, style: Style | None = None, *,
                fold: bool = False, pad: bool = False) -> list[Strip]:
        """``content`` wrapped to ``width`` (``fold``: cut at the width, as code). A line
        ends with its text (Textual pads it to the widget's width, as any text) unless
        ``pad``: then it is ``width`` wide, in the style's background."""
        if width <= 0:
            return []
        base = self.visual_style if style is None else self.visual_style + style
        rules = cast("RulesMap", {"text_wrap": "nowrap", "text_overflow": "fold"} if fold else {})
        strips = content.render_strips(width, None, base, RenderOptions(_style_of, rules))
        if pad:
            background = base.background_style.rich_style
            return [strip.adjust_cell_length(width, background) for strip in strips]
        return [strip.crop(0, width) if strip.cell_length > width else strip for strip in strips]

    def _draw_block(self, kind: str, tokens: list[Token], width: int) -> list[Strip]:
        from markdown_it.tree import SyntaxTreeNode

        if not tokens:
            return []
        node = SyntaxTreeNode(tokens).children[0]
        return self._draw_node(node, width, 0)

    def _draw_node(self, node: SyntaxTreeNode, width: int, depth: int) -> list[Strip]:
        kind = node.type
        width = max(width, 1)
        if kind == "paragraph":
            return self._strips(self._inline(node), width)
        if kind == "heading":
            level = node.tag if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else "h6"
            style = self._style(f"md--{level}")
            lines = self._strips(self._inline(node), width, style)
            if level == "h1":
                lines = [_centre(line, width, (self.visual_style + style).rich_style) for line in lines]
            return lines
        if kind in ("bullet_list", "ordered_list"):
            return self._draw_list(node, width, depth)
        if kind == "blockquote":
            return self._draw_quote(node, width, depth)
        if kind in ("fence", "code_block"):
            return self._draw_code(node, width)
        if kind == "hr":
            style = self._style("md--rule")
            return self._strips(Content("─" * width), width, style)
        if kind == "table":
            return self._draw_table(node, width)
        if kind in ("html_block", "html_inline"):
            return self._strips(Content(neutralise(node.content.rstrip("\n"))), width)
        if kind == "inline":
            return self._strips(self._inline_content(node), width)
        # Anything else (a list item, a plug-in's block): its children, one after another.
        return self._draw_children(node.children, width, depth, loose=True)

    def _draw_children(self, nodes: Iterable[SyntaxTreeNode], width: int, depth: int, *, loose: bool) -> list[Strip]:
        lines: list[Strip] = []
        previous: str | None = None
        for child in nodes:
            drawn = self._draw_node(child, width, depth)
            if previous is not None and (loose or child.type in _SPACED or previous in _SPACED):
                lines.append(self._blank(0))
            lines += drawn
            previous = child.type
        return lines

    def _draw_list(self, node: SyntaxTreeNode, width: int, depth: int) -> list[Strip]:
        items = [child for child in node.children if child.type == "list_item"]
        if node.type == "ordered_list":
            try:
                start = int(str(node.attrs.get("start", 1)))
            except ValueError:
                start = 1
            numbers = [f"{number}. " for number in range(start, start + len(items))]
            size = max((len(number) for number in numbers), default=0)
            symbols = [number.rjust(size + 1) for number in numbers]
        else:
            symbols = [BULLETS[depth % len(BULLETS)]] * len(items)
        bullet_style = self._style("md--bullet")
        loose = any(not child.hidden for item in items for child in item.children if child.type == "paragraph")
        lines: list[Strip] = []
        for index, (item, symbol) in enumerate(zip(items, symbols, strict=True)):
            indent = len(symbol)
            body = self._draw_children(item.children, width - indent - 1, depth + 1, loose=loose)
            if not body:
                body = [self._blank(0)]
            bullet = self._strips(Content(symbol), indent, bullet_style, pad=True)
            pad = self._blank(indent)
            if index and loose:
                lines.append(self._blank_line())
            for row, line in enumerate(body):
                lines.append(Strip.join([bullet[0] if row == 0 and bullet else pad, line]))
        return lines

    def _draw_quote(self, node: SyntaxTreeNode, width: int, depth: int) -> list[Strip]:
        bar = self._strips(Content("▌"), 1, self._style("md--quote-bar"))
        space = self._blank(1)
        return [Strip.join([bar[0] if bar else space, space, line])
                for line in self._draw_children(node.children, width - 3, depth, loose=True)]

    def _draw_code(self, node: SyntaxTreeNode, width: int) -> list[Strip]:
        code = neutralise(node.content.rstrip("\n"))
        language = (node.info or "").strip().split(" ")[0] if node.type == "fence" else ""
        content = _highlight(code, language) if language else Content(code)
        fence = self._style("md--fence")
        background = (self.visual_style + fence).rich_style
        inner = max(width - 4, 1)
        side = Strip.blank(2, background)
        blank = Strip.blank(width, background)
        lines = [blank]
        for line in self._strips(content, inner, fence, fold=True, pad=True) or [Strip.blank(inner, background)]:
            lines.append(Strip.join([side, line, side]))
        lines.append(blank)
        return lines

    def _draw_table(self, node: SyntaxTreeNode, width: int) -> list[Strip]:
        rows: list[tuple[bool, list[Content]]] = []
        for row in _walk(node, "tr"):
            nodes = [child for child in row.children if child.type in ("th", "td")]
            rows.append((any(cell.type == "th" for cell in nodes),
                         [self._inline_content(cell.children[0]) if cell.children else Content("") for cell in nodes]))
        columns = max((len(cells) for _, cells in rows), default=0)
        if not columns:
            return []
        natural = [max((cells[i].cell_length for _, cells in rows if i < len(cells)), default=0) for i in range(columns)]
        sizes = _fit_columns([max(size, 1) for size in natural], width - 2 * (columns - 1))
        header_style = self._style("md--table-header")
        rule_style = self._style("md--rule")
        gutter = self._blank(2)
        gutter_style = self.visual_style.background_style.rich_style
        lines: list[Strip] = []
        for header, cells in rows:
            drawn = [self._strips(cells[i] if i < len(cells) else Content(""), sizes[i], header_style if header else None)
                     for i in range(columns)]
            height = max((len(cell) for cell in drawn), default=1)
            for y in range(height):
                parts: list[Strip | None] = []
                for i, cell in enumerate(drawn):
                    if i:
                        parts.append(gutter)
                    line = cell[y] if y < len(cell) else self._blank(0)
                    parts.append(line if i == columns - 1 else line.adjust_cell_length(sizes[i], gutter_style))
                lines.append(Strip.join(parts))
            if header:
                lines += self._strips(Content("─" * width), width, rule_style)
        return lines

    # --- inline text ----------------------------------------------------------------

    def _inline(self, node: SyntaxTreeNode) -> Content:
        inline = next((child for child in node.children if child.type == "inline"), None)
        return self._inline_content(inline) if inline is not None else Content("")

    def _inline_content(self, inline: SyntaxTreeNode) -> Content:
        """An inline node as Content: emphasis, code, links (as text) from the theme."""
        pieces: list[str] = []
        spans: list[Span] = []
        position = 0

        def add(text: str) -> None:
            nonlocal position
            text = neutralise(text)  # (again: markdown-it decodes entities such as &#x202e;)
            pieces.append(text)
            position += len(text)

        def close(start: int, name: str, first: int) -> None:
            # Before the spans inside it (``first`` on): those are drawn over it.
            if position > start:
                spans.insert(first, Span(start, position, self._style(name)))

        def walk(node: SyntaxTreeNode) -> None:
            for child in node.children:
                kind = child.type
                start, first = position, len(spans)
                if kind == "text":
                    add(_SPACES.sub(" ", child.content))
                elif kind == "softbreak":
                    add(" ")
                elif kind == "hardbreak":
                    add("\n")
                elif kind == "code_inline":
                    add(child.content)
                    close(start, "md--code-inline", first)
                elif kind in ("em", "strong", "s"):
                    walk(child)
                    close(start, f"md--{kind}", first)
                elif kind == "link":
                    walk(child)
                    close(start, "md--link", first)
                    # An address written out (linkified, or <...>) is its own text; any other
                    # link shows where it goes, as a reader would read it (no punycode).
                    href = "" if child.info == "auto" else str(child.attrs.get("href") or "")
                    if href and not _same_address("".join(pieces)[start:], href):
                        url_start = position
                        add(f" ({_markdown_it().normalizeLinkText(href)})")
                        close(url_start, "md--link-url", len(spans))
                elif kind == "image":
                    alt = "".join(grandchild.content for grandchild in child.children) or str(child.attrs.get("alt") or "")
                    add(f"[image: {alt}]" if alt else "[image]")
                    close(start, "md--link", first)
                elif child.children:
                    walk(child)
                else:
                    add(child.content)

        walk(inline)
        return Content("".join(pieces), spans=spans)


_TEXT_STYLES = frozenset({"md--em", "md--strong", "md--s"})

_SPACED = frozenset({"fence", "code_block", "blockquote", "table", "heading", "hr"})
"""Blocks set apart by a blank line inside a list item or a quote."""


def _style_of(style: str | Style) -> Style:
    return style if isinstance(style, Style) else Style.parse(style)


def _highlight(code: str, language: str) -> Content:
    from textual.highlight import highlight

    try:
        return highlight(code, language=language)
    except Exception:  # an unknown language, a lexer's error: the code as it is
        return Content(code)


def _same_address(text: str, href: str) -> bool:
    """A link whose text is its address (an autolinked URL, an e-mail address)."""
    bare = re.sub(r"^(https?://|mailto:)", "", href).rstrip("/")
    return text.strip().rstrip("/") in (href, bare, href.rstrip("/"))


def _centre(line: Strip, width: int, style: Any) -> Strip:
    left = (width - cell_len(line.text.rstrip())) // 2
    if left <= 0:
        return line
    return Strip.join([Strip.blank(left, style), line.crop(0, width - left)])


def _walk(node: SyntaxTreeNode, kind: str) -> Iterable[SyntaxTreeNode]:
    for child in node.children:
        if child.type == kind:
            yield child
        else:
            yield from _walk(child, kind)


def _fit_columns(natural: list[int], room: int) -> list[int]:
    """Column widths: as wide as their widest cell, the widest cut down to a common cap
    until they fit ``room`` (each keeps one cell at least)."""
    room = max(room, len(natural))
    if sum(natural) <= room:
        return list(natural)
    low, high = 1, max(natural)
    while low < high:  # the largest cap that fits
        cap = (low + high + 1) // 2
        if sum(min(size, cap) for size in natural) <= room:
            low = cap
        else:
            high = cap - 1
    return [min(size, low) for size in natural]
