"""The ``paperkb`` command: one sub-command per pipeline stage, each in its own module of ``paperkb.cli``.

A command module exposes ``add_parser(subparsers)``, which registers its sub-command and sets
``func=run``; ``run(args, kb)`` returns the exit code. Errors the user can fix are printed as one
clear line, never a traceback.

Ctrl-C (SIGINT) and SIGTERM, wherever they land, end the command with one line and exit code 130 (143 for
SIGTERM): while the command modules load, while arguments are parsed, in a request, between two page writes
(each write is atomic), or while worker threads are busy. Python's own handler raises KeyboardInterrupt
wherever the main thread happens to be, and some places turn it into another exception (a class being
created reports it as RuntimeError), so :func:`main` installs a handler that records the signal and decides
by that record, not by the exception's type. This module imports only what Python has already loaded at
startup, so that window before the handler is in place is as short as the interpreter's own start.
"""

from __future__ import annotations

import os
import signal  # with enum, which it loads, the only module here Python has not loaded at startup
import sys
from collections.abc import Callable
from types import FrameType

#: Exit codes, as a shell reports a process ended by the signal.
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
STOPPED = "pages already written are complete, the rest are untouched"
#: Seconds an interrupted run of the program may take to end before it is ended at once (``_Signals.overdue``).
GRACE_SECONDS = 10


def _how(signum: int) -> str:
    return "interrupted" if signum == signal.SIGINT else "stopped by SIGTERM"


def build_parser():  # -> argparse.ArgumentParser (not imported here, see below)
    # Imported here, not at the top: main() calls this after its signal handlers are in place, so a Ctrl-C
    # while the command modules and their libraries load (a good part of a second) ends quietly too.
    from paperkb.cli.commands import build_parser as build

    return build()


class _Signals:
    """Turns the first SIGINT/SIGTERM into a KeyboardInterrupt and remembers it; later ones are ignored, so
    that the tidy-up the first one started (one line, exit) is not itself interrupted.

    Where Python cannot raise it (the signal landed in a weakref callback or a ``__del__``, e.g. the import
    machinery's lock cleanup) it would print "Exception ignored … KeyboardInterrupt" with a traceback and go
    on as if nothing happened; ``sys.unraisablehook`` catches that case and keeps the signal recorded: :func:`main`
    ends the run as interrupted once the command returns, or the grace period below ends it first.

    Run as the program (``grace``), an interrupted run that has not ended ``GRACE_SECONDS`` later is ended at once
    (``overdue``): the KeyboardInterrupt can land where it leaves a lock held and cannot unwind.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self.grace = False
        self.previous: dict[int, Callable[[int, FrameType | None], object] | int | signal.Handlers | None] = {}
        self.previous_hook = sys.unraisablehook

    def install(self, grace: bool = False) -> bool:
        """Whether the handlers are in place (signals can only be handled in the main thread); with ``grace``, an
        interrupted run is given ``GRACE_SECONDS`` to end (SIGALRM, which the program does not use otherwise)."""
        try:
            for signum in EXIT_CODES:
                self.previous[signum] = signal.signal(signum, self.handle)
            if grace:
                self.previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, self.overdue)
                self.grace = True
        except ValueError:  # not the main thread: the caller's signals, the caller's business
            self.restore()
            return False
        sys.unraisablehook = self.unraisable
        return True

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}
        sys.unraisablehook = self.previous_hook

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            if self.grace:
                signal.alarm(GRACE_SECONDS)
            raise KeyboardInterrupt

    def overdue(self, signum: int, frame: FrameType | None) -> None:
        """The interrupted run did not end in time. Seen once in some 1,500 random Ctrl-Cs of `paperkb fill`: the
        KeyboardInterrupt landed in the import machinery's weakref callback, between its taking the global import
        lock and the ``try`` that gives it back (CPython runs a signal handler between any two bytecodes). Python
        cannot raise there, the lock stays taken, and every worker thread that imports a module then waits for it
        forever, and the run with them. End the process now, as SIGKILL would (each page write is atomic), after
        the one line; written with os.write, as sys.stderr's own lock may be the one left taken."""
        received = self.received if self.received is not None else signal.SIGINT
        os.write(2, f"paperkb: {_how(received)}; {STOPPED}\n".encode())
        os._exit(EXIT_CODES[signal.Signals(received)])

    def unraisable(self, unraisable: sys.UnraisableHookArgs) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and self.received is not None:
            # Raising again from inside this hook prints Python's "Exception ignored" traceback: keep the signal
            # recorded instead, and main() ends the run as interrupted once the command returns.
            return
        self.previous_hook(unraisable)


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code.

    Called as the program (no ``argv``: the console script or ``python -m paperkb``), an interrupted run exits
    here, at once: worker threads still waiting on the network (their answers are never written) are not
    waited for, and no later Ctrl-C meets the interpreter's shutdown. Called with ``argv`` (tests, scripts), it
    returns the code and restores the signal handlers it found.
    """
    signals = _Signals()
    installed = signals.install(grace=argv is None)
    try:
        code = _run(argv, signals)
    finally:
        if argv is not None:
            signals.restore()
    if installed and signals.received is not None and code not in EXIT_CODES.values():
        # The interrupt was swallowed where Python cannot raise (a finaliser): the run still ends as interrupted
        print(f"paperkb: interrupted; {STOPPED}", file=sys.stderr)
        code = EXIT_CODES[signal.Signals(signals.received)]
    if installed and signals.received is not None and argv is None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # documented for exactly this: end now, without waiting for threads or atexit handlers
    return code


def _run(argv: list[str] | None, signals: _Signals) -> int:
    try:
        from paperkb.model import config  # see build_parser: loaded once the handlers are in place

        try:
            args = build_parser().parse_args(argv)
            kb = config.load(args.root)
            kb.require_content_dir()  # here, once, so no command writes into a folder that a typo named
            code: int = args.func(args, kb)
            if signals.received is not None:
                raise KeyboardInterrupt  # a library swallowed it; the run was interrupted all the same
            return code
        except config.ConfigError as exc:
            print(f"paperkb: {exc}", file=sys.stderr)
            return 2
    except BaseException as exc:
        if signals.received is None:
            raise
        # The command may say what the interruption left (e.g. a batch still pending) as the KeyboardInterrupt's text.
        detail = str(exc) if isinstance(exc, KeyboardInterrupt) and str(exc) else STOPPED
        print(f"paperkb: {_how(signals.received)}; {detail}", file=sys.stderr)
        return EXIT_CODES[signal.Signals(signals.received)]
