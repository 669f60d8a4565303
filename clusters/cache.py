"""The cache as an aid, never a dependency: what a page keeps there is made again when the
cache cannot be reached (Redis restarting, say), with a warning in the log, not an error
page. Keys say what a value is made of, so that a value is never stale for what its key
follows. `Drawn`: what a worker keeps of the parts of pages it drew."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.utils.translation import get_language

try:  # the production cache (Redis); the embedded default keeps its cache in memory
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover
    RedisError = OSError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisError, OSError)
T = TypeVar("T")


def kept(key: str, seconds: int, make: Callable[[], T]) -> T:
    """What the cache keeps under `key`, or `make()`, then kept for `seconds`."""
    try:
        value = cache.get(key)
    except UNREACHABLE:
        logger.warning("The cache cannot be reached: %s made again", key, exc_info=True)
        return make()
    if value is None:
        value = make()
        keep({key: value}, seconds)
    return value


def kept_many(keys: Iterable[str]) -> dict[str, object]:
    """What the cache keeps of `keys`, by key: none of them when it cannot be reached."""
    keys = list(keys)
    if not keys:
        return {}
    try:
        return cache.get_many(keys)
    except UNREACHABLE:
        logger.warning("The cache cannot be reached: %s keys made again", len(keys), exc_info=True)
        return {}


def keep(values: dict[str, object], seconds: int) -> None:
    """Keep `values` (by key) for `seconds`, if the cache can be reached."""
    if not values:
        return
    try:
        cache.set_many(values, seconds)
    except UNREACHABLE:
        logger.warning("The cache cannot be reached: %s keys not kept", len(values), exc_info=True)


class Drawn:
    """Parts of pages drawn from a few values alone (a section of figures, a form of
    filters), kept in this process by those values and the language: the next page with
    the same values takes the part drawn before. The least recently used go beyond `size`.
    The key must hold everything the part is drawn from."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._parts: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, draw: Callable[[], str]) -> str:
        key = (get_language(), key)
        with self._lock:
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
                self.hits += 1
                return part
            self.misses += 1
        part = draw()
        with self._lock:
            self._parts[key] = part
            while len(self._parts) > self._size:
                self._parts.popitem(last=False)
        return part

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()
            self.hits = self.misses = 0
