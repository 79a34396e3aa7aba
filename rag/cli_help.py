"""Help screens of `baocao` in Vietnamese: typer writes its own words (panel titles, "Usage:",
"Show this message and exit.", "[default: …]") in English, and everything a user reads is Vietnamese
(English may follow in parentheses). Commands take ``cls=VietnameseCommand``, apps ``cls=VietnameseGroup``.
"""

from __future__ import annotations

from typing import Any

import typer.rich_utils as rich_utils
from typer.core import TyperCommand, TyperGroup

USAGE = "Cách dùng (usage): "
HELP_OPTION = "Hiện hướng dẫn này rồi thoát (show this help and exit)."
OPTIONS_METAVAR = "[TÙY CHỌN]"
SUBCOMMAND_METAVAR = "LỆNH [THAM SỐ]..."

rich_utils.ARGUMENTS_PANEL_TITLE = "Tham số (arguments)"
rich_utils.OPTIONS_PANEL_TITLE = "Tùy chọn (options)"
rich_utils.COMMANDS_PANEL_TITLE = "Lệnh (commands)"
rich_utils.ERRORS_PANEL_TITLE = "Lỗi (error)"
rich_utils.DEFAULT_STRING = "[mặc định: {}]"
rich_utils.REQUIRED_LONG_STRING = "[bắt buộc]"
rich_utils.ABORTED_TEXT = "Đã dừng (aborted)."
rich_utils.RICH_HELP = "Xem [blue]'{command_path} {help_option}'[/] để biết cách dùng (for help)."


class _Vietnamese:
    """The help option and the usage line in Vietnamese (mixed into typer's command classes)."""

    options_metavar: str | None

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION
        return option

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE)


class VietnameseCommand(_Vietnamese, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.options_metavar == "[OPTIONS]":
            self.options_metavar = OPTIONS_METAVAR


class VietnameseGroup(_Vietnamese, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.options_metavar == "[OPTIONS]":
            self.options_metavar = OPTIONS_METAVAR
        if self.subcommand_metavar == "COMMAND [ARGS]...":
            self.subcommand_metavar = SUBCOMMAND_METAVAR
