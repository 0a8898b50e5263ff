"""The start page: what the signed-in person can do here, by their roles."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..domain import Person, Role, may_administer
from ..web import page, render


@page
async def home(request: Request, person: Person) -> Response:
    answers = person.holds(Role.LEADER, Role.DELEGATE, Role.SRO)
    return render(request, "home.html.j2", person, title="What you can do", answers=answers,
                  administers=may_administer(person))
