"""Does a user agent look like a robot? Plain rules, no list to download.

Crawlers and monitors announce themselves (``bot``, ``crawler``, ``spider``, ``slurp``…);
scripts send their library's name (``curl``, ``python-requests``, ``Go-http-client``…);
a request without a user agent is almost never a person's browser.
"""

from __future__ import annotations

import re
from typing import Final

_BOT = re.compile(
    rb"bot\b|bot/|crawl|spider|slurp|scrap|monitor|uptime|pingdom|headless|lighthouse|"
    rb"facebookexternalhit|embedly|preview|curl/|wget/|python-|python/|aiohttp|httpx|"
    rb"go-http-client|java/|okhttp|libwww|node-fetch|axios/|wrk|apachebench|locust|k6/",
    re.IGNORECASE,
)
_CACHE_LIMIT: Final = 10_000


class BotRules:
    """``rules(user_agent) -> bool``, memoised (bounded): a few user agents cover most traffic."""

    def __init__(self) -> None:
        self._cache: dict[bytes, bool] = {}

    def __call__(self, user_agent: bytes) -> bool:
        verdict = self._cache.get(user_agent)
        if verdict is None:
            verdict = is_bot(user_agent)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[user_agent] = verdict
        return verdict


def is_bot(user_agent: bytes) -> bool:
    if not user_agent.strip():
        return True
    return _BOT.search(user_agent) is not None
