"""A person using the portal without a browser, for scripts: an HTTP client that signs in through
the identity server as a browser does (the portal sends it to the server's sign-in page, it
signs in there with a username and comes back with a code: the authorization code flow, PKCE and
all, done by the portal), then opens a form page and sends it with the page's form token.

    async with PortalVisitor.signed_in("http://127.0.0.1:8004", "lead1.black-country") as leader:
        await leader.send("/actions/black-country-ap3/answer/recovery-plan", {"summary": ..., ...})

Only what a person's browser would do: no shortcut into the portal, no token made up.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PROBLEM = re.compile(r'<li><a href="#[^"]*">(.*?)</a></li>')
TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


class PortalRefused(RuntimeError):
    """The portal did not do what was asked; the message says what its page said."""


def what_the_page_says(page: httpx.Response) -> str:
    problems = [html.unescape(p) for p in PROBLEM.findall(page.text)]
    title = TITLE.search(page.text)
    said = problems or ([html.unescape(title.group(1).strip())] if title else [])
    return f"{page.request.method} {page.request.url.path}: HTTP {page.status_code}: {'; '.join(said) or '?'}"


@dataclass
class PortalVisitor:
    portal_url: str
    username: str
    client: httpx.AsyncClient

    @classmethod
    @asynccontextmanager
    async def signed_in(cls, portal_url: str, username: str) -> AsyncIterator[PortalVisitor]:
        """Signed in as ``username`` at the identity server, for as long as the block runs."""
        async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
            visitor = cls(portal_url.rstrip("/"), username, client)
            await visitor.sign_in()
            yield visitor

    async def sign_in(self) -> None:
        """The portal sends the client to the identity server's sign-in page; its form posts the
        username back to the same address, which sends the client back to the portal with a code."""
        page = await self.client.get(f"{self.portal_url}/sign-in", params={"next": "/"})
        if not str(page.url).startswith(self.portal_url):
            page = await self.client.post(str(page.url), data={"username": self.username})
        if page.status_code != 200 or not str(page.url).startswith(self.portal_url):
            raise PortalRefused(f"signing in as {self.username}: {what_the_page_says(page)}")

    async def open(self, path: str) -> str:
        """A page of the portal, as its HTML; refused unless it opens (200)."""
        page = await self.client.get(self.portal_url + path)
        if page.status_code != 200:
            raise PortalRefused(what_the_page_says(page))
        return page.text

    async def can_open(self, path: str) -> bool:
        return (await self.client.get(self.portal_url + path)).status_code == 200

    async def send(self, path: str, fields: dict[str, str]) -> str:
        """Open the form at ``path`` and send it with its form token; the page it leads to (the
        portal answers a form it accepts with a redirect, 303). Refused: what the page said."""
        token = TOKEN.search(await self.open(path))
        if token is None:
            raise PortalRefused(f"{path}: the page has no form")
        sent = await self.client.post(self.portal_url + path, data={"csrf_token": token.group(1), **fields},
                                      follow_redirects=False)
        if sent.status_code != 303:
            raise PortalRefused(what_the_page_says(sent))
        return sent.headers["location"]
