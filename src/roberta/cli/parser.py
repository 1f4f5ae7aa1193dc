"""The command line's argument parser: one-line usage errors that name the sub-command and suggest the option
or choice that was probably meant, and help that shows defaults."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn


def did_you_mean(word: str, candidates: Iterable[Any]) -> str:
    """'; did you mean 'x'?' for the candidate closest to `word`, or '' when none is close."""
    names = [str(c) for c in candidates]
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Help that shows every option's default (unless its text already says it, or there is none) and keeps
    the description's line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if "default" in (action.help or "") or action.default in (None, False, [], argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, `PROG: error: ...`, with a hint instead of the whole usage
    (a sub-command's own parser reports its own errors, so they name it)."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r} (choose from {choices}){did_you_mean(value, action.choices)}"
            )

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def unrecognized(self, extras: Sequence[str]) -> NoReturn:
        """The error for arguments nobody took, with the closest option of this parser for a mistyped flag."""
        hint = ""
        flag = next((a for a in extras if a.startswith("-")), None)
        if flag is not None:
            hint = did_you_mean(flag.split("=", 1)[0], self._option_string_actions)
        self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def given_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> set[str]:
    """The destinations of the options (and positionals) that `argv` (a sub-command's arguments) spells out, as
    opposed to defaults: `argv` is parsed again with every option's default set to None, which no command line
    can produce."""
    defaults = {a.dest: a.default for a in parser._actions if a.option_strings}
    parser.set_defaults(**dict.fromkeys(defaults))
    try:
        args = vars(parser.parse_known_args(list(argv))[0])
    finally:
        parser.set_defaults(**defaults)
    return {dest for dest, value in args.items() if value not in (None, [])}


def add_only_choice(parser: argparse.ArgumentParser, dest: str, name: str, output: str, **texts: str):
    """The sub-parser of `name`, so far the one choice of the required positional `dest` (`convert FORMAT`,
    `export TARGET`): `texts` are its `help` and `description`. It takes `-o/--output` (shown as `output`), the
    directory to create."""
    choices = parser.add_subparsers(dest=dest, metavar=dest.upper(), required=True)
    p = choices.add_parser(name, **texts)
    p.add_argument("-o", "--output", required=True, metavar=output, help="the directory to create (must not exist)")
    return p
