"""Holding a request of a loopback service until a test lets it go (kill tests, races between runs)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Request


@dataclass
class Hold:
    """A request held by a loopback service: ``arrived`` when it comes, ``release`` lets it go on,
    ``done`` once the service has carried it out (its effect exists from then on)."""

    method: str
    path_part: str
    matches: Callable[[Request], bool] = lambda request: True
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


class Holds:
    """The holds of one service; ``around(request, answer)`` answers a request, holding it if asked."""

    def __init__(self) -> None:
        self.items: list[Hold] = []

    def add(self, method: str, path_part: str, matches: Callable[[Request], bool] = lambda request: True) -> Hold:
        held = Hold(method=method, path_part=path_part, matches=matches)
        self.items.append(held)
        return held

    def release_all(self) -> None:
        for held in self.items:
            held.release.set()
        self.items = []

    def around(self, request: Request, answer: Callable[[], object]) -> object:
        held = next(
            (
                h
                for h in self.items
                if request.method == h.method
                and h.path_part in request.path
                and not h.arrived.is_set()
                and h.matches(request)
            ),
            None,
        )
        if held is None:
            return answer()
        held.arrived.set()
        held.release.wait(timeout=60)
        try:
            return answer()
        finally:
            held.done.set()
